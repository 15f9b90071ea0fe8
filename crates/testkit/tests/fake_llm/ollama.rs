//! The Ollama native chat route, `POST /api/chat`: NDJSON streams, plain replies, request
//! checks and failures.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::ViolationKind;
use rustyclaw_testkit::{FakeLlm, ToolCall, Turn, Usage};
use serde_json::{Value, json};

use super::event_reader::ndjson_lines;
use super::http;

/// A minimal agent-shaped request; `stream` is left out, so Ollama's default (streaming)
/// applies.
fn chat_body() -> Value {
    json!({
        "model": "qwen3:8b",
        "messages": [
            {"role": "system", "content": "You are a test assistant."},
            {"role": "user", "content": "hi"},
        ],
    })
}

async fn post_chat(llm: &FakeLlm, body: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/api/chat", llm.origin()))
        .json(body)
        .send()
        .await
        .expect("the fake server answers")
}

#[tokio::test]
async fn a_stream_is_ndjson_ending_with_a_done_line() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(
        Turn::text("Reading.")
            .with_thinking("Need it.")
            .with_tool_call(ToolCall::new("x", "read", json!({"path": "a.txt"})))
            .with_usage(Usage::new(300, 20)),
    );
    let response = post_chat(&llm, &chat_body()).await;
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let lines = ndjson_lines(&response.text().await.unwrap());
    let messages: Vec<&Value> = lines.iter().map(|line| &line["message"]).collect();
    assert_eq!(
        messages[..3],
        [
            &json!({"role": "assistant", "content": "", "thinking": "Need"}),
            &json!({"role": "assistant", "content": "", "thinking": " it."}),
            &json!({"role": "assistant", "content": "Reading."}),
        ]
    );
    assert_eq!(
        messages[3]["tool_calls"],
        json!([{"function": {"index": 0, "name": "read", "arguments": {"path": "a.txt"}}}])
    );
    let last = lines.last().unwrap();
    assert_eq!(last["done"], true);
    assert_eq!(last["done_reason"], "stop");
    assert_eq!(last["prompt_eval_count"], 300);
    assert_eq!(last["eval_count"], 20);
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|line| line["done"] == false)
    );
    assert!(lines.iter().all(|line| line["model"] == "qwen3:8b"));
    llm.assert_no_violations().unwrap();
}

#[tokio::test]
async fn stream_false_gets_one_object_with_the_whole_message() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("Hello there."));
    let mut body = chat_body();
    body["stream"] = json!(false);
    let response = post_chat(&llm, &body).await;
    assert!(response.headers().get("content-length").is_some());
    let reply: Value = response.json().await.unwrap();
    assert_eq!(
        reply["message"],
        json!({"role": "assistant", "content": "Hello there."})
    );
    assert_eq!(reply["done"], true);
}

#[tokio::test]
async fn tool_messages_must_answer_the_calls_before_them() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("fine"));
    let mut body = chat_body();
    body["messages"] = json!([
        {"role": "system", "content": "s"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "read", "arguments": {}}}]},
        {"role": "tool", "content": "ok", "tool_name": "read"},
        {"role": "tool", "content": "?", "tool_name": "exec"},
    ]);
    let response = post_chat(&llm, &body).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("\"exec\""),
        "{error}"
    );
    assert_eq!(
        llm.violations()[0].kind,
        ViolationKind::UnknownToolCallId {
            message_index: 4,
            tool_call_id: "exec".into()
        }
    );
}

#[tokio::test]
async fn errors_are_a_bare_message() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::error(429).retry_after(Duration::from_secs(1)));
    llm.push(Turn::error(404).message("model \"nope\" not found, try pulling it first"));
    let response = post_chat(&llm, &chat_body()).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "too many requests, please try again later"})
    );
    let response = post_chat(&llm, &chat_body()).await;
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "model \"nope\" not found, try pulling it first"})
    );
}

#[tokio::test]
async fn a_cut_stream_ends_inside_a_line() {
    let llm = FakeLlm::start().await.unwrap();
    // Lines: "one", " two", " three", done; the cut falls inside " two".
    llm.push(Turn::text("one two three").cut_mid_event(1));
    let mut response = post_chat(&llm, &chat_body()).await;
    let mut body = Vec::new();
    let error = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break None,
            Err(error) => break Some(error),
        }
    };
    assert!(error.is_some(), "the client sees a transport error");
    let body = String::from_utf8(body).unwrap();
    assert_eq!(body.lines().count(), 2, "{body}");
    assert!(!body.ends_with('\n'));
}
