#![cfg(test)]
//! `anthropic-messages` against the fake LLM server over loopback.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{AgentMessage, ContentBlock, StopReason};
use rustyclaw_providers::WireFormat;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::json;

use crate::scenarios::{self as scenario, call, request, results, user};

const API: WireFormat = WireFormat::AnthropicMessages;

#[tokio::test]
async fn a_plain_reply_is_collected_with_usage_and_cost() {
    let recorded = scenario::plain_reply(API).await;
    assert_eq!(recorded.path, "/v1/messages");
    assert_eq!(recorded.header("anthropic-version"), Some("2023-06-01"));
    let body = recorded.body.unwrap();
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["system"],
        json!([{"type": "text", "text": "You are a test assistant.", "cache_control": {"type": "ephemeral"}}])
    );
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
        ]}])
    );
}

#[tokio::test]
async fn a_reply_split_every_few_bytes_keeps_every_delta() {
    scenario::many_small_pieces(API).await;
}

#[tokio::test]
async fn a_tool_result_goes_back_as_a_tool_result_block() {
    let requests = scenario::tool_round_trip(API).await;
    let second = requests[1].body.as_ref().unwrap();
    assert_eq!(
        second["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "What is in a.txt?"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Reading it."},
                {"type": "tool_use", "id": "call_1", "name": "read", "input": {"path": "a.txt"}},
            ]},
            {"role": "user", "content": [{
                "type": "tool_result",
                "tool_use_id": "call_1",
                "content": "read result",
                "is_error": false,
                "cache_control": {"type": "ephemeral"},
            }]},
        ])
    );
}

#[tokio::test]
async fn parallel_tool_calls_all_arrive_and_are_all_answered() {
    scenario::parallel_tool_calls(API).await;
}

#[tokio::test]
async fn a_stream_cut_mid_event_keeps_the_text_before_the_cut() {
    // message_start, ping, content_block_start, "one", " two", " three" …
    scenario::cut_mid_event(API, 5).await;
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
async fn signed_thinking_goes_back_to_the_model_that_signed_it() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(
        Turn::tool_calls([ToolCall::new("toolu_1", "read", json!({"path": "a.txt"}))])
            .with_thinking("I should read it."),
    );
    fake.push(Turn::text("Done."));
    let mut target = scenario::reasoning(scenario::target(&fake, API));
    target.model.max_tokens = 8000;
    let mut conversation = vec![user("Read a.txt")];
    let mut first = request(conversation.clone());
    first.thinking = ThinkingLevel::Low;

    let (reply, error) = call(&target, &first).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(reply.stop_reason, StopReason::ToolUse);
    let ContentBlock::Thinking(thinking) = &reply.content[0] else {
        panic!("no thinking: {:?}", reply.content)
    };
    assert_eq!(thinking.thinking, "I should read it.");
    let signature = thinking.thinking_signature.clone().expect("signed");

    let answers = results(&reply);
    conversation.push(AgentMessage::Assistant(reply));
    conversation.extend(answers);
    let mut second = request(conversation);
    second.thinking = ThinkingLevel::Low;
    let (answer, error) = call(&target, &second).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(answer.stop_reason, StopReason::Stop);

    fake.assert_no_violations().unwrap();
    let requests = fake.requests();
    let body = requests[1].body.as_ref().unwrap();
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
    assert_eq!(body["max_tokens"], 8000);
    assert_eq!(
        body["messages"][1]["content"][0],
        json!({"type": "thinking", "thinking": "I should read it.", "signature": signature})
    );
}
