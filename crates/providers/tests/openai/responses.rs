#![cfg(test)]
//! `openai-responses` against the fake LLM server over loopback.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{AgentMessage, ContentBlock, StopReason};
use rustyclaw_providers::WireFormat;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::{Value, json};

use crate::scenarios as scenario;

const API: WireFormat = WireFormat::OpenaiResponses;

#[tokio::test]
async fn a_plain_reply_is_collected_with_usage_and_cost() {
    let recorded = scenario::plain_reply(API).await;
    assert_eq!(recorded.path, "/v1/responses");
    let body = recorded.body.unwrap();
    assert_eq!(body["instructions"], "You are a test assistant.");
    assert_eq!(body["store"], false);
    assert_eq!(body["max_output_tokens"], 1024);
    assert_eq!(
        body["input"],
        json!([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}])
    );
    assert!(body.get("include").is_none() && body.get("reasoning").is_none());
}

#[tokio::test]
async fn a_reply_split_every_few_bytes_keeps_every_delta() {
    scenario::many_small_pieces(API).await;
}

#[tokio::test]
async fn a_tool_result_goes_back_as_a_function_call_output() {
    let requests = scenario::tool_round_trip(API).await;
    let second = requests[1].body.as_ref().unwrap();
    let input = second["input"].as_array().unwrap();
    assert_eq!(input.len(), 4, "{input:?}");
    // The reply's message and call go back with the item ids the server gave them.
    let message_id = input[1]["id"].as_str().unwrap();
    assert!(message_id.starts_with("msg_"), "{message_id}");
    assert_eq!(
        input[1],
        json!({"type": "message", "role": "assistant",
               "content": [{"type": "output_text", "text": "Reading it.", "annotations": []}],
               "status": "completed", "id": message_id})
    );
    let call_item = input[2]["id"].as_str().unwrap();
    assert!(call_item.starts_with("fc_"), "{call_item}");
    assert_eq!(
        input[2],
        json!({"type": "function_call", "call_id": "call_1", "name": "read",
               "arguments": "{\"path\":\"a.txt\"}", "id": call_item})
    );
    assert_eq!(
        input[3],
        json!({"type": "function_call_output", "call_id": "call_1", "output": "read result"})
    );
}

#[tokio::test]
async fn parallel_tool_calls_all_arrive_and_are_all_answered() {
    scenario::parallel_tool_calls(API).await;
}

#[tokio::test]
async fn a_stream_cut_mid_event_keeps_the_text_before_the_cut() {
    // Events: created, in_progress, item added, part added, "one", " two", " three" (cut), …
    scenario::cut_mid_event(API, 6).await;
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
async fn reasoning_is_kept_encrypted_and_sent_back_to_the_same_model() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(
        Turn::tool_calls([rustyclaw_testkit::ToolCall::new(
            "call_r",
            "read",
            json!({"path": "x"}),
        )])
        .with_thinking("I need the file first."),
    );
    fake.push(Turn::text("Done."));
    let mut target = scenario::target(&fake, API);
    target.model.reasoning = true;
    let mut conversation = vec![scenario::user("Summarise x.")];
    let mut request = scenario::request(conversation.clone());
    request.thinking = ThinkingLevel::High;

    let (reply, error) = scenario::call(&target, &request).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(reply.stop_reason, StopReason::ToolUse);
    let ContentBlock::Thinking(thinking) = &reply.content[0] else {
        panic!("no thinking block: {:?}", reply.content)
    };
    assert_eq!(thinking.thinking, "I need the file first.");
    let item: Value =
        serde_json::from_str(thinking.thinking_signature.as_deref().unwrap()).unwrap();
    assert_eq!(item["type"], "reasoning");
    assert!(item["encrypted_content"].is_string(), "{item}");

    let answers = scenario::results(&reply);
    conversation.push(AgentMessage::Assistant(reply));
    conversation.extend(answers);
    request.messages = conversation;
    let (answer, error) = scenario::call(&target, &request).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(answer.stop_reason, StopReason::Stop);
    fake.assert_no_violations().unwrap();

    let requests = fake.requests();
    let first = requests[0].body.as_ref().unwrap();
    assert_eq!(
        first["reasoning"],
        json!({"effort": "high", "summary": "auto"})
    );
    assert_eq!(first["include"], json!(["reasoning.encrypted_content"]));
    let second = requests[1].body.as_ref().unwrap();
    assert_eq!(
        second["input"][1], item,
        "the reasoning item goes back verbatim"
    );
    assert_eq!(second["input"][2]["call_id"], "call_r");
}
