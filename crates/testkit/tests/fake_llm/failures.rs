//! Failure turns: HTTP errors, rate limits, cut streams, an empty script, wrong URLs.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::{Violation, ViolationKind};
use rustyclaw_testkit::{FakeLlm, Turn};
use serde_json::{Value, json};

use super::sse_reader::{assemble, read_sse};
use super::{chat_body, post_chat};

#[tokio::test]
async fn a_rate_limit_carries_retry_after_and_the_next_turn_follows() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::error(429).retry_after(Duration::from_millis(1500)));
    llm.push(Turn::text("after the retry"));

    let response = post_chat(&llm, &chat_body(true)).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {
            "message": "Rate limit reached for requests. Please try again later.",
            "type": "requests",
            "param": null,
            "code": "rate_limit_exceeded",
        }})
    );

    let transcript = read_sse(post_chat(&llm, &chat_body(true)).await).await;
    assert_eq!(
        assemble(&transcript.chunks()).content.as_deref(),
        Some("after the retry")
    );
    llm.assert_script_consumed().unwrap();
}

#[tokio::test]
async fn a_server_error_can_be_fully_customised() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(
        Turn::error(503)
            .message("Overloaded, come back later.")
            .error_type("server_error")
            .code("overloaded")
            .header("retry-after-ms", "250"),
    );
    llm.push(Turn::error(400).body(json!({"detail": "vendor-specific shape"})));

    let response = post_chat(&llm, &chat_body(false)).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after-ms"], "250");
    assert!(response.headers().get("retry-after").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Overloaded, come back later.");
    assert_eq!(body["error"]["code"], "overloaded");

    let response = post_chat(&llm, &chat_body(false)).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"detail": "vendor-specific shape"}));
}

#[tokio::test]
async fn a_stream_cut_mid_event_ends_without_done() {
    let llm = FakeLlm::start().await.unwrap();
    // Events: role, "one", " two", " three", finish, [DONE]; the cut falls inside " two".
    llm.push(Turn::text("one two three").cut_mid_event(2));

    let transcript = read_sse(post_chat(&llm, &chat_body(true)).await).await;
    assert!(
        transcript.error.is_some(),
        "the client sees a transport error, not a clean end"
    );
    assert!(!transcript.saw_done());
    assert_eq!(
        transcript.events.len(),
        2,
        "only role and \"one\" arrived whole"
    );
    assert_eq!(
        assemble(&transcript.chunks()).content.as_deref(),
        Some("one")
    );
    assert!(
        transcript.trailing.starts_with("data: {\"id\":\"chatcmpl-"),
        "half an event is left over: {:?}",
        transcript.trailing
    );
    assert!(!transcript.trailing.contains("\n\n"));
}

#[tokio::test]
async fn a_stream_cut_after_n_bytes_delivers_exactly_n_bytes() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(
        Turn::text("a reply long enough to be cut")
            .cut_after_bytes(100)
            .split_every(16),
    );

    let transcript = read_sse(post_chat(&llm, &chat_body(true)).await).await;
    assert_eq!(transcript.total_bytes(), 100);
    assert!(transcript.error.is_some());
    assert!(!transcript.saw_done());
    assert!(
        transcript.events.is_empty(),
        "the first event is longer than 100 bytes"
    );
}

#[tokio::test]
async fn an_empty_script_answers_500_naming_the_missing_turn() {
    let llm = FakeLlm::start().await.unwrap();

    let response = tokio::time::timeout(Duration::from_secs(5), post_chat(&llm, &chat_body(true)))
        .await
        .expect("an empty script never hangs");
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "fake LLM: no turn was scripted for request #0 (POST /v1/chat/completions); \
         queue one with FakeLlm::push"
    );
    assert_eq!(body["error"]["type"], "fake_llm_script_exhausted");
    assert_eq!(
        llm.violations(),
        [Violation {
            request_index: 0,
            kind: ViolationKind::ScriptExhausted
        }]
    );
}

#[tokio::test]
async fn a_slow_response_trips_the_client_timeout() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("too late").response_delay(Duration::from_secs(2)));

    let error = super::http()
        .post(format!("{}/chat/completions", llm.base_url()))
        .json(&chat_body(false))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
}

#[tokio::test]
async fn an_unknown_path_is_recorded_and_answered_404() {
    let llm = FakeLlm::start().await.unwrap();
    let response = super::http()
        .post(format!("{}/chat/completion", llm.base_url()))
        .json(&chat_body(false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Unknown request URL: POST /v1/chat/completion. Please check the URL for typos."
    );
    assert_eq!(llm.requests()[0].path, "/v1/chat/completion");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let llm = FakeLlm::start().await.unwrap();
    let url = format!("{}/models", llm.base_url());
    assert_eq!(super::http().get(&url).send().await.unwrap().status(), 200);
    llm.shutdown().await.unwrap();
    let error = super::http().get(&url).send().await.unwrap_err();
    assert!(error.is_connect(), "{error}");
}
