//! The fake LLM server driven by `reqwest` over loopback.

mod failures;
mod recording;
mod replies;
mod sse_reader;

use rustyclaw_testkit::FakeLlm;
use serde_json::{Value, json};

/// A minimal agent-shaped request: system prompt, one user message.
fn chat_body(stream: bool) -> Value {
    json!({
        "model": "fake-model",
        "messages": [
            {"role": "system", "content": "You are a test assistant."},
            {"role": "user", "content": "hi"},
        ],
        "stream": stream,
    })
}

async fn post_chat(llm: &FakeLlm, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/chat/completions", llm.base_url()))
        .json(body)
        .send()
        .await
        .expect("the fake server answers")
}

/// Removes the per-response `id` and `created` after checking their shape, so the rest can be
/// compared whole.
fn strip_id_and_created(value: &mut Value) {
    let object = value.as_object_mut().expect("a JSON object");
    let id = object.remove("id").expect("an id");
    assert!(
        id.as_str().is_some_and(|id| id.starts_with("chatcmpl-")),
        "unexpected id {id}"
    );
    let created = object.remove("created").expect("a created timestamp");
    assert!(created.as_u64().is_some_and(|secs| secs > 1_700_000_000));
}
