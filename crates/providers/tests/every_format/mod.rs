#![cfg(test)]
//! Retry and failover through every wire format: a 429 then success, and a 500 that moves the
//! call to the fallback model. The fake server renders the same script in each format.

use std::time::{Duration, Instant};

use rustyclaw_providers::{
    Candidate, Cooldowns, FailoverError, ModelRequest, RetryPolicy, Target, WireFormat, collect,
    stream_with_failover,
};
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::Map;
use tokio_util::sync::CancellationToken;

use crate::scenarios::{client, target, user};

const FORMATS: [WireFormat; 5] = [
    WireFormat::OpenaiCompletions,
    WireFormat::OpenaiResponses,
    WireFormat::AnthropicMessages,
    WireFormat::GoogleGenerativeAi,
    WireFormat::Ollama,
];

fn candidate(target: Target, provider: &str) -> Candidate {
    let mut model = target.model;
    model.provider = provider.into();
    let mut credential = target.credential;
    credential.profile_id = format!("{provider}:default");
    Candidate {
        model,
        profiles: vec![credential],
        key_hint: String::new(),
        params: Map::new(),
        context_tokens: 32_000,
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
    }
}

fn request() -> ModelRequest {
    ModelRequest::new("You are a test assistant.", vec![user("hello")])
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_in_every_format() {
    for api in FORMATS {
        let fake = FakeLlm::start().await.unwrap();
        fake.push(Turn::error(429).retry_after(Duration::from_millis(300)));
        fake.push(Turn::text("after the wait"));
        let chain = [candidate(target(&fake, api), "fake")];
        let started = Instant::now();
        let outcome = stream_with_failover(
            &client(),
            &chain,
            &request(),
            &policy(),
            &Cooldowns::new(),
            &CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{api:?}: {e}"));
        let (reply, error) = collect(outcome.stream, &outcome.target.model, 0).await;
        assert!(error.is_none(), "{api:?}: {error:?}");
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "{api:?} waited"
        );
        assert_eq!(
            serde_json::to_value(&reply.content).unwrap()[0]["text"],
            "after the wait",
            "{api:?}"
        );
        assert_eq!(fake.requests().len(), 2, "{api:?}");
        fake.assert_no_violations().unwrap();
    }
}

#[tokio::test]
async fn a_500_fails_over_to_the_fallback_in_every_format() {
    for api in FORMATS {
        let primary = FakeLlm::start().await.unwrap();
        let fallback = FakeLlm::start().await.unwrap();
        for _ in 0..3 {
            primary.push(Turn::error(500).message("primary is down"));
        }
        fallback.push(Turn::text("from the fallback"));
        let chain = [
            candidate(target(&primary, api), "fake"),
            candidate(target(&fallback, api), "backup"),
        ];
        let outcome = stream_with_failover(
            &client(),
            &chain,
            &request(),
            &policy(),
            &Cooldowns::new(),
            &CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{api:?}: {e}"));
        assert_eq!(outcome.target.model.provider, "backup", "{api:?}");
        assert_eq!(outcome.attempts.len(), 1, "{api:?}");
        assert!(
            outcome.attempts[0]
                .error_summary
                .contains("primary is down"),
            "{api:?}: {}",
            outcome.attempts[0].error_summary
        );
        let (reply, error) = collect(outcome.stream, &outcome.target.model, 0).await;
        assert!(error.is_none(), "{api:?}: {error:?}");
        assert_eq!(
            serde_json::to_value(&reply.content).unwrap()[0]["text"],
            "from the fallback"
        );
        assert_eq!(
            primary.requests().len(),
            3,
            "{api:?}: two retries before failing over"
        );
        primary.assert_no_violations().unwrap();
        fallback.assert_no_violations().unwrap();
    }
}

#[tokio::test]
async fn when_every_model_fails_each_attempt_is_named() {
    let primary = FakeLlm::start().await.unwrap();
    for _ in 0..3 {
        primary.push(Turn::error(503).message("overloaded"));
    }
    let chain = [candidate(
        target(&primary, WireFormat::AnthropicMessages),
        "fake",
    )];
    let error = stream_with_failover(
        &client(),
        &chain,
        &request(),
        &policy(),
        &Cooldowns::new(),
        &CancellationToken::new(),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(error, FailoverError::Exhausted { .. }), "{error}");
    assert!(error.to_string().contains("fake/fake-model"), "{error}");
}
