//! The Gemini routes, `POST /v1beta/models/{model}:streamGenerateContent` and
//! `:generateContent`: the three delivery modes, request checks and failures.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::{FinishReason, ViolationKind};
use rustyclaw_testkit::{FakeLlm, ToolCall, Turn, Usage};
use serde_json::{Value, json};

use super::event_reader::sse_events;
use super::http;

/// A minimal agent-shaped request.
fn generate_body() -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": "You are a test assistant."}]},
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
    })
}

async fn post(llm: &FakeLlm, method: &str, body: &Value) -> reqwest::Response {
    http()
        .post(format!(
            "{}/v1beta/models/gemini-test:{method}",
            llm.origin()
        ))
        .header("x-goog-api-key", "test-key")
        .json(body)
        .send()
        .await
        .expect("the fake server answers")
}

/// Every part of every chunk, in order.
fn parts(chunks: &[Value]) -> Vec<Value> {
    chunks
        .iter()
        .flat_map(|chunk| {
            chunk["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn an_sse_stream_has_geminis_chunks_and_crlf_separators() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(
        Turn::text("Hi there")
            .with_thinking("Greeting.")
            .with_usage(
                Usage::new(40, 12)
                    .with_reasoning_tokens(4)
                    .with_cached_tokens(30),
            ),
    );
    let response = post(&llm, "streamGenerateContent?alt=sse", &generate_body()).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("}\r\n\r\ndata: "), "CRLF separators: {body}");
    let chunks: Vec<Value> = sse_events(&body).into_iter().map(|e| e.data).collect();
    assert_eq!(
        parts(&chunks),
        [
            json!({"text": "Greeting.", "thought": true, "thoughtSignature": "ZmFrZS10aG91Z2h0LXNpZ25hdHVyZQ=="}),
            json!({"text": "Hi"}),
            json!({"text": " there"}),
        ]
    );
    let last = chunks.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["usageMetadata"],
        json!({
            "promptTokenCount": 40,
            "candidatesTokenCount": 8,
            "thoughtsTokenCount": 4,
            "cachedContentTokenCount": 30,
            "totalTokenCount": 52,
        })
    );
    assert_eq!(last["modelVersion"], "gemini-test");
    for chunk in &chunks[..chunks.len() - 1] {
        assert!(chunk["candidates"][0].get("finishReason").is_none());
        assert_eq!(chunk["responseId"], last["responseId"]);
    }
    llm.assert_no_violations().unwrap();
}

#[tokio::test]
async fn function_calls_come_whole_and_the_reply_to_them_is_checked() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::tool_calls([
        ToolCall::new("ignored_1", "read", json!({"path": "a.txt"})),
        ToolCall::new("ignored_2", "exec", json!({"cmd": "ls"})),
    ]));
    llm.push(Turn::text("Both done."));
    let body = post(&llm, "streamGenerateContent?alt=sse", &generate_body())
        .await
        .text()
        .await
        .unwrap();
    let chunks: Vec<Value> = sse_events(&body).into_iter().map(|e| e.data).collect();
    assert_eq!(chunks.len(), 1, "all calls and the finish in one chunk");
    assert_eq!(
        parts(&chunks),
        [
            json!({"functionCall": {"name": "read", "args": {"path": "a.txt"}}}),
            json!({"functionCall": {"name": "exec", "args": {"cmd": "ls"}}}),
        ]
    );
    assert_eq!(chunks[0]["candidates"][0]["finishReason"], "STOP");

    let mut follow_up = generate_body();
    follow_up["contents"] = json!([
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": parts(&chunks)},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "exec", "response": {"output": "a.txt"}}},
            {"functionResponse": {"name": "read", "response": {"error": "denied"}}},
        ]},
    ]);
    let response = post(&llm, "streamGenerateContent?alt=sse", &follow_up).await;
    assert_eq!(response.status(), 200);
    llm.assert_no_violations().unwrap();
    llm.assert_script_consumed().unwrap();
}

#[tokio::test]
async fn without_alt_sse_the_chunks_form_a_json_array_and_generate_content_is_whole() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("one two").split_every(5));
    llm.push(Turn::text("one two").with_finish_reason(FinishReason::Length));
    let array: Value = post(&llm, "streamGenerateContent", &generate_body())
        .await
        .json()
        .await
        .unwrap();
    let chunks = array.as_array().unwrap();
    assert_eq!(
        parts(chunks),
        [json!({"text": "one"}), json!({"text": " two"})]
    );

    let whole: Value = post(&llm, "generateContent", &generate_body())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        whole["candidates"][0]["content"],
        json!({"parts": [{"text": "one"}, {"text": " two"}], "role": "model"})
    );
    assert_eq!(whole["candidates"][0]["finishReason"], "MAX_TOKENS");
}

#[tokio::test]
async fn errors_use_googles_error_body() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::error(429).retry_after(Duration::from_millis(2500)));
    let response = post(&llm, "streamGenerateContent?alt=sse", &generate_body()).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
        }})
    );
}

#[tokio::test]
async fn broken_requests_and_unknown_methods_are_refused() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("never sent"));
    let mut body = generate_body();
    body.as_object_mut().unwrap().remove("systemInstruction");
    let response = post(&llm, "streamGenerateContent?alt=sse", &body).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        llm.violations()[0].kind,
        ViolationKind::MissingSystemInstruction {
            field: "systemInstruction".into()
        }
    );

    let response = post(&llm, "countTokens", &generate_body()).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        llm.requests().last().unwrap().path,
        "/v1beta/models/gemini-test:countTokens"
    );
    assert_eq!(llm.pending_turns(), 1);
}

#[tokio::test]
async fn a_malformed_turn_sends_a_chunk_that_never_closes() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::malformed());
    let body = post(&llm, "streamGenerateContent?alt=sse", &generate_body())
        .await
        .text()
        .await
        .unwrap();
    let data = body.trim_end().strip_prefix("data: ").unwrap();
    assert!(serde_json::from_str::<Value>(data).is_err(), "{body}");
}
