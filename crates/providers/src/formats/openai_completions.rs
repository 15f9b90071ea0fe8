//! `openai-completions`: `POST {base}/chat/completions` with `stream: true`, the format OpenAI
//! and most OpenAI-compatible servers (OpenRouter, Groq, DeepSeek, vLLM, LM Studio, …) speak.
//!
//! The request follows pi-ai's mapping so that transcripts written by OpenClaw replay the same
//! way: the system prompt is the first message (`developer` for OpenAI's own reasoning models),
//! tool results are `tool` messages, and thinking is echoed back only to the model that wrote it,
//! under the delta field it arrived in (`reasoning_content`, `reasoning`, `reasoning_text`),
//! which is what the thinking block's signature records. Compatible servers differ in what they
//! accept beyond the common core, so OpenAI-only fields (`store`, `prompt_cache_key`,
//! `max_completion_tokens`) are sent to OpenAI's own host only.
//!
//! The stream is a role delta, content / reasoning / tool-call deltas (a call's index, id and
//! name first, then argument fragments), a chunk with the finish reason, a usage chunk with
//! empty `choices`, and `data: [DONE]`. The stop event is held back until `[DONE]` (or the end
//! of the body after a finish reason), so the usage that follows the finish reason comes first.
//!
//! The `pub(super)` helpers here (effort levels, error objects, call ids, image helpers) are
//! OpenAI's vocabulary, which `openai_responses` shares.

use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{ContentBlock, ImageContent, MessageContent, StopReason};
use serde_json::{Map, Value, json};

use crate::error::ProviderError;
use crate::event::{StreamEvent, TokenUsage};
use crate::formats::decode::{self, CallIds};
use crate::formats::history::{self, Assistant, IMAGE_OMITTED, Replayed, ToolAnswer};
use crate::formats::{WireDecoder, WireRequest};
use crate::framing::{Frame, Framing};
use crate::model::{Modality, ModelSpec, Target};
use crate::request::ModelRequest;

/// The delta fields compatible servers stream reasoning in, in order of preference (some send
/// the same text in two of them).
const REASONING_FIELDS: [&str; 3] = ["reasoning_content", "reasoning", "reasoning_text"];

/// Introduces the images of tool results, which the format only allows in user messages.
pub(super) const TOOL_IMAGES_INTRO: &str = "Attached image(s) from tool result:";

/// Whether `base_url` is OpenAI's own API, which accepts fields compatible servers may reject.
pub(super) fn is_openai_host(base_url: &str) -> bool {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    host.eq_ignore_ascii_case("api.openai.com")
}

/// The `reasoning_effort` for `thinking`, or `None` to leave the model's default. `xhigh`
/// exists from GPT-5.2 on; older models get `high`.
pub(super) fn reasoning_effort(
    model: &ModelSpec,
    thinking: &ThinkingLevel,
) -> Option<&'static str> {
    if !model.reasoning {
        return None;
    }
    match thinking {
        ThinkingLevel::Off => None,
        ThinkingLevel::Minimal => Some("minimal"),
        ThinkingLevel::Low => Some("low"),
        ThinkingLevel::Medium => Some("medium"),
        ThinkingLevel::High => Some("high"),
        ThinkingLevel::Xhigh if supports_xhigh(&model.id) => Some("xhigh"),
        ThinkingLevel::Xhigh => Some("high"),
        ThinkingLevel::Unknown(level) => {
            tracing::debug!(level, "no reasoning effort for an unknown thinking level");
            None
        }
    }
}

/// `gpt-5.2` and later minor versions (`gpt-5.10` included).
fn supports_xhigh(model_id: &str) -> bool {
    model_id.split("gpt-5.").skip(1).any(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().is_ok_and(|minor| minor >= 2)
    })
}

/// The completion cap: the request's, else the model's; `0` means unset in both.
pub(super) fn completion_cap(model: &ModelSpec, request: &ModelRequest) -> Option<u64> {
    [request.max_tokens, Some(model.max_tokens)]
        .into_iter()
        .flatten()
        .find(|cap| *cap > 0)
}

/// The call id the wire sees. OpenAI responses ids are stored as `call_id|item_id` (pi-ai's
/// convention); only the first part identifies the call.
pub(super) fn wire_call_id(id: &str) -> &str {
    id.split_once('|').map_or(id, |(call, _)| call)
}

/// An inline image as a `data:` URL.
pub(super) fn data_url(image: &ImageContent) -> String {
    format!("data:{};base64,{}", image.mime_type, image.data)
}

/// The error for an OpenAI `error` object (or string) reported inside a stream.
pub(super) fn stream_error(provider: &str, error: &Value) -> ProviderError {
    let message = match error {
        Value::String(message) => message.clone(),
        _ => error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("the provider reported an error without a message")
            .to_owned(),
    };
    let code = ["code", "type"]
        .iter()
        .filter_map(|key| error.get(key))
        .find_map(|code| match code {
            Value::String(code) => Some(code.clone()),
            Value::Number(code) => Some(code.to_string()),
            _ => None,
        });
    ProviderError::Stream {
        provider: provider.to_owned(),
        message,
        code,
    }
}

/// The base URL without a trailing slash, or an error when none is configured.
pub(super) fn base_url(model: &ModelSpec) -> Result<&str, ProviderError> {
    let base = model.base_url.trim_end_matches('/');
    if base.is_empty() {
        return Err(ProviderError::InvalidRequest {
            provider: model.provider.clone(),
            detail: format!("model {} has no base URL", model.reference()),
        });
    }
    Ok(base)
}

/// Builds the streamed chat-completions request.
pub(crate) fn build(target: &Target, request: &ModelRequest) -> Result<WireRequest, ProviderError> {
    let model = &target.model;
    let base = base_url(model)?;
    let openai = is_openai_host(base);
    let mut body = Map::new();
    body.insert("model".into(), model.id.clone().into());
    body.insert(
        "messages".into(),
        Value::Array(messages(model, request, openai)),
    );
    body.insert("stream".into(), true.into());
    body.insert("stream_options".into(), json!({"include_usage": true}));
    if let Some(cap) = completion_cap(model, request) {
        // OpenAI deprecated `max_tokens` and rejects it for reasoning models; compatible
        // servers do not all know its replacement.
        let field = if openai {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(field.into(), cap.into());
    }
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), temperature.into());
    }
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
    if let Some(effort) = reasoning_effort(model, &request.thinking) {
        body.insert("reasoning_effort".into(), effort.into());
    }
    if openai {
        body.insert("store".into(), false.into());
        if let Some(key) = &request.cache_key {
            body.insert("prompt_cache_key".into(), key.clone().into());
        }
    }
    for (key, value) in &request.params {
        body.insert(key.clone(), value.clone());
    }
    Ok(WireRequest {
        url: format!("{base}/chat/completions"),
        headers: Vec::new(),
        body: Value::Object(body),
        framing: Framing::Sse,
    })
}

fn messages(model: &ModelSpec, request: &ModelRequest, openai: bool) -> Vec<Value> {
    let mut out = Vec::new();
    if !request.system.is_empty() {
        let role = if model.reasoning && openai {
            "developer"
        } else {
            "system"
        };
        out.push(json!({"role": role, "content": request.system}));
    }
    let images = model.input.contains(&Modality::Image);
    // Images of a run of tool results, sent after the run: a user message between two tool
    // messages would cut the answers to one assistant turn apart.
    let mut tool_images: Vec<Value> = Vec::new();
    for replayed in history::replay(&request.messages, model) {
        if !matches!(replayed, Replayed::ToolResult(_)) && !tool_images.is_empty() {
            out.push(tool_images_message(std::mem::take(&mut tool_images)));
        }
        match replayed {
            Replayed::User(user) => out.push(json!({
                "role": "user",
                "content": user_content(&user.content, images),
            })),
            Replayed::Assistant(assistant) => out.extend(assistant_message(assistant)),
            Replayed::ToolResult(answer) => {
                out.push(tool_message(&answer, images));
                if images {
                    tool_images.extend(answer.images().map(image_part));
                }
            }
        }
    }
    if !tool_images.is_empty() {
        out.push(tool_images_message(tool_images));
    }
    out
}

fn image_part(image: &ImageContent) -> Value {
    json!({"type": "image_url", "image_url": {"url": data_url(image)}})
}

fn user_content(content: &MessageContent, images: bool) -> Value {
    match content {
        MessageContent::Text(text) => Value::String(text.clone()),
        MessageContent::Blocks(blocks) => Value::Array(
            blocks
                .iter()
                .filter_map(|block| match block {
                    ContentBlock::Text(text) => Some(json!({"type": "text", "text": text.text})),
                    ContentBlock::Image(image) if images => Some(image_part(image)),
                    ContentBlock::Image(_) => Some(json!({"type": "text", "text": IMAGE_OMITTED})),
                    ContentBlock::Thinking(_)
                    | ContentBlock::ToolCall(_)
                    | ContentBlock::Unknown(_) => None,
                })
                .collect(),
        ),
    }
}

/// The assistant message, or `None` for a reply with nothing the format can carry.
fn assistant_message(assistant: Assistant<'_>) -> Option<Value> {
    let mut texts: Vec<&str> = Vec::new();
    let mut reasoning: Option<(&str, Vec<&str>)> = None;
    let mut calls = Vec::new();
    for block in &assistant.message.content {
        match block {
            ContentBlock::Text(text) if !text.text.is_empty() => texts.push(&text.text),
            ContentBlock::Thinking(thinking) if thinking.redacted == Some(true) => {}
            ContentBlock::Thinking(thinking) if assistant.same_model => {
                // Echoed under the field it streamed in; other signatures mean nothing here.
                let field = thinking
                    .thinking_signature
                    .as_deref()
                    .and_then(|signature| REASONING_FIELDS.iter().find(|f| **f == signature));
                if let Some(field) = field {
                    reasoning
                        .get_or_insert_with(|| (field, Vec::new()))
                        .1
                        .push(&thinking.thinking);
                }
            }
            // Another model's reasoning is shown as what it said, as pi-ai does.
            ContentBlock::Thinking(thinking) if !thinking.thinking.trim().is_empty() => {
                texts.push(&thinking.thinking)
            }
            ContentBlock::ToolCall(call) => calls.push(json!({
                "id": wire_call_id(&call.id),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments.to_string()},
            })),
            ContentBlock::Text(_)
            | ContentBlock::Thinking(_)
            | ContentBlock::Image(_)
            | ContentBlock::Unknown(_) => {}
        }
    }
    if texts.is_empty() && calls.is_empty() {
        // Providers reject assistant messages with neither content nor tool calls.
        return None;
    }
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    message.insert(
        "content".into(),
        if texts.is_empty() {
            Value::Null
        } else {
            texts.join("\n\n").into()
        },
    );
    if let Some((field, parts)) = reasoning {
        message.insert((*field).into(), parts.join("\n").into());
    }
    if !calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    Some(Value::Object(message))
}

fn tool_message(answer: &ToolAnswer<'_>, images: bool) -> Value {
    let mut text = answer.text();
    let has_images = answer.images().next().is_some();
    if has_images && !images {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(IMAGE_OMITTED);
    } else if text.is_empty() {
        text.push_str(if has_images {
            "(see attached image)"
        } else {
            "(no output)"
        });
    }
    json!({"role": "tool", "tool_call_id": wire_call_id(answer.call_id), "content": text})
}

fn tool_images_message(images: Vec<Value>) -> Value {
    let mut content = vec![json!({"type": "text", "text": TOOL_IMAGES_INTRO})];
    content.extend(images);
    json!({"role": "user", "content": content})
}

/// A tool call of the response being decoded.
#[derive(Debug)]
struct OpenCall {
    /// The provider's `index`, when it sent one.
    wire_index: Option<u64>,
    id: String,
}

/// Decodes `chat.completion.chunk` events.
pub(crate) struct Decoder {
    provider: String,
    sent_id: bool,
    /// Calls in the order they opened; the position is the event index.
    calls: Vec<OpenCall>,
    ids: CallIds,
    /// The delta field of the thinking block being streamed, if one is open.
    thinking: Option<&'static str>,
    finish: Option<StopReason>,
    stopped: bool,
}

impl Decoder {
    /// A decoder for one response from `target`.
    pub(crate) fn new(target: &Target) -> Self {
        Self {
            provider: target.model.provider.clone(),
            sent_id: false,
            calls: Vec::new(),
            ids: CallIds::new(),
            thinking: None,
            finish: None,
            stopped: false,
        }
    }

    fn chunk(&mut self, chunk: &Value) -> Result<Vec<StreamEvent>, ProviderError> {
        if let Some(error) = chunk.get("error").filter(|error| !error.is_null()) {
            return Err(stream_error(&self.provider, error));
        }
        let mut events = Vec::new();
        if !self.sent_id
            && let Some(id) = chunk
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
        {
            self.sent_id = true;
            events.push(StreamEvent::ResponseId(id.to_owned()));
        }
        // Requests ask for one choice; `n > 1` is not something an agent sends.
        let choice = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|choices| choices.first());
        if let Some(choice) = choice {
            if let Some(delta) = choice.get("delta") {
                self.delta(delta, &mut events);
            }
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                self.finish = Some(finish_reason(reason));
            }
        }
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            events.push(StreamEvent::Usage(token_usage(usage)));
        }
        Ok(events)
    }

    fn delta(&mut self, delta: &Value, events: &mut Vec<StreamEvent>) {
        let reasoning = REASONING_FIELDS.iter().find_map(|field| {
            delta
                .get(field)
                .and_then(Value::as_str)
                .filter(|text| !text.is_empty())
                .map(|text| (*field, text))
        });
        if let Some((field, text)) = reasoning {
            if self.thinking.is_some_and(|open| open != field) {
                events.extend(self.close_thinking());
            }
            self.thinking = Some(field);
            events.push(StreamEvent::ThinkingDelta(text.to_owned()));
        }
        if let Some(text) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
        {
            events.extend(self.close_thinking());
            events.push(StreamEvent::TextDelta(text.to_owned()));
        }
        let calls = delta.get("tool_calls").and_then(Value::as_array);
        for call in calls.into_iter().flatten() {
            self.tool_call_delta(call, events);
        }
    }

    fn tool_call_delta(&mut self, call: &Value, events: &mut Vec<StreamEvent>) {
        let wire_index = call.get("index").and_then(Value::as_u64);
        let id = call
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        let existing = match (wire_index, id) {
            (Some(wire), _) => self.calls.iter().position(|c| c.wire_index == Some(wire)),
            (None, Some(id)) => self.calls.iter().position(|c| c.id == id),
            // A fragment without index or id continues the latest call.
            (None, None) => self.calls.len().checked_sub(1),
        };
        // Some servers reuse index 0 for every call; a new id is a new call.
        let index = match existing {
            Some(index) if id.is_none_or(|id| id == self.calls[index].id) => index,
            _ => {
                events.extend(self.close_thinking());
                let index = self.calls.len();
                let id = self.ids.next(id);
                let name = call
                    .pointer("/function/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                events.push(StreamEvent::ToolCallStart {
                    index,
                    id: id.clone(),
                    name: name.to_owned(),
                });
                self.calls.push(OpenCall { wire_index, id });
                index
            }
        };
        if let Some(arguments) = call
            .pointer("/function/arguments")
            .and_then(Value::as_str)
            .filter(|arguments| !arguments.is_empty())
        {
            events.push(StreamEvent::ToolCallArgsDelta {
                index,
                delta: arguments.to_owned(),
            });
        }
    }

    fn close_thinking(&mut self) -> Option<StreamEvent> {
        self.thinking
            .take()
            .map(|field| StreamEvent::ThinkingSignature(field.to_owned()))
    }

    /// Closes the thinking block and every call, then stops.
    fn stop(&mut self) -> Vec<StreamEvent> {
        self.stopped = true;
        let mut events: Vec<StreamEvent> = self.close_thinking().into_iter().collect();
        events.extend((0..self.calls.len()).map(|index| StreamEvent::ToolCallEnd {
            index,
            thought_signature: None,
        }));
        // Some compatible servers say `stop` (or nothing) after calling tools; the calls are
        // what the caller must act on.
        let reason = match self.finish.take() {
            Some(StopReason::Stop) | None if !self.calls.is_empty() => StopReason::ToolUse,
            Some(reason) => reason,
            None => StopReason::Stop,
        };
        events.push(StreamEvent::Stop(reason));
        events
    }
}

fn finish_reason(reason: &str) -> StopReason {
    match reason {
        "length" => StopReason::Length,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "content_filter" => StopReason::Error,
        // `stop`, and the spellings of compatible servers (`eos`, `end_turn`, …).
        _ => StopReason::Stop,
    }
}

fn token_usage(usage: &Value) -> TokenUsage {
    let count = |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64);
    let prompt = count("/prompt_tokens").unwrap_or(0);
    // DeepSeek reports cache hits in a field of its own.
    let cached = count("/prompt_tokens_details/cached_tokens")
        .or_else(|| count("/prompt_cache_hit_tokens"))
        .unwrap_or(0);
    TokenUsage {
        input: prompt.saturating_sub(cached),
        output: count("/completion_tokens").unwrap_or(0),
        cache_read: cached,
        cache_write: 0,
    }
}

impl WireDecoder for Decoder {
    fn frame(&mut self, frame: Frame) -> Result<Vec<StreamEvent>, ProviderError> {
        let (_, data) = decode::payload(&frame);
        let data = data.trim();
        if data.is_empty() || self.stopped {
            return Ok(Vec::new());
        }
        if data == "[DONE]" {
            return Ok(self.stop());
        }
        let chunk = decode::parse(&self.provider, data)?;
        self.chunk(&chunk)
    }

    fn end(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        // A body that ends after the finish reason but without `[DONE]` is complete: some
        // compatible servers never send it.
        if !self.stopped && self.finish.is_some() {
            return Ok(self.stop());
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests;
