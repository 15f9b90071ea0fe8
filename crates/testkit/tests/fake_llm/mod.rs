//! The fake LLM server driven by `reqwest` over loopback.

mod anthropic;
mod event_reader;
mod failures;
mod gemini;
mod ollama;
mod recording;
mod replies;
mod responses;
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

/// An HTTP client. The workspace builds reqwest with rustls but without a crypto provider
/// (the providers crate installs `ring`'s), so tests install it too; doing it twice is harmless.
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn post_chat(llm: &FakeLlm, body: &Value) -> reqwest::Response {
    http()
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
