//! The Anthropic Messages route, `POST /v1/messages`: replies, streams, request checks and
//! failures, read with the event reader rather than the server's own code.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::{FinishReason, ViolationKind};
use rustyclaw_testkit::{FakeLlm, ToolCall, Turn, Usage};
use serde_json::{Value, json};

use super::event_reader::{Event, sse_events};
use super::http;

/// A minimal agent-shaped Messages request.
fn messages_body(stream: bool) -> Value {
    json!({
        "model": "claude-test",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "You are a test assistant."}],
        "messages": [{"role": "user", "content": "hi"}],
        "stream": stream,
    })
}

async fn post_messages(llm: &FakeLlm, body: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/v1/messages", llm.origin()))
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .expect("the fake server answers")
}

/// The text, thinking, signature and tool inputs a client rebuilds from the events.
#[derive(Debug, Default, PartialEq)]
struct Rebuilt {
    blocks: Vec<Value>,
    stop_reason: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

fn rebuild(events: &[Event]) -> Rebuilt {
    let mut rebuilt = Rebuilt::default();
    let mut partial_json: Vec<String> = Vec::new();
    for event in events {
        assert_eq!(
            event.name.as_deref(),
            event.data["type"].as_str(),
            "the event line names the data's type"
        );
        let data = &event.data;
        match data["type"].as_str().unwrap() {
            "message_start" => {
                rebuilt.input_tokens = data["message"]["usage"]["input_tokens"].as_u64();
            }
            "content_block_start" => {
                assert_eq!(data["index"], rebuilt.blocks.len());
                rebuilt.blocks.push(data["content_block"].clone());
                partial_json.push(String::new());
            }
            "content_block_delta" => {
                let index = data["index"].as_u64().unwrap() as usize;
                let block = &mut rebuilt.blocks[index];
                let delta = &data["delta"];
                let append = |block: &mut Value, key: &str, piece: &Value| {
                    let text = format!(
                        "{}{}",
                        block[key].as_str().unwrap(),
                        piece.as_str().unwrap()
                    );
                    block[key] = Value::String(text);
                };
                match delta["type"].as_str().unwrap() {
                    "text_delta" => append(block, "text", &delta["text"]),
                    "thinking_delta" => append(block, "thinking", &delta["thinking"]),
                    "signature_delta" => append(block, "signature", &delta["signature"]),
                    "input_json_delta" => {
                        partial_json[index].push_str(delta["partial_json"].as_str().unwrap())
                    }
                    other => panic!("unexpected delta {other}"),
                }
            }
            "content_block_stop" => {
                let index = data["index"].as_u64().unwrap() as usize;
                if rebuilt.blocks[index]["type"] == "tool_use" {
                    rebuilt.blocks[index]["input"] =
                        serde_json::from_str(&partial_json[index]).unwrap();
                }
            }
            "message_delta" => {
                rebuilt.stop_reason = data["delta"]["stop_reason"].as_str().map(Into::into);
                rebuilt.output_tokens = data["usage"]["output_tokens"].as_u64();
            }
            "message_stop" | "ping" => {}
            other => panic!("unexpected event {other}"),
        }
    }
    rebuilt
}

#[tokio::test]
async fn a_streamed_reply_has_anthropics_event_sequence() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(
        Turn::text("Reading both.")
            .with_thinking("Two files.")
            .with_tool_call(ToolCall::new("toolu_1", "read", json!({"path": "a.txt"})))
            .with_tool_call(ToolCall::new("toolu_2", "read", json!({"path": "b.txt"})))
            .with_usage(Usage::new(120, 30).with_cached_tokens(100)),
    );
    let response = post_messages(&llm, &messages_body(true)).await;
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let events = sse_events(&response.text().await.unwrap());
    let names: Vec<&str> = events.iter().filter_map(|e| e.name.as_deref()).collect();
    assert_eq!(names[..3], ["message_start", "ping", "content_block_start"]);
    assert_eq!(names[names.len() - 2..], ["message_delta", "message_stop"]);
    let start = &events[0].data["message"];
    assert!(start["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(start["model"], "claude-test");
    assert_eq!(
        start["usage"]["cache_read_input_tokens"], 100,
        "cached input is counted apart"
    );

    let rebuilt = rebuild(&events);
    assert_eq!(
        rebuilt,
        Rebuilt {
            blocks: vec![
                json!({"type": "thinking", "thinking": "Two files.", "signature": "ZmFrZS10aGlua2luZy1zaWduYXR1cmU="}),
                json!({"type": "text", "text": "Reading both."}),
                json!({"type": "tool_use", "id": "toolu_1", "name": "read", "input": {"path": "a.txt"}}),
                json!({"type": "tool_use", "id": "toolu_2", "name": "read", "input": {"path": "b.txt"}}),
            ],
            stop_reason: Some("tool_use".into()),
            input_tokens: Some(20),
            output_tokens: Some(30),
        }
    );
    // Arguments arrive in several fragments, the first one empty as the real API sends it.
    let fragments: Vec<&str> = events
        .iter()
        .filter(|e| e.data["delta"]["type"] == "input_json_delta" && e.data["index"] == 2)
        .map(|e| e.data["delta"]["partial_json"].as_str().unwrap())
        .collect();
    assert_eq!(fragments[0], "");
    assert!(fragments.len() > 2, "{fragments:?}");
    llm.assert_no_violations().unwrap();
}

#[tokio::test]
async fn a_plain_reply_is_one_message_object() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("Hello!").with_usage(Usage::new(12, 3)));
    llm.push(Turn::text("cut short").with_finish_reason(FinishReason::Length));
    let message: Value = post_messages(&llm, &messages_body(false))
        .await
        .json()
        .await
        .unwrap();
    let mut message = message;
    let id = message.as_object_mut().unwrap().remove("id").unwrap();
    assert!(id.as_str().unwrap().starts_with("msg_fake"));
    assert_eq!(
        message,
        json!({
            "type": "message",
            "role": "assistant",
            "model": "claude-test",
            "content": [{"type": "text", "text": "Hello!"}],
            "stop_reason": "end_turn",
            "stop_sequence": null,
            "usage": {
                "input_tokens": 12,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 3,
                "service_tier": "standard",
            },
        })
    );
    let split = post_messages(&llm, &messages_body(false)).await;
    let message: Value = split.json().await.unwrap();
    assert_eq!(message["stop_reason"], "max_tokens");
}

#[tokio::test]
async fn split_delivery_carries_the_same_events() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("one two three"));
    llm.push(Turn::text("one two three").split_every(3).keep_alive());
    let whole = post_messages(&llm, &messages_body(true))
        .await
        .text()
        .await
        .unwrap();
    let split = post_messages(&llm, &messages_body(true))
        .await
        .text()
        .await
        .unwrap();
    assert!(split.contains(": keep-alive"));
    let strip_id = |mut events: Vec<Event>| {
        events[0].data["message"]["id"] = Value::Null;
        events
    };
    assert_eq!(strip_id(sse_events(&split)), strip_id(sse_events(&whole)));
}

#[tokio::test]
async fn errors_use_anthropics_error_body() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::error(429).retry_after(Duration::from_secs(7)));
    llm.push(Turn::error(529));
    let response = post_messages(&llm, &messages_body(true)).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    let response = post_messages(&llm, &messages_body(true)).await;
    assert_eq!(response.status(), 529);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );
}

#[tokio::test]
async fn broken_requests_are_rejected_in_anthropics_shape() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("never sent"));
    let mut body = messages_body(true);
    body["messages"] = json!([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "read", "input": {}}]},
        {"role": "user", "content": [{"type": "text", "text": "ignoring it"}]},
    ]);
    let response = post_messages(&llm, &body).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"toolu_1\" of message 1 is not answered"),
        "{error}"
    );
    assert_eq!(
        llm.violations()[0].kind,
        ViolationKind::UnansweredToolCall {
            assistant_index: 1,
            tool_call_id: "toolu_1".into(),
            interrupted_by: Some(2),
        }
    );
    assert_eq!(
        llm.pending_turns(),
        1,
        "a rejected request consumes no turn"
    );
}

#[tokio::test]
async fn a_malformed_turn_breaks_the_first_event() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::malformed());
    let body = post_messages(&llm, &messages_body(true))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.starts_with("event: message_start\ndata: {"), "{body}");
    let data = body.lines().nth(1).unwrap().strip_prefix("data: ").unwrap();
    assert!(serde_json::from_str::<Value>(data).is_err());
}
