#![cfg(test)]
//! `openai-completions` against the fake LLM server over loopback.

use pretty_assertions::assert_eq;
use rustyclaw_providers::WireFormat;
use serde_json::json;

use crate::scenarios as scenario;

const API: WireFormat = WireFormat::OpenaiCompletions;

#[tokio::test]
async fn a_plain_reply_is_collected_with_usage_and_cost() {
    let recorded = scenario::plain_reply(API).await;
    assert_eq!(recorded.path, "/v1/chat/completions");
    let body = recorded.body.unwrap();
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You are a test assistant."},
            {"role": "user", "content": "hi"},
        ])
    );
    // Only OpenAI's own host gets its private fields.
    assert!(body.get("store").is_none() && body.get("max_completion_tokens").is_none());
}

#[tokio::test]
async fn a_reply_split_every_few_bytes_keeps_every_delta() {
    scenario::many_small_pieces(API).await;
}

#[tokio::test]
async fn a_tool_result_goes_back_as_a_tool_message() {
    let requests = scenario::tool_round_trip(API).await;
    let second = requests[1].body.as_ref().unwrap();
    assert_eq!(
        second["messages"],
        json!([
            {"role": "system", "content": "You are a test assistant."},
            {"role": "user", "content": "What is in a.txt?"},
            {"role": "assistant", "content": "Reading it.", "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "read", "arguments": "{\"path\":\"a.txt\"}"},
            }]},
            {"role": "tool", "tool_call_id": "call_1", "content": "read result"},
        ])
    );
}

#[tokio::test]
async fn parallel_tool_calls_all_arrive_and_are_all_answered() {
    scenario::parallel_tool_calls(API).await;
}

#[tokio::test]
async fn a_stream_cut_mid_event_keeps_the_text_before_the_cut() {
    // Events: role, "one", " two", " three" (cut here), …
    scenario::cut_mid_event(API, 3).await;
}

#[tokio::test]
async fn dropping_a_slow_stream_returns_at_once() {
    scenario::abort_mid_stream(API).await;
}

#[tokio::test]
async fn a_rate_limit_carries_its_retry_after() {
    scenario::rate_limited(API).await;
}

#[tokio::test]
async fn a_malformed_stream_is_reported_as_malformed() {
    scenario::malformed_body(API).await;
}
