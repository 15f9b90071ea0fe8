#![cfg(test)]
//! Retries, auth-profile rotation and model failover against real fake LLM servers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use rustyclaw_config::file::{ModelApi, ModelDefinitionSection, ModelsMode};
use rustyclaw_config::{Env, ModelChoice, ModelRef, ModelsConfig, ProviderConfig, Secret};
use rustyclaw_protocol::transcript::{AgentMessage, ContentBlock, MessageContent, UserMessage};
use rustyclaw_providers::{
    Attempt, Candidate, Client, ClientOptions, CooldownRecord, Cooldowns, FailoverError,
    FailoverOutcome, FailureClass, ModelCatalog, ModelRequest, ModelSettings, RetryPolicy, collect,
    stream_with_failover,
};
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use tokio_util::sync::CancellationToken;

const MODEL: &str = "fake-model";

fn provider(fake: &FakeLlm, key: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        base_url: Some(fake.base_url()),
        api_key: key.map(Secret::from),
        api: Some(ModelApi::OpenaiCompletions),
        headers: BTreeMap::new(),
        auth_header: false,
        models: vec![ModelDefinitionSection {
            id: MODEL.into(),
            ..Default::default()
        }],
    }
}

fn catalog(providers: Vec<(&str, ProviderConfig)>, env: &[(&str, &str)]) -> ModelCatalog {
    let models = ModelsConfig {
        mode: ModelsMode::Merge,
        providers: providers
            .into_iter()
            .map(|(id, p)| (id.to_owned(), p))
            .collect(),
    };
    let (aliases, params) = (BTreeMap::new(), BTreeMap::new());
    let settings = ModelSettings {
        aliases: &aliases,
        params: &params,
        context_tokens: None,
    };
    ModelCatalog::new(&models, settings, &Env::from_pairs(env.iter().copied()))
}

fn chain(catalog: &ModelCatalog, primary: &str, fallbacks: &[&str]) -> Vec<Candidate> {
    let choice = ModelChoice {
        primary: Some(ModelRef(primary.into())),
        fallbacks: fallbacks.iter().map(|f| ModelRef((*f).into())).collect(),
    };
    let chain = catalog.chain(&choice, None).unwrap();
    assert!(chain.unresolved.is_empty(), "{:?}", chain.unresolved);
    chain.candidates
}

fn request() -> ModelRequest {
    ModelRequest::new(
        "You are a test.",
        vec![AgentMessage::User(UserMessage::new(
            MessageContent::Text("hi".into()),
            0,
        ))],
    )
}

fn policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_secs(15),
    }
}

fn client() -> Client {
    Client::new(ClientOptions::default()).unwrap()
}

async fn reply_text(outcome: FailoverOutcome) -> Vec<ContentBlock> {
    let (message, error) = collect(outcome.stream, &outcome.target.model, 0).await;
    assert!(error.is_none(), "{error:?}");
    message.content
}

fn authorizations(fake: &FakeLlm) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| r.header("authorization").unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn a_rate_limit_is_retried_after_the_servers_pause() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::error(429).header("retry-after-ms", "300"));
    fake.push(Turn::text("hello"));
    let cat = catalog(vec![("fake", provider(&fake, Some("sk-1")))], &[]);
    let candidates = chain(&cat, "fake/fake-model", &[]);

    let started = Instant::now();
    let outcome = stream_with_failover(
        &client(),
        &candidates,
        &request(),
        &policy(2),
        &Cooldowns::new(),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome.target.credential.profile_id, "fake:default");
    assert!(outcome.attempts.is_empty(), "{:?}", outcome.attempts);
    assert!(outcome.cooldowns.is_empty());
    assert_eq!(reply_text(outcome).await, [ContentBlock::text("hello")]);
    assert_eq!(fake.requests().len(), 2);
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn a_server_error_fails_over_to_the_next_model() {
    let primary = FakeLlm::start().await.unwrap();
    let backup = FakeLlm::start().await.unwrap();
    primary.push(Turn::error(500));
    primary.push(Turn::error(500));
    backup.push(Turn::text("from the fallback"));
    let cat = catalog(
        vec![
            ("primary", provider(&primary, Some("sk-p"))),
            ("backup", provider(&backup, Some("sk-b"))),
        ],
        &[],
    );
    let candidates = chain(&cat, "primary/fake-model", &["backup/fake-model"]);

    let outcome = stream_with_failover(
        &client(),
        &candidates,
        &request(),
        &policy(1),
        &Cooldowns::new(),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.target.model.reference(), "backup/fake-model");
    assert_eq!(outcome.attempts.len(), 1);
    let failed = &outcome.attempts[0];
    assert_eq!(
        (
            failed.model_ref.as_str(),
            failed.profile_id.as_deref(),
            failed.class,
            failed.tries
        ),
        (
            "primary/fake-model",
            Some("primary:default"),
            FailureClass::Server,
            2
        )
    );
    assert!(
        failed.error_summary.contains("500"),
        "{}",
        failed.error_summary
    );
    // A 5xx says nothing about the key: no cooldown.
    assert!(outcome.cooldowns.is_empty());
    assert_eq!(
        reply_text(outcome).await,
        [ContentBlock::text("from the fallback")]
    );
    assert_eq!((primary.requests().len(), backup.requests().len()), (2, 1));
}

#[tokio::test]
async fn a_rate_limited_key_rotates_to_the_next_and_rests() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::error(429));
    fake.push(Turn::text("second key"));
    fake.push(Turn::text("still the second key"));
    let cat = catalog(
        vec![("fake", provider(&fake, Some("key-one")))],
        &[("FAKE_API_KEY", "key-two")],
    );
    let candidates = chain(&cat, "fake/fake-model", &[]);
    let cooldowns = Cooldowns::new();

    let outcome = stream_with_failover(
        &client(),
        &candidates,
        &request(),
        &policy(2),
        &cooldowns,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.target.credential.profile_id, "fake:env");
    assert_eq!(
        outcome
            .attempts
            .iter()
            .map(|a| (a.profile_id.as_deref(), a.class, a.tries))
            .collect::<Vec<_>>(),
        [(Some("fake:default"), FailureClass::RateLimit, 1)]
    );
    let rested: Vec<(&str, &str)> = outcome
        .cooldowns
        .iter()
        .map(|r| (r.profile_id.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(rested, [("fake:default", "rate_limit")]);
    assert_eq!(
        reply_text(outcome).await,
        [ContentBlock::text("second key")]
    );

    // The next call skips the resting key.
    let outcome = stream_with_failover(
        &client(),
        &candidates,
        &request(),
        &policy(2),
        &cooldowns,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.target.credential.profile_id, "fake:env");
    assert!(outcome.attempts.is_empty());
    assert_eq!(
        authorizations(&fake),
        ["Bearer key-one", "Bearer key-two", "Bearer key-two"]
    );
}

#[tokio::test]
async fn when_everything_fails_every_attempt_is_reported() {
    let primary = FakeLlm::start().await.unwrap();
    let backup = FakeLlm::start().await.unwrap();
    primary.push(Turn::error(500));
    primary.push(Turn::error(500));
    backup.push(Turn::error(503));
    backup.push(Turn::error(503));
    let cat = catalog(
        vec![
            ("primary", provider(&primary, Some("sk-p"))),
            ("backup", provider(&backup, Some("sk-b"))),
        ],
        &[],
    );
    // The last fallback is a built-in vendor without a key: reported, never sent.
    let candidates = chain(
        &cat,
        "primary/fake-model",
        &["backup/fake-model", "groq/llama-3.3-70b-versatile"],
    );

    let err = stream_with_failover(
        &client(),
        &candidates,
        &request(),
        &policy(1),
        &Cooldowns::new(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    let FailoverError::Exhausted {
        attempts,
        cooldowns,
    } = &err
    else {
        panic!("unexpected {err:?}");
    };
    let summary: Vec<(&str, Option<&str>, FailureClass, u32)> = attempts
        .iter()
        .map(|a: &Attempt| {
            (
                a.model_ref.as_str(),
                a.profile_id.as_deref(),
                a.class,
                a.tries,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "primary/fake-model",
                Some("primary:default"),
                FailureClass::Server,
                2
            ),
            (
                "backup/fake-model",
                Some("backup:default"),
                FailureClass::Overloaded,
                2
            ),
            (
                "groq/llama-3.3-70b-versatile",
                None,
                FailureClass::Config,
                0
            ),
        ]
    );
    assert!(attempts[2].error_summary.contains("GROQ_API_KEY"));
    assert_eq!(
        cooldowns
            .iter()
            .map(|r| r.profile_id.as_str())
            .collect::<Vec<_>>(),
        ["backup:default"]
    );
    let text = err.to_string();
    for model in [
        "primary/fake-model",
        "backup/fake-model",
        "groq/llama-3.3-70b-versatile",
    ] {
        assert!(text.contains(model), "{text}");
    }
    assert!(!text.contains("sk-p") && !text.contains("sk-b"), "{text}");
}

#[tokio::test]
async fn a_context_overflow_stops_without_failing_over() {
    let primary = FakeLlm::start().await.unwrap();
    let backup = FakeLlm::start().await.unwrap();
    primary.push(
        Turn::error(400)
            .code("context_length_exceeded")
            .message("This model's maximum context length is 8192 tokens."),
    );
    backup.push(Turn::text("never"));
    let cat = catalog(
        vec![
            ("primary", provider(&primary, Some("sk-p"))),
            ("backup", provider(&backup, Some("sk-b"))),
        ],
        &[],
    );
    let candidates = chain(&cat, "primary/fake-model", &["backup/fake-model"]);

    let err = stream_with_failover(
        &client(),
        &candidates,
        &request(),
        &policy(2),
        &Cooldowns::new(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    let FailoverError::Stopped {
        error, model_ref, ..
    } = &err
    else {
        panic!("unexpected {err:?}");
    };
    assert_eq!(error.class(), FailureClass::ContextOverflow);
    assert_eq!(model_ref, "primary/fake-model");
    assert!(err.attempts().is_empty());
    assert_eq!((primary.requests().len(), backup.requests().len()), (1, 0));
}

#[tokio::test]
async fn aborting_during_a_long_retry_after_returns_promptly() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::error(429).retry_after(Duration::from_secs(10)));
    fake.push(Turn::text("too late"));
    let cat = catalog(vec![("fake", provider(&fake, Some("sk-1")))], &[]);
    let candidates = chain(&cat, "fake/fake-model", &[]);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        trigger.cancel();
    });

    let started = Instant::now();
    let err = stream_with_failover(
        &client(),
        &candidates,
        &request(),
        &policy(2),
        &Cooldowns::new(),
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(err.is_aborted(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_resting_key_is_still_probed_when_nothing_else_is_left() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("back again"));
    let cat = catalog(vec![("fake", provider(&fake, Some("sk-1")))], &[]);
    let candidates = chain(&cat, "fake/fake-model", &[]);
    let until_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
        + 3_600_000;
    let cooldowns = Cooldowns::restore(vec![CooldownRecord {
        profile_id: "fake:default".into(),
        until_ms,
        reason: "billing".into(),
    }]);

    let outcome = stream_with_failover(
        &client(),
        &candidates,
        &request(),
        &policy(0),
        &cooldowns,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.attempts.len(), 1);
    assert_eq!(outcome.attempts[0].class, FailureClass::Billing);
    assert_eq!(outcome.attempts[0].tries, 0);
    assert_eq!(
        reply_text(outcome).await,
        [ContentBlock::text("back again")]
    );
    // Success ends the cooldown.
    assert!(cooldowns.snapshot().is_empty());
}
