#![cfg(test)]
//! `google-generative-ai` against the fake LLM server over loopback.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{AgentMessage, ContentBlock, StopReason};
use rustyclaw_providers::WireFormat;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::json;

use crate::scenarios::{self as scenario, call, request, results, user};

const API: WireFormat = WireFormat::GoogleGenerativeAi;

#[tokio::test]
async fn a_plain_reply_is_collected_with_usage_and_cost() {
    let recorded = scenario::plain_reply(API).await;
    assert_eq!(
        recorded.path,
        "/v1beta/models/fake-model:streamGenerateContent"
    );
    let body = recorded.body.unwrap();
    assert_eq!(
        body["systemInstruction"],
        json!({"parts": [{"text": "You are a test assistant."}]})
    );
    assert_eq!(
        body["contents"],
        json!([{"role": "user", "parts": [{"text": "hi"}]}])
    );
    assert_eq!(body["generationConfig"], json!({"maxOutputTokens": 1024}));
}

#[tokio::test]
async fn a_reply_split_every_few_bytes_keeps_every_delta() {
    scenario::many_small_pieces(API).await;
}

#[tokio::test]
async fn a_tool_result_goes_back_as_a_function_response() {
    let requests = scenario::tool_round_trip(API).await;
    let second = requests[1].body.as_ref().unwrap();
    assert_eq!(
        second["contents"],
        json!([
            {"role": "user", "parts": [{"text": "What is in a.txt?"}]},
            {"role": "model", "parts": [
                {"text": "Reading it."},
                {"functionCall": {"name": "read", "args": {"path": "a.txt"}}},
            ]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "read", "response": {"output": "read result"}}},
            ]},
        ])
    );
}

#[tokio::test]
async fn parallel_tool_calls_all_arrive_and_are_all_answered() {
    scenario::parallel_tool_calls(API).await;
}

#[tokio::test]
async fn a_stream_cut_mid_event_keeps_the_text_before_the_cut() {
    // One chunk per delta: "one", " two", " three" …
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
async fn thought_signatures_go_back_with_their_parts() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(
        Turn::tool_calls([
            ToolCall::new("ignored", "read", json!({"path": "a.txt"})),
            ToolCall::new("ignored", "read", json!({"path": "b.txt"})),
        ])
        .with_thinking("Two reads."),
    );
    fake.push(Turn::text("Done."));
    let target = scenario::reasoning(scenario::target(&fake, API));
    let mut conversation = vec![user("Read both")];
    let mut first = request(conversation.clone());
    first.thinking = ThinkingLevel::Medium;

    let (reply, error) = call(&target, &first).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(reply.stop_reason, StopReason::ToolUse);
    let ContentBlock::Thinking(thinking) = &reply.content[0] else {
        panic!("no thinking: {:?}", reply.content)
    };
    let thought_signature = thinking.thinking_signature.clone().expect("signed");
    let ContentBlock::ToolCall(first_call) = &reply.content[1] else {
        panic!("no call: {:?}", reply.content)
    };
    let call_signature = first_call.thought_signature.clone().expect("signed call");

    let answers = results(&reply);
    conversation.push(AgentMessage::Assistant(reply));
    conversation.extend(answers);
    let (answer, error) = call(&target, &request(conversation)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(answer.stop_reason, StopReason::Stop);

    fake.assert_no_violations().unwrap();
    let requests = fake.requests();
    assert_eq!(
        requests[0].body.as_ref().unwrap()["generationConfig"]["thinkingConfig"],
        json!({"includeThoughts": true, "thinkingBudget": 8192})
    );
    let body = requests[1].body.as_ref().unwrap();
    assert_eq!(
        body["contents"][1]["parts"],
        json!([
            {"thought": true, "text": "Two reads.", "thoughtSignature": thought_signature},
            {"functionCall": {"name": "read", "args": {"path": "a.txt"}}, "thoughtSignature": call_signature},
            {"functionCall": {"name": "read", "args": {"path": "b.txt"}}},
        ])
    );
}
