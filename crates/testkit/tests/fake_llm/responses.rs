//! The OpenAI responses route, `POST /v1/responses`: replies, streams, reasoning, request
//! checks and failures, read with an assembler written from the public event reference.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::{FinishReason, ViolationKind};
use rustyclaw_testkit::{FakeLlm, ToolCall, Turn, Usage};
use serde_json::{Value, json};

use super::http;
use super::sse_reader::read_sse;

/// A minimal agent-shaped responses request.
fn responses_body(stream: bool) -> Value {
    json!({
        "model": "fake-model",
        "instructions": "You are a test assistant.",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "stream": stream,
        "store": false,
    })
}

async fn post_responses(llm: &FakeLlm, body: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/responses", llm.base_url()))
        .json(body)
        .send()
        .await
        .expect("the fake server answers")
}

/// What a client rebuilds from the events of one streamed response.
#[derive(Debug, Default, PartialEq)]
struct Assembled {
    reasoning: String,
    text: String,
    /// (call_id, name, arguments) per function call, in output order.
    calls: Vec<(String, String, String)>,
    final_type: Option<String>,
    status: Option<String>,
    usage: Option<Value>,
}

fn assemble(events: &[Value]) -> Assembled {
    let mut assembled = Assembled::default();
    for event in events {
        match event["type"].as_str().unwrap_or_default() {
            "response.reasoning_summary_text.delta" => {
                assembled
                    .reasoning
                    .push_str(event["delta"].as_str().unwrap());
            }
            "response.output_text.delta" => {
                assembled.text.push_str(event["delta"].as_str().unwrap());
            }
            "response.output_item.added" if event["item"]["type"] == "function_call" => {
                let item = &event["item"];
                assembled.calls.push((
                    item["call_id"].as_str().unwrap().to_owned(),
                    item["name"].as_str().unwrap().to_owned(),
                    String::new(),
                ));
            }
            "response.function_call_arguments.delta" => {
                let call = assembled.calls.last_mut().expect("a call was added first");
                call.2.push_str(event["delta"].as_str().unwrap());
            }
            kind @ ("response.completed" | "response.incomplete") => {
                assembled.final_type = Some(kind.to_owned());
                assembled.status = event["response"]["status"].as_str().map(str::to_owned);
                assembled.usage = Some(event["response"]["usage"].clone());
            }
            _ => {}
        }
    }
    assembled
}

#[tokio::test]
async fn a_non_streaming_request_gets_one_response_object() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("Hello there!").with_usage(Usage::new(12, 3).with_cached_tokens(4)));

    let response = post_responses(&llm, &responses_body(false)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let mut object: Value = response.json().await.unwrap();
    let id = object["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("resp_"), "{id}");
    assert!(object["created_at"].as_u64().unwrap() > 1_700_000_000);
    let message_id = object["output"][0]["id"].as_str().unwrap().to_owned();
    assert!(message_id.starts_with("msg_"), "{message_id}");
    for key in ["id", "created_at"] {
        object.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(
        object,
        json!({
            "object": "response",
            "status": "completed",
            "background": false,
            "error": null,
            "incomplete_details": null,
            "instructions": "You are a test assistant.",
            "max_output_tokens": null,
            "model": "fake-model",
            "output": [{
                "id": message_id,
                "type": "message",
                "status": "completed",
                "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": "Hello there!"}],
                "role": "assistant",
            }],
            "parallel_tool_calls": true,
            "previous_response_id": null,
            "reasoning": {"effort": null, "summary": null},
            "store": false,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": {
                "input_tokens": 12,
                "input_tokens_details": {"cached_tokens": 4},
                "output_tokens": 3,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 15,
            },
            "user": null,
            "metadata": {},
        })
    );
    llm.assert_no_violations().unwrap();
    llm.assert_script_consumed().unwrap();
}

#[tokio::test]
async fn a_streamed_reply_numbers_its_events_and_names_them_twice() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("The quick fox."));

    let response = post_responses(&llm, &responses_body(true)).await;
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    let mut names = Vec::new();
    let mut events = Vec::new();
    for block in body.split("\n\n").filter(|block| !block.is_empty()) {
        let (name, data) = block
            .split_once('\n')
            .expect("an event line and a data line");
        names.push(name.strip_prefix("event: ").unwrap().to_owned());
        events.push(serde_json::from_str::<Value>(data.strip_prefix("data: ").unwrap()).unwrap());
    }
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(names, types, "the event line repeats the type");
    assert_eq!(
        types,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let numbers: Vec<u64> = events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (0..11).collect::<Vec<u64>>());
    assert_eq!(events[0]["response"]["status"], "in_progress");
    assert_eq!(events[0]["response"]["output"], json!([]));
    assert_eq!(events[0]["response"]["usage"], Value::Null);
    assert_eq!(events[0]["response"]["id"], events[10]["response"]["id"]);
    let assembled = assemble(&events);
    assert_eq!(assembled.text, "The quick fox.");
    assert_eq!(assembled.final_type.as_deref(), Some("response.completed"));
    assert_eq!(events[7]["text"], "The quick fox.");
    assert_eq!(
        events[10]["response"]["output"][0]["content"][0]["text"],
        "The quick fox."
    );
}

#[tokio::test]
async fn parallel_calls_stream_their_arguments_in_fragments() {
    let llm = FakeLlm::start().await.unwrap();
    let long = "a fairly long argument value that needs many fragments";
    llm.push(
        Turn::tool_calls([
            ToolCall::new("call_a", "read", json!({"path": "src/main.rs"})),
            ToolCall::new("call_b", "write", json!({"path": "o", "content": long})),
        ])
        .with_text("Let me look.")
        .with_usage(Usage::new(50, 20)),
    );

    let transcript = read_sse(post_responses(&llm, &responses_body(true)).await).await;
    let events: Vec<Value> = transcript.chunks();
    let fragments = events
        .iter()
        .filter(|e| e["type"] == "response.function_call_arguments.delta")
        .count();
    assert!(
        fragments > 8,
        "arguments arrive in fragments, got {fragments}"
    );
    let added: Vec<(&Value, &Value)> = events
        .iter()
        .filter(|e| e["type"] == "response.output_item.added")
        .map(|e| (&e["output_index"], &e["item"]["type"]))
        .collect();
    assert_eq!(
        added,
        [
            (&json!(0), &json!("message")),
            (&json!(1), &json!("function_call")),
            (&json!(2), &json!("function_call")),
        ]
    );
    let assembled = assemble(&events);
    assert_eq!(
        assembled,
        Assembled {
            reasoning: String::new(),
            text: "Let me look.".into(),
            calls: vec![
                (
                    "call_a".into(),
                    "read".into(),
                    r#"{"path":"src/main.rs"}"#.into()
                ),
                (
                    "call_b".into(),
                    "write".into(),
                    json!({"path": "o", "content": long}).to_string()
                ),
            ],
            final_type: Some("response.completed".into()),
            status: Some("completed".into()),
            usage: Some(json!({
                "input_tokens": 50,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 20,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 70,
            })),
        }
    );
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_item.done" && e["output_index"] == 1)
        .unwrap();
    assert_eq!(done["item"]["arguments"], r#"{"path":"src/main.rs"}"#);
    assert!(
        done["item"]["id"].as_str().unwrap().starts_with("fc_"),
        "{done}"
    );
}

#[tokio::test]
async fn thinking_becomes_a_reasoning_item_encrypted_only_on_request() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("42").with_thinking("Let me think."));
    llm.push(Turn::text("42").with_thinking("Again."));

    let mut body = responses_body(true);
    body["include"] = json!(["reasoning.encrypted_content"]);
    let events = read_sse(post_responses(&llm, &body).await).await.chunks();
    assert_eq!(assemble(&events).reasoning, "Let me think.");
    let reasoning = events
        .iter()
        .find(|e| e["type"] == "response.output_item.done" && e["item"]["type"] == "reasoning")
        .map(|e| e["item"].clone())
        .unwrap();
    assert_eq!(
        reasoning["summary"],
        json!([{"type": "summary_text", "text": "Let me think."}])
    );
    assert!(reasoning["encrypted_content"].is_string(), "{reasoning}");

    let object: Value = post_responses(&llm, &responses_body(false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(object["output"][0]["type"], "reasoning");
    assert_eq!(object["output"][0].get("encrypted_content"), None);
    assert_eq!(object["output"][1]["content"][0]["text"], "42");
}

#[tokio::test]
async fn a_length_finish_ends_with_response_incomplete() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("cut sh").with_finish_reason(FinishReason::Length));
    let events = read_sse(post_responses(&llm, &responses_body(true)).await)
        .await
        .chunks();
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(last["response"]["status"], "incomplete");
    assert_eq!(
        last["response"]["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
}

#[tokio::test]
async fn a_tool_round_trip_passes_the_request_checks() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::tool_calls([ToolCall::new(
        "call_1",
        "read",
        json!({"path": "a"}),
    )]));
    llm.push(Turn::text("done"));

    let first = read_sse(post_responses(&llm, &responses_body(true)).await)
        .await
        .chunks();
    let call = first
        .iter()
        .find(|e| e["type"] == "response.output_item.done")
        .map(|e| e["item"].clone())
        .unwrap();
    let mut body = responses_body(true);
    let input = body["input"].as_array_mut().unwrap();
    input.push(json!({
        "type": "function_call", "id": call["id"], "call_id": call["call_id"],
        "name": call["name"], "arguments": call["arguments"],
    }));
    input.push(json!({"type": "function_call_output", "call_id": "call_1", "output": "A"}));
    let second = read_sse(post_responses(&llm, &body).await).await.chunks();
    assert_eq!(assemble(&second).text, "done");
    llm.assert_no_violations().unwrap();
    llm.assert_script_consumed().unwrap();
}

#[tokio::test]
async fn a_result_for_an_unknown_call_is_rejected_without_using_a_turn() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("never sent"));
    let mut body = responses_body(false);
    body["instructions"] = Value::Null;
    body["input"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "function_call_output", "call_id": "call_zzz", "output": "?"}));

    let response = post_responses(&llm, &body).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("call_zzz"), "{message}");
    assert_eq!(error["error"]["type"], "invalid_request_error");
    let kinds: Vec<ViolationKind> = llm.violations().into_iter().map(|v| v.kind).collect();
    assert_eq!(
        kinds,
        [
            ViolationKind::MissingSystemInstruction {
                field: "instructions".into()
            },
            ViolationKind::UnknownToolCallId {
                message_index: 1,
                tool_call_id: "call_zzz".into()
            },
        ]
    );
    assert_eq!(llm.pending_turns(), 1);
}

#[tokio::test]
async fn failures_use_the_openai_error_shape_and_delivery_options() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::error(429).retry_after(Duration::from_secs(2)));
    llm.push(Turn::malformed());
    llm.push(Turn::malformed());
    llm.push(Turn::text("one two three").split_every(5));
    llm.push(Turn::text("one two three").cut_mid_event(4));

    let response = post_responses(&llm, &responses_body(true)).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");

    let transcript = read_sse(post_responses(&llm, &responses_body(true)).await).await;
    assert_eq!(transcript.events.len(), 1);
    assert!(serde_json::from_str::<Value>(&transcript.events[0]).is_err());
    let text = post_responses(&llm, &responses_body(false))
        .await
        .text()
        .await
        .unwrap();
    assert!(text.starts_with("{\"id\":\"resp_"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());

    let transcript = read_sse(post_responses(&llm, &responses_body(true)).await).await;
    assert!(transcript.chunk_sizes.iter().all(|&size| size <= 5));
    assert_eq!(assemble(&transcript.chunks()).text, "one two three");

    // created, in_progress, item added, part added, then the cut inside the first delta.
    let transcript = read_sse(post_responses(&llm, &responses_body(true)).await).await;
    assert!(transcript.error.is_some(), "the connection is cut");
    assert_eq!(transcript.events.len(), 4);
    assert!(transcript.trailing.contains("response.output_text.delta"));
    llm.assert_script_consumed().unwrap();
}
