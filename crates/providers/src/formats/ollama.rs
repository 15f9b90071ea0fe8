//! `ollama`: Ollama's native chat API, `POST {base}/api/chat`, streamed as newline-delimited JSON.
//!
//! OpenClaw talks to Ollama natively rather than through its OpenAI-compatible `/v1` endpoint
//! (which loses tool calls when streaming), and so does this module: a base URL ending in `/v1`
//! is taken to mean the server's root. Messages are flat (`content` text, `images` as bare
//! base64, `tool_calls` with arguments as JSON objects, results as `tool` messages naming the
//! tool); the context size is sent as `num_ctx` because Ollama's small default silently cuts
//! long agent prompts.
//!
//! Each response line is a chunk `{message: {content, thinking?, tool_calls?}, done: false}`;
//! tool calls arrive whole and without ids (ids are minted here), and the last line has
//! `done: true` with the reason and token counts. An `{"error": "…"}` line reports a failure
//! after the 200.

use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{AgentMessage, ContentBlock, MessageContent, StopReason};
use serde_json::{Map, Value, json};

use crate::error::ProviderError;
use crate::event::{StreamEvent, TokenUsage};
use crate::formats::decode::{self, CallIds};
use crate::formats::history::{self, IMAGE_OMITTED, Replayed, ToolAnswer};
use crate::formats::{WireDecoder, WireRequest};
use crate::framing::{Frame, Framing};
use crate::model::{Modality, Target};
use crate::request::ModelRequest;

/// Builds the request.
pub(crate) fn build(target: &Target, request: &ModelRequest) -> Result<WireRequest, ProviderError> {
    let model = &target.model;
    let mut body = Map::new();
    body.insert("model".into(), json!(model.id));
    body.insert(
        "messages".into(),
        Value::Array(messages(target, &request.system, &request.messages)),
    );
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                    },
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("stream".into(), json!(true));
    // Thinking models think by default; without an explicit `false` they would keep doing so
    // when the user turned thinking off.
    if model.reasoning {
        body.insert(
            "think".into(),
            json!(!matches!(request.thinking, ThinkingLevel::Off)),
        );
    }
    let mut options = Map::new();
    let limit = request
        .max_tokens
        .or((model.max_tokens > 0).then_some(model.max_tokens));
    if let Some(limit) = limit {
        options.insert("num_predict".into(), json!(limit));
    }
    if let Some(temperature) = request.temperature {
        options.insert("temperature".into(), json!(temperature));
    }
    if model.context_window > 0 {
        options.insert("num_ctx".into(), json!(model.context_window));
    }
    body.insert("options".into(), Value::Object(options));
    for (key, value) in &request.params {
        body.insert(key.clone(), value.clone());
    }
    Ok(WireRequest {
        url: chat_url(&model.base_url),
        headers: Vec::new(),
        body: Value::Object(body),
        framing: Framing::NdJson,
    })
}

/// `{root}/api/chat`, where a base ending in `/v1` (the OpenAI-compatible endpoint) names the
/// same server's root.
fn chat_url(base: &str) -> String {
    format!("{}/api/chat", root(base))
}

/// The installed models of the server at `base`.
pub(super) fn tags_url(base: &str) -> String {
    format!("{}/api/tags", root(base))
}

/// The server's root: `base` without an OpenAI-style `/v1`.
fn root(base: &str) -> &str {
    let base = base.trim_end_matches('/');
    base.strip_suffix("/v1").unwrap_or(base)
}

fn accepts_images(target: &Target) -> bool {
    target.model.input.contains(&Modality::Image)
}

fn messages(target: &Target, system: &str, conversation: &[AgentMessage]) -> Vec<Value> {
    let mut out = Vec::new();
    if !system.is_empty() {
        out.push(json!({"role": "system", "content": system}));
    }
    for message in history::replay(conversation, &target.model) {
        match message {
            Replayed::User(user) => {
                let (text, images) = match &user.content {
                    MessageContent::Text(text) => (text.clone(), Vec::new()),
                    MessageContent::Blocks(blocks) => text_and_images(target, blocks),
                };
                let mut message = json!({"role": "user", "content": text});
                if !images.is_empty() {
                    message["images"] = json!(images);
                }
                out.push(message);
            }
            Replayed::Assistant(assistant) => {
                let mut texts = Vec::new();
                let mut calls = Vec::new();
                for block in &assistant.message.content {
                    match block {
                        ContentBlock::Text(text) => texts.push(text.text.as_str()),
                        ContentBlock::ToolCall(call) => {
                            let arguments = match &call.arguments {
                                Value::Object(_) => call.arguments.clone(),
                                _ => json!({}),
                            };
                            calls.push(
                                json!({"function": {"name": call.name, "arguments": arguments}}),
                            );
                        }
                        // Ollama's chat templates drop earlier reasoning anyway.
                        ContentBlock::Thinking(_)
                        | ContentBlock::Image(_)
                        | ContentBlock::Unknown(_) => {}
                    }
                }
                if texts.is_empty() && calls.is_empty() {
                    continue;
                }
                let mut message = json!({"role": "assistant", "content": texts.concat()});
                if !calls.is_empty() {
                    message["tool_calls"] = Value::Array(calls);
                }
                out.push(message);
            }
            Replayed::ToolResult(answer) => out.push(tool_message(target, &answer)),
        }
    }
    out
}

/// The text and the images (bare base64) of a user message; for models that do not accept
/// images, a notice in the text in place of each image.
fn text_and_images(target: &Target, blocks: &[ContentBlock]) -> (String, Vec<String>) {
    let mut texts = Vec::new();
    let mut images = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::Text(text) => texts.push(text.text.as_str()),
            ContentBlock::Image(image) if accepts_images(target) => images.push(image.data.clone()),
            ContentBlock::Image(_) => texts.push(IMAGE_OMITTED),
            _ => {}
        }
    }
    (texts.join("\n"), images)
}

fn tool_message(target: &Target, answer: &ToolAnswer<'_>) -> Value {
    let mut message = json!({
        "role": "tool",
        "content": answer.text(),
        "tool_name": answer.tool_name,
    });
    if accepts_images(target) {
        let images: Vec<&str> = answer.images().map(|image| image.data.as_str()).collect();
        if !images.is_empty() {
            message["images"] = json!(images);
        }
    }
    message
}

/// Decodes the JSON lines of one response.
pub(crate) struct Decoder {
    provider: String,
    ids: CallIds,
    calls: usize,
}

impl Decoder {
    /// A decoder for one response from `target`.
    pub(crate) fn new(target: &Target) -> Self {
        Self::with_ids(target, CallIds::new())
    }

    fn with_ids(target: &Target, ids: CallIds) -> Self {
        Self {
            provider: target.model.provider.clone(),
            ids,
            calls: 0,
        }
    }

    fn call(&mut self, call: &Value, events: &mut Vec<StreamEvent>) {
        let function = call.get("function").unwrap_or(&Value::Null);
        let index = self.calls;
        self.calls += 1;
        let provided = call.get("id").and_then(Value::as_str);
        events.push(StreamEvent::ToolCallStart {
            index,
            id: self.ids.next(provided),
            name: function
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        });
        // Arguments are an object; some model templates produce them as JSON text instead.
        let delta = match function.get("arguments") {
            Some(Value::String(text)) => text.clone(),
            Some(arguments) => arguments.to_string(),
            None => "{}".to_owned(),
        };
        events.push(StreamEvent::ToolCallArgsDelta { index, delta });
        events.push(StreamEvent::ToolCallEnd {
            index,
            thought_signature: None,
        });
    }
}

impl WireDecoder for Decoder {
    fn frame(&mut self, frame: Frame) -> Result<Vec<StreamEvent>, ProviderError> {
        let (_, data) = decode::payload(&frame);
        let chunk = decode::parse(&self.provider, data)?;
        if let Some(error) = chunk.get("error") {
            return Err(ProviderError::Stream {
                provider: self.provider.clone(),
                message: error
                    .as_str()
                    .map_or_else(|| error.to_string(), str::to_owned),
                code: None,
            });
        }
        if !chunk.is_object() {
            return Err(decode::unexpected(
                &self.provider,
                "a line that is not a JSON object",
                data,
            ));
        }
        let mut events = Vec::new();
        let message = chunk.get("message").unwrap_or(&Value::Null);
        let text = |key: &str| {
            message
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        // Older servers and some models name the reasoning field `reasoning`.
        if let Some(thinking) = text("thinking").or_else(|| text("reasoning")) {
            events.push(StreamEvent::ThinkingDelta(thinking));
        }
        if let Some(content) = text("content") {
            events.push(StreamEvent::TextDelta(content));
        }
        if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
            for call in calls {
                self.call(call, &mut events);
            }
        }
        if chunk.get("done").and_then(Value::as_bool) == Some(true) {
            let count = |key: &str| chunk.get(key).and_then(Value::as_u64).unwrap_or(0);
            events.push(StreamEvent::Usage(TokenUsage {
                input: count("prompt_eval_count"),
                output: count("eval_count"),
                cache_read: 0,
                cache_write: 0,
            }));
            let reason = chunk.get("done_reason").and_then(Value::as_str);
            events.push(StreamEvent::Stop(match reason {
                Some("length") => StopReason::Length,
                _ if self.calls > 0 => StopReason::ToolUse,
                // `stop`, `load`, `unload` and reasons added later.
                _ => StopReason::Stop,
            }));
        }
        Ok(events)
    }

    fn end(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests;
