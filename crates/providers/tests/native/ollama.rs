#![cfg(test)]
//! `ollama` (native `/api/chat`) against the fake LLM server over loopback.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::ContentBlock;
use rustyclaw_providers::WireFormat;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::json;

use crate::scenarios::{self as scenario, call, request, user};

const API: WireFormat = WireFormat::Ollama;

#[tokio::test]
async fn a_plain_reply_is_collected_with_usage_and_cost() {
    let recorded = scenario::plain_reply(API).await;
    assert_eq!(recorded.path, "/api/chat");
    let body = recorded.body.unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["options"],
        json!({"num_predict": 1024, "num_ctx": 32000})
    );
    assert!(
        body.get("think").is_none(),
        "only reasoning models get `think`"
    );
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "You are a test assistant."},
            {"role": "user", "content": "hi"},
        ])
    );
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
        second["messages"].as_array().unwrap()[2..],
        [
            json!({"role": "assistant", "content": "Reading it.", "tool_calls": [
                {"function": {"name": "read", "arguments": {"path": "a.txt"}}},
            ]}),
            json!({"role": "tool", "content": "read result", "tool_name": "read"}),
        ]
    );
}

#[tokio::test]
async fn parallel_tool_calls_all_arrive_and_are_all_answered() {
    scenario::parallel_tool_calls(API).await;
}

#[tokio::test]
async fn a_stream_cut_mid_event_keeps_the_text_before_the_cut() {
    // One line per delta: "one", " two", " three" …
    scenario::cut_mid_event(API, 2).await;
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

#[tokio::test]
async fn thinking_is_switched_on_and_collected() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("Four.").with_thinking("Two plus two."));
    let target = scenario::reasoning(scenario::target(&fake, API));
    let mut request = request(vec![user("2+2?")]);
    request.thinking = ThinkingLevel::High;

    let (reply, error) = call(&target, &request).await;
    assert!(error.is_none(), "{error:?}");
    assert!(
        matches!(&reply.content[0], ContentBlock::Thinking(t) if t.thinking == "Two plus two."),
        "{:?}",
        reply.content
    );
    assert!(matches!(&reply.content[1], ContentBlock::Text(t) if t.text == "Four."));
    assert_eq!(fake.requests()[0].body.as_ref().unwrap()["think"], true);
}
