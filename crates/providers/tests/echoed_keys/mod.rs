//! Providers that quote the API key back (some OpenAI-compatible proxies do, in 401/403/429/500
//! bodies): the key must not come out of this crate, whichever way the text leaves it.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use rustyclaw_config::file::{ModelApi, ModelDefinitionSection, ModelsMode};
use rustyclaw_config::{Env, ModelChoice, ModelRef, ModelsConfig, ProviderConfig, Secret};
use rustyclaw_protocol::transcript::{AgentMessage, MessageContent, UserMessage};
use rustyclaw_providers::{
    Client, ClientOptions, Cooldowns, ModelCatalog, ModelRequest, ModelSettings, RetryPolicy,
    Target, collect, stream_with_failover,
};
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const CONFIG_KEY: &str = "sk-config-7d2f9e4a1b8c";
const ENV_KEY: &str = "sk-env-3c6a0f5e9d21";

fn catalog(fake: &FakeLlm) -> ModelCatalog {
    let provider = ProviderConfig {
        base_url: Some(fake.base_url()),
        api_key: Some(Secret::from(CONFIG_KEY)),
        api: Some(ModelApi::OpenaiCompletions),
        headers: BTreeMap::new(),
        auth_header: false,
        models: vec![ModelDefinitionSection {
            id: "fake-model".into(),
            ..Default::default()
        }],
    };
    let models = ModelsConfig {
        mode: ModelsMode::Merge,
        providers: [("fake".to_owned(), provider)].into_iter().collect(),
    };
    let (aliases, params) = (BTreeMap::new(), BTreeMap::new());
    let settings = ModelSettings {
        aliases: &aliases,
        params: &params,
        context_tokens: None,
    };
    ModelCatalog::new(
        &models,
        settings,
        &Env::from_pairs([("FAKE_API_KEY", ENV_KEY)]),
    )
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

/// Every way a proxy may quote `key`: plain, in a Bearer header, URL-encoded, as Basic auth.
fn echo(key: &str) -> String {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("user:{key}"));
    format!(
        "Incorrect API key provided: {key} (Authorization: Bearer {key}; ?key={key}; Basic {basic})"
    )
}

fn assert_clean(what: &str, text: &str) {
    for key in [CONFIG_KEY, ENV_KEY, &CONFIG_KEY[3..19], &ENV_KEY[3..16]] {
        assert!(!text.contains(key), "{key} in {what}: {text}");
    }
}

#[tokio::test]
async fn keys_quoted_in_error_bodies_are_scrubbed_from_failover_errors() {
    let fake = FakeLlm::start().await.unwrap();
    // The configured key is refused (the profile rotates to the environment key), then the
    // server fails quoting both keys and the raw body of a non-OpenAI error.
    fake.push(Turn::error(401).message(&echo(CONFIG_KEY)));
    fake.push(
        Turn::error(500)
            .body(json!(format!("{} / {}", echo(ENV_KEY), echo(CONFIG_KEY))))
            .retry_after(Duration::ZERO),
    );
    let cat = catalog(&fake);
    let chain = cat
        .chain(
            &ModelChoice {
                primary: Some(ModelRef("fake/fake-model".into())),
                fallbacks: Vec::new(),
            },
            None,
        )
        .unwrap()
        .candidates;
    assert_eq!(chain[0].profiles.len(), 2);
    let policy = RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::default()
    };
    let error = stream_with_failover(
        &Client::new(ClientOptions::default()).unwrap(),
        &chain,
        &request(),
        &policy,
        &Cooldowns::new(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert_clean("the failover error", &shown);
    assert!(
        shown.contains("Incorrect API key provided: [REDACTED]"),
        "{shown}"
    );
    assert_eq!(error.attempts().len(), 2, "{shown}");
    // The key did reach the server, so the test proves something.
    let sent: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        sent,
        [format!("Bearer {CONFIG_KEY}"), format!("Bearer {ENV_KEY}")]
    );

    // A bad request stops the walk and comes back as the provider's own error.
    fake.push(Turn::error(400).message(&echo(CONFIG_KEY)));
    let error = stream_with_failover(
        &Client::new(ClientOptions::default()).unwrap(),
        &chain,
        &request(),
        &policy,
        &Cooldowns::new(),
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_clean("the stopping error", &format!("{error} {error:?}"));
}

#[tokio::test]
async fn a_single_call_scrubs_its_key_from_errors_and_text() {
    let fake = FakeLlm::start().await.unwrap();
    let cat = catalog(&fake);
    let candidate = cat
        .chain(
            &ModelChoice {
                primary: Some(ModelRef("fake/fake-model".into())),
                fallbacks: Vec::new(),
            },
            None,
        )
        .unwrap()
        .candidates
        .remove(0);
    let target = Target {
        model: candidate.model.clone(),
        credential: candidate.profiles[0].clone(),
    };
    let client = Client::new(ClientOptions::default()).unwrap();

    fake.push(Turn::error(403).message(&echo(CONFIG_KEY)));
    let error = match client.stream(&target, &request()).await {
        Ok(_) => panic!("the call should fail"),
        Err(error) => error,
    };
    assert_clean("a 403", &format!("{error} {error:?}"));

    // A proxy answering 200 with its complaint as the reply.
    fake.push(Turn::text(&echo(CONFIG_KEY)));
    let stream = client.stream(&target, &request()).await.unwrap();
    let (message, error) = collect(stream, &target.model, 0).await;
    assert!(error.is_none(), "{error:?}");
    let shown = format!("{:?}", message.content);
    assert_clean("the reply", &shown);
    assert!(shown.contains("[REDACTED]"), "{shown}");
}
