//! What the fake server saw: every request, kept for assertions after the fact.

use bytes::Bytes;
use serde_json::Value;

/// One HTTP request received by a fake LLM server, in arrival order.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Position in arrival order, starting at 0; [`Violation`](super::Violation)s refer to it.
    pub index: usize,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The request path without the query, e.g. `/v1/chat/completions`.
    pub path: String,
    /// The headers in arrival order, names lowercased, values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON, or `None` when it is empty or not JSON.
    pub body: Option<Value>,
    /// The body exactly as received.
    pub raw_body: Bytes,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body's `messages` array, or an empty slice when there is none.
    pub fn messages(&self) -> &[Value] {
        self.body
            .as_ref()
            .and_then(|body| body.get("messages"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The body's `model`, when it is a string.
    pub fn model(&self) -> Option<&str> {
        self.body.as_ref()?.get("model")?.as_str()
    }

    /// Whether the body asked for a streamed reply (`"stream": true`).
    pub fn is_stream(&self) -> bool {
        self.body
            .as_ref()
            .and_then(|body| body.get("stream"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The names of the tools offered in the body's `tools` array, in order, whatever the
    /// format: `function.name` (OpenAI chat, Ollama), `name` (Anthropic, OpenAI responses) or
    /// `functionDeclarations[].name` (Gemini).
    pub fn tool_names(&self) -> Vec<&str> {
        let tools = self
            .body
            .as_ref()
            .and_then(|body| body.get("tools"))
            .and_then(Value::as_array);
        tools
            .into_iter()
            .flatten()
            .flat_map(|tool| match tool.get("functionDeclarations") {
                Some(Value::Array(declarations)) => declarations
                    .iter()
                    .filter_map(|declaration| declaration.get("name").and_then(Value::as_str))
                    .collect(),
                _ => tool
                    .pointer("/function/name")
                    .or_else(|| tool.get("name"))
                    .and_then(Value::as_str)
                    .into_iter()
                    .collect::<Vec<_>>(),
            })
            .collect()
    }
}
