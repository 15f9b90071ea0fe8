//! `anthropic-messages`: Anthropic's Messages API, `POST {base}/v1/messages`, streamed as SSE.
//!
//! The API is strict about conversation shape: roles alternate (consecutive messages of one role
//! are merged here), tool results are `tool_result` blocks of the user message right after the
//! `tool_use` turn, and thinking blocks go back only to the model that signed them (other
//! models' reasoning is replayed as plain text). The system block and the last user block carry
//! a `cache_control` marker, as pi-ai sets them, so the stable prefix (tools, system prompt,
//! history) is read from the prompt cache on the next turn.
//!
//! The response is a sequence of typed events: `message_start` (id, input usage),
//! `content_block_start`/`_delta`/`_stop` per block, `message_delta` (stop reason, output
//! usage), `message_stop`, with `ping` keep-alives and an `error` event for failures after the
//! 200.

use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{
    AgentMessage, ContentBlock, ImageContent, MessageContent, StopReason,
};
use serde_json::{Map, Value, json};

use crate::error::ProviderError;
use crate::event::{StreamEvent, TokenUsage};
use crate::formats::history::{self, Assistant, IMAGE_OMITTED, Replayed, ToolAnswer};
use crate::formats::{WireDecoder, WireRequest, decode};
use crate::framing::{Frame, Framing};
use crate::model::{Modality, ModelSpec, Target};
use crate::request::ModelRequest;

/// The API version every request pins.
pub(super) const API_VERSION: &str = "2023-06-01";

/// The smallest thinking budget the API accepts.
const MIN_THINKING_BUDGET: u64 = 1024;

/// Tokens kept for the answer when the thinking budget has to shrink to fit `max_tokens`.
const MIN_ANSWER_TOKENS: u64 = 1024;

/// Builds the request.
pub(crate) fn build(target: &Target, request: &ModelRequest) -> Result<WireRequest, ProviderError> {
    let model = &target.model;
    let requested = request.max_tokens.unwrap_or(model.max_tokens);
    if requested == 0 {
        return Err(ProviderError::InvalidRequest {
            provider: model.provider.clone(),
            detail: format!(
                "{} has no output limit; Anthropic requires max_tokens (set the model's maxTokens)",
                model.reference()
            ),
        });
    }
    let thinking = thinking(model, &request.thinking, requested);

    let mut body = Map::new();
    body.insert("model".into(), json!(model.id));
    body.insert(
        "max_tokens".into(),
        json!(thinking.as_ref().map_or(requested, |t| t.max_tokens)),
    );
    body.insert("stream".into(), json!(true));
    if !request.system.is_empty() {
        body.insert(
            "system".into(),
            json!([{"type": "text", "text": request.system, "cache_control": ephemeral()}]),
        );
    }
    body.insert(
        "messages".into(),
        Value::Array(messages(target, &request.messages)),
    );
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "input_schema": input_schema(&tool.parameters),
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    match thinking {
        Some(thinking) => {
            body.insert(
                "thinking".into(),
                json!({"type": "enabled", "budget_tokens": thinking.budget}),
            );
        }
        // The API rejects a temperature together with extended thinking.
        None => {
            if let Some(temperature) = request.temperature {
                body.insert("temperature".into(), json!(temperature));
            }
        }
    }
    for (key, value) in &request.params {
        body.insert(key.clone(), value.clone());
    }
    Ok(WireRequest {
        url: messages_url(&model.base_url),
        headers: vec![("anthropic-version".into(), API_VERSION.into())],
        body: Value::Object(body),
        framing: Framing::Sse,
    })
}

/// `{base}/v1/messages`, accepting a base that already ends in `/v1`.
fn messages_url(base: &str) -> String {
    format!("{}/messages", v1(base))
}

/// The model listing of the API at `base`.
pub(super) fn models_url(base: &str) -> String {
    format!("{}/models", v1(base))
}

/// `base` ending in `/v1`, whether or not it was written with it.
fn v1(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1") {
        base.to_owned()
    } else {
        format!("{base}/v1")
    }
}

fn ephemeral() -> Value {
    json!({"type": "ephemeral"})
}

/// Extended thinking settings for one request.
struct Thinking {
    budget: u64,
    max_tokens: u64,
}

/// The thinking budget for `level` (pi-ai's table), added on top of the answer's own limit
/// within the model's ceiling; `None` when the model does not reason, thinking is off, or the
/// budget cannot reach the API's minimum.
fn thinking(model: &ModelSpec, level: &ThinkingLevel, requested: u64) -> Option<Thinking> {
    if !model.reasoning {
        return None;
    }
    let budget: u64 = match level {
        ThinkingLevel::Off => return None,
        ThinkingLevel::Minimal => 1024,
        ThinkingLevel::Low => 2048,
        ThinkingLevel::Medium | ThinkingLevel::Unknown(_) => 8192,
        ThinkingLevel::High => 16384,
        ThinkingLevel::Xhigh => 32768,
    };
    let ceiling = if model.max_tokens > 0 {
        model.max_tokens
    } else {
        u64::MAX
    };
    let max_tokens = requested.saturating_add(budget).min(ceiling);
    // The budget must stay below max_tokens.
    let budget = if max_tokens <= budget {
        max_tokens.saturating_sub(MIN_ANSWER_TOKENS)
    } else {
        budget
    };
    (budget >= MIN_THINKING_BUDGET).then_some(Thinking { budget, max_tokens })
}

/// An object schema as the API wants it (`type: object` required).
fn input_schema(parameters: &Value) -> Value {
    match parameters {
        Value::Object(schema) => {
            let mut schema = schema.clone();
            schema
                .entry("type")
                .or_insert_with(|| Value::String("object".into()));
            Value::Object(schema)
        }
        _ => json!({"type": "object", "properties": {}}),
    }
}

/// One message under construction: its role and content blocks.
struct Turn {
    role: &'static str,
    blocks: Vec<Value>,
}

fn messages(target: &Target, conversation: &[AgentMessage]) -> Vec<Value> {
    let mut turns: Vec<Turn> = Vec::new();
    for message in history::replay(conversation, &target.model) {
        let (role, blocks) = match message {
            Replayed::User(user) => ("user", content_blocks(target, &user.content)),
            Replayed::Assistant(assistant) => ("assistant", assistant_blocks(assistant)),
            Replayed::ToolResult(answer) => ("user", vec![tool_result(target, &answer)]),
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => last.blocks.extend(blocks),
            _ => turns.push(Turn { role, blocks }),
        }
    }
    // The cache breakpoint on the newest user block caches the whole history for the next turn.
    if let Some(Turn {
        role: "user",
        blocks,
    }) = turns.last_mut()
        && let Some(Value::Object(block)) = blocks.last_mut()
    {
        block.insert("cache_control".into(), ephemeral());
    }
    turns
        .into_iter()
        .map(|turn| json!({"role": turn.role, "content": turn.blocks}))
        .collect()
}

fn accepts_images(target: &Target) -> bool {
    target.model.input.contains(&Modality::Image)
}

fn text_block(text: &str) -> Option<Value> {
    // The API rejects empty text blocks.
    (!text.trim().is_empty()).then(|| json!({"type": "text", "text": text}))
}

fn image_block(image: &ImageContent) -> Value {
    json!({
        "type": "image",
        "source": {"type": "base64", "media_type": image.mime_type, "data": image.data},
    })
}

/// Text and images of a user message; for models that do not accept images, a notice in
/// place of each image.
fn content_blocks(target: &Target, content: &MessageContent) -> Vec<Value> {
    match content {
        MessageContent::Text(text) => text_block(text).into_iter().collect(),
        MessageContent::Blocks(blocks) => blocks
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text(text) => text_block(&text.text),
                ContentBlock::Image(image) if accepts_images(target) => Some(image_block(image)),
                ContentBlock::Image(_) => text_block(IMAGE_OMITTED),
                _ => None,
            })
            .collect(),
    }
}

fn assistant_blocks(assistant: Assistant<'_>) -> Vec<Value> {
    let same_model = assistant.same_model;
    assistant
        .message
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text(text) => text_block(&text.text),
            ContentBlock::Thinking(thinking) if thinking.redacted == Some(true) => {
                match (&thinking.thinking_signature, same_model) {
                    (Some(data), true) => Some(json!({"type": "redacted_thinking", "data": data})),
                    _ => None,
                }
            }
            ContentBlock::Thinking(thinking) => match &thinking.thinking_signature {
                Some(signature) if same_model && !signature.is_empty() => Some(json!({
                    "type": "thinking",
                    "thinking": thinking.thinking,
                    "signature": signature,
                })),
                // Unsigned or foreign reasoning would be rejected as a thinking block; as text
                // the model still sees what was thought.
                _ => text_block(&thinking.thinking),
            },
            ContentBlock::ToolCall(call) => Some(json!({
                "type": "tool_use",
                "id": tool_use_id(&call.id),
                "name": call.name,
                "input": object_or_empty(&call.arguments),
            })),
            ContentBlock::Image(_) | ContentBlock::Unknown(_) => None,
        })
        .collect()
}

fn tool_result(target: &Target, answer: &ToolAnswer<'_>) -> Value {
    let mut block = Map::new();
    block.insert("type".into(), json!("tool_result"));
    block.insert("tool_use_id".into(), json!(tool_use_id(answer.call_id)));
    let images: Vec<Value> = if accepts_images(target) {
        answer.images().map(image_block).collect()
    } else {
        Vec::new()
    };
    let text = answer.text();
    if images.is_empty() {
        // `content` is optional; an empty string would be rejected.
        if !text.is_empty() {
            block.insert("content".into(), Value::String(text));
        }
    } else {
        let blocks: Vec<Value> = text_block(&text).into_iter().chain(images).collect();
        block.insert("content".into(), Value::Array(blocks));
    }
    block.insert("is_error".into(), json!(answer.is_error));
    Value::Object(block)
}

/// Tool-use ids must match `^[a-zA-Z0-9_-]{1,64}$`; ids minted by other providers (OpenAI
/// responses uses `|`) are mapped onto that alphabet, the same way for calls and results.
fn tool_use_id(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect()
}

fn object_or_empty(arguments: &Value) -> Value {
    match arguments {
        Value::Object(_) => arguments.clone(),
        _ => Value::Object(Map::new()),
    }
}

/// Decodes the SSE event stream of one response.
pub(crate) struct Decoder {
    provider: String,
    usage: TokenUsage,
    /// Block indexes of `tool_use` blocks not closed yet.
    open_calls: Vec<usize>,
    stop: Option<StopReason>,
    stopped: bool,
}

impl Decoder {
    /// A decoder for one response from `target`.
    pub(crate) fn new(target: &Target) -> Self {
        Self {
            provider: target.model.provider.clone(),
            usage: TokenUsage::default(),
            open_calls: Vec::new(),
            stop: None,
            stopped: false,
        }
    }

    fn usage(&mut self, usage: &Value) -> StreamEvent {
        let count = |key: &str| usage.get(key).and_then(Value::as_u64);
        if let Some(input) = count("input_tokens") {
            self.usage.input = input;
        }
        if let Some(output) = count("output_tokens") {
            self.usage.output = output;
        }
        if let Some(read) = count("cache_read_input_tokens") {
            self.usage.cache_read = read;
        }
        if let Some(write) = count("cache_creation_input_tokens") {
            self.usage.cache_write = write;
        }
        StreamEvent::Usage(self.usage)
    }

    fn block_start(&mut self, index: usize, block: &Value, events: &mut Vec<StreamEvent>) {
        let text = |key: &str| {
            block
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        match block.get("type").and_then(Value::as_str) {
            Some("text") => events.extend(text("text").map(StreamEvent::TextDelta)),
            Some("thinking") => {
                events.extend(text("thinking").map(StreamEvent::ThinkingDelta));
                events.extend(text("signature").map(StreamEvent::ThinkingSignature));
            }
            Some("redacted_thinking") => {
                events.push(StreamEvent::RedactedThinking(
                    text("data").unwrap_or_default(),
                ));
            }
            Some("tool_use") => {
                self.open_calls.push(index);
                events.push(StreamEvent::ToolCallStart {
                    index,
                    id: text("id").unwrap_or_default(),
                    name: text("name").unwrap_or_default(),
                });
                // The input normally streams as `input_json_delta`s after an empty `{}`; some
                // proxies send it whole here instead.
                if let Some(input) = block
                    .get("input")
                    .and_then(Value::as_object)
                    .filter(|input| !input.is_empty())
                {
                    events.push(StreamEvent::ToolCallArgsDelta {
                        index,
                        delta: Value::Object(input.clone()).to_string(),
                    });
                }
            }
            // Server tools (`server_tool_use`, `web_search_tool_result`) run at Anthropic and
            // need nothing from the client.
            _ => {}
        }
    }

    fn block_delta(index: usize, delta: &Value) -> Option<StreamEvent> {
        let field = |key: &str| {
            delta
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        match delta.get("type").and_then(Value::as_str) {
            Some("text_delta") => field("text").map(StreamEvent::TextDelta),
            Some("thinking_delta") => field("thinking").map(StreamEvent::ThinkingDelta),
            Some("signature_delta") => field("signature").map(StreamEvent::ThinkingSignature),
            Some("input_json_delta") => {
                field("partial_json").map(|delta| StreamEvent::ToolCallArgsDelta { index, delta })
            }
            // `citations_delta` and future kinds.
            _ => None,
        }
    }
}

fn index_of(event: &Value) -> usize {
    event
        .get("index")
        .and_then(Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(0)
}

/// The transcript's stop reason for an Anthropic `stop_reason`.
fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" | "stop_sequence" | "pause_turn" => StopReason::Stop,
        "max_tokens" | "model_context_window_exceeded" => StopReason::Length,
        "tool_use" => StopReason::ToolUse,
        // `refusal`, `sensitive` and reasons this version does not know: the turn did not end
        // the way the caller asked for.
        _ => StopReason::Error,
    }
}

impl WireDecoder for Decoder {
    fn frame(&mut self, frame: Frame) -> Result<Vec<StreamEvent>, ProviderError> {
        let (name, data) = decode::payload(&frame);
        let event = decode::parse(&self.provider, data)?;
        let kind = event.get("type").and_then(Value::as_str).or(name);
        let mut events = Vec::new();
        match kind {
            Some("message_start") => {
                let message = event.get("message").unwrap_or(&Value::Null);
                if let Some(id) = message.get("id").and_then(Value::as_str) {
                    events.push(StreamEvent::ResponseId(id.to_owned()));
                }
                if let Some(usage) = message.get("usage") {
                    events.push(self.usage(usage));
                }
            }
            Some("content_block_start") => {
                let block = event.get("content_block").unwrap_or(&Value::Null);
                self.block_start(index_of(&event), block, &mut events);
            }
            Some("content_block_delta") => {
                let delta = event.get("delta").unwrap_or(&Value::Null);
                events.extend(Self::block_delta(index_of(&event), delta));
            }
            Some("content_block_stop") => {
                let index = index_of(&event);
                if let Some(at) = self.open_calls.iter().position(|open| *open == index) {
                    self.open_calls.remove(at);
                    events.push(StreamEvent::ToolCallEnd {
                        index,
                        thought_signature: None,
                    });
                }
            }
            Some("message_delta") => {
                if let Some(reason) = event.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop = Some(stop_reason(reason));
                }
                if let Some(usage) = event.get("usage") {
                    events.push(self.usage(usage));
                }
            }
            Some("message_stop") => {
                self.stopped = true;
                events.push(StreamEvent::Stop(
                    self.stop.clone().unwrap_or(StopReason::Stop),
                ));
            }
            Some("error") => {
                let error = event.get("error").unwrap_or(&Value::Null);
                let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
                return Err(ProviderError::Stream {
                    provider: self.provider.clone(),
                    message: text("message").unwrap_or_else(|| error.to_string()),
                    code: text("type"),
                });
            }
            Some(_) => {} // `ping` and event types added later
            None => {
                return Err(decode::unexpected(
                    &self.provider,
                    "an event without a type",
                    data,
                ));
            }
        }
        Ok(events)
    }

    fn end(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        // A body that ends after `message_delta` lost only the `message_stop` marker.
        match (&self.stop, self.stopped) {
            (Some(stop), false) => {
                self.stopped = true;
                Ok(vec![StreamEvent::Stop(stop.clone())])
            }
            _ => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests;
