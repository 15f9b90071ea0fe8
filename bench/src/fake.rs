//! The fake model both gateways talk to, on loopback: an OpenAI-compatible server (the
//! testkit's) that answers every request at once, or streams a realistic reply, and turns the
//! benchmark's tool prompt into one `exec` call of `true`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use rustyclaw_testkit::fake_llm::{
    FakeLlm, FakeLlmOptions, OnViolation, RecordedRequest, Responder, SystemPrompt, ToolCall, Turn,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The user message that makes the fake model call `exec` with `true`.
pub const TOOL_PROMPT: &str = "Benchmark: run the command true with the exec tool.";

/// A user message the fake model answers slowly, a word every [`SLOW_GAP`] for a minute: a
/// reply long enough to be aborted while it streams.
pub const SLOW_PROMPT: &str = "Take your time with this one.";
/// The first word of the slow reply.
pub const SLOW_FIRST_WORD: &str = "Slowly";
/// Gap between the slow reply's words.
pub const SLOW_GAP: Duration = Duration::from_millis(500);

/// The instant reply.
pub const INSTANT_REPLY: &str = "Hello from the fake LLM.";

/// How the model answers a plain message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The whole reply in the first response bytes.
    Instant,
    /// [`STREAMED_WORDS`] words, one SSE delta every [`STREAMED_GAP`], like a model writing
    /// about 100 tokens a second.
    Streamed,
    /// A long reply ([`LARGE_DELTAS`] deltas of [`LARGE_DELTA_BYTES`], about 100 KB) sent as
    /// fast as the socket takes it: what makes a slow client's backlog grow.
    Large,
}

/// Deltas in the large reply.
pub const LARGE_DELTAS: usize = 100;
/// Bytes per delta of the large reply.
pub const LARGE_DELTA_BYTES: usize = 1000;

/// Words in the streamed reply.
pub const STREAMED_WORDS: usize = 24;
/// Gap between streamed deltas.
pub const STREAMED_GAP: Duration = Duration::from_millis(10);

/// How long the model itself takes to stream a whole reply, measured with a plain HTTP/1.1
/// request from this process (what no gateway can be faster than): the median of five.
pub async fn model_time(base_url: &str) -> Result<Duration> {
    let authority = base_url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .context("the fake model's base URL is not http://host:port/…")?
        .to_owned();
    let body = json!({
        "model": "fake-model", "stream": true,
        "messages": [{"role": "system", "content": "Benchmark."},
                     {"role": "user", "content": "Hello"}],
    })
    .to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let mut stream = tokio::net::TcpStream::connect(&authority)
            .await
            .with_context(|| format!("connecting to the fake model at {authority}"))?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let text = String::from_utf8_lossy(&response);
        if !text.starts_with("HTTP/1.1 200") || !text.contains("[DONE]") {
            anyhow::bail!(
                "the fake model answered {}",
                text.lines().next().unwrap_or("")
            );
        }
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Starts the fake model on the current runtime.
pub async fn start(reply: Reply) -> Result<FakeLlm> {
    let calls = Arc::new(AtomicU64::new(0));
    let streamed_text = (1..=STREAMED_WORDS)
        .map(|i| format!("word{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    // Words of ten characters, so the deltas split like model tokens would.
    let large_piece = "lorem ips ".repeat(LARGE_DELTA_BYTES / 10);
    let responder = Responder::new(move |request| {
        if last_is_tool_result(request) {
            return Turn::text("The command finished.").into();
        }
        if last_user_text(request).contains(SLOW_PROMPT) {
            let words = std::iter::once(format!("{SLOW_FIRST_WORD} "))
                .chain((1..120).map(|i| format!("word{i} ")));
            return Turn::text_deltas(words).chunk_delay(SLOW_GAP).into();
        }
        if last_user_text(request).contains(TOOL_PROMPT) {
            let n = calls.fetch_add(1, Ordering::Relaxed);
            let call = ToolCall::new(&format!("call_{n}"), "exec", json!({"command": "true"}));
            return Turn::tool_calls([call]).into();
        }
        match reply {
            Reply::Instant => Turn::text(INSTANT_REPLY).into(),
            Reply::Streamed => Turn::text(&streamed_text).chunk_delay(STREAMED_GAP).into(),
            Reply::Large => {
                Turn::text_deltas(std::iter::repeat_n(large_piece.as_str(), LARGE_DELTAS)).into()
            }
        }
    });
    FakeLlm::start_with(FakeLlmOptions {
        // Both gateways' requests are well formed; a long benchmark should not stop at a
        // quirk of one of them, and keeps no request log (its memory would grow with the run).
        on_violation: OnViolation::Record,
        system_prompt: SystemPrompt::Optional,
        responder: Some(responder),
        keep_requests: false,
        ..FakeLlmOptions::default()
    })
    .await
    .context("starting the fake LLM")
}

fn last_is_tool_result(request: &RecordedRequest) -> bool {
    request
        .messages()
        .last()
        .is_some_and(|m| m["role"] == "tool")
}

/// The text of the user messages since the last assistant message, whether strings or
/// content parts (OpenClaw sends the prompt, then a second user message with context).
fn last_user_text(request: &RecordedRequest) -> String {
    request
        .messages()
        .iter()
        .rev()
        .take_while(|m| m["role"] != "assistant")
        .filter(|m| m["role"] == "user")
        .flat_map(|m| match &m["content"] {
            Value::String(text) => vec![text.clone()],
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
