//! `openai-responses`: `POST {base}/responses` with `stream: true` and `store: false`.
//!
//! Nothing is stored server-side, so everything the model needs from earlier turns travels in
//! `input`, and what the stream returns is kept in the transcript in pi-ai's representation so
//! OpenClaw transcripts replay unchanged:
//!
//! - a reasoning item becomes a thinking block whose text is the summary and whose signature is
//!   the whole item as JSON (`{"id":"rs_…","type":"reasoning","summary":[…],
//!   "encrypted_content":"…"}`, as received in `response.output_item.done`); it is sent back
//!   verbatim as an input item, to the model that wrote it only;
//! - a message item's id becomes the text block's signature, `{"v":1,"id":"msg_…"}` (with
//!   `phase` when the model sent one), so the message can be sent back with its id, which
//!   OpenAI needs to pair it with the reasoning item before it;
//! - a function call's id is `call_id|item_id`; the call id is what results answer, the item id
//!   is sent back with the call when its reasoning item is sent too.
//!
//! Reasoning models get `include: ["reasoning.encrypted_content"]` whatever the thinking level,
//! because with `store: false` a reasoning item can only be sent back with its encrypted content.

use rustyclaw_protocol::transcript::{ContentBlock, ImageContent, MessageContent, StopReason};
use serde_json::{Map, Value, json};

use crate::error::ProviderError;
use crate::event::{StreamEvent, TokenUsage};
use crate::formats::decode::{self, CallIds};
use crate::formats::history::{self, Assistant, IMAGE_OMITTED, Replayed, ToolAnswer};
use crate::formats::openai_completions::{
    TOOL_IMAGES_INTRO, base_url, completion_cap, data_url, is_openai_host, reasoning_effort,
    stream_error, wire_call_id,
};
use crate::formats::{WireDecoder, WireRequest};
use crate::framing::{Frame, Framing};
use crate::model::{Modality, ModelSpec, Target};
use crate::request::ModelRequest;

/// OpenAI rejects item ids longer than this.
const MAX_ITEM_ID_CHARS: usize = 64;

/// Builds the streamed responses request.
pub(crate) fn build(target: &Target, request: &ModelRequest) -> Result<WireRequest, ProviderError> {
    let model = &target.model;
    let base = base_url(model)?;
    let mut body = Map::new();
    body.insert("model".into(), model.id.clone().into());
    if !request.system.is_empty() {
        body.insert("instructions".into(), request.system.clone().into());
    }
    body.insert("input".into(), Value::Array(input(model, request)));
    body.insert("stream".into(), true.into());
    body.insert("store".into(), false.into());
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|tool| {
                // `strict` defaults to true here, which rejects ordinary JSON schemas.
                json!({
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                    "strict": false,
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(cap) = completion_cap(model, request) {
        body.insert("max_output_tokens".into(), cap.into());
    }
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), temperature.into());
    }
    if model.reasoning {
        if let Some(effort) = reasoning_effort(model, &request.thinking) {
            body.insert(
                "reasoning".into(),
                json!({"effort": effort, "summary": "auto"}),
            );
        }
        body.insert("include".into(), json!(["reasoning.encrypted_content"]));
    }
    if is_openai_host(base)
        && let Some(key) = &request.cache_key
    {
        body.insert("prompt_cache_key".into(), key.clone().into());
    }
    for (key, value) in &request.params {
        body.insert(key.clone(), value.clone());
    }
    Ok(WireRequest {
        url: format!("{base}/responses"),
        headers: Vec::new(),
        body: Value::Object(body),
        framing: Framing::Sse,
    })
}

fn input(model: &ModelSpec, request: &ModelRequest) -> Vec<Value> {
    let images = model.input.contains(&Modality::Image);
    let mut out = Vec::new();
    // Images of tool results go in one user message after the run of results.
    let mut tool_images: Vec<Value> = Vec::new();
    for replayed in history::replay(&request.messages, model) {
        if !matches!(replayed, Replayed::ToolResult(_)) && !tool_images.is_empty() {
            out.push(tool_images_message(std::mem::take(&mut tool_images)));
        }
        match replayed {
            Replayed::User(user) => out.push(json!({
                "type": "message",
                "role": "user",
                "content": user_content(&user.content, images),
            })),
            Replayed::Assistant(assistant) => out.extend(assistant_items(assistant)),
            Replayed::ToolResult(answer) => {
                out.push(function_call_output(&answer, images));
                if images {
                    tool_images.extend(answer.images().map(input_image));
                }
            }
        }
    }
    if !tool_images.is_empty() {
        out.push(tool_images_message(tool_images));
    }
    out
}

fn input_image(image: &ImageContent) -> Value {
    json!({"type": "input_image", "detail": "auto", "image_url": data_url(image)})
}

fn input_text(text: &str) -> Value {
    json!({"type": "input_text", "text": text})
}

fn user_content(content: &MessageContent, images: bool) -> Value {
    let parts = match content {
        MessageContent::Text(text) => vec![input_text(text)],
        MessageContent::Blocks(blocks) => blocks
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text(text) => Some(input_text(&text.text)),
                ContentBlock::Image(image) if images => Some(input_image(image)),
                ContentBlock::Image(_) => Some(input_text(IMAGE_OMITTED)),
                ContentBlock::Thinking(_)
                | ContentBlock::ToolCall(_)
                | ContentBlock::Unknown(_) => None,
            })
            .collect(),
    };
    Value::Array(parts)
}

/// A message item's id and phase, read back from a text signature (pi-ai's `{"v":1,…}` JSON,
/// or a bare id as older versions wrote).
fn text_signature(signature: &str) -> Option<(&str, Option<&str>)> {
    let (id, phase) = if signature.starts_with('{') {
        signature_v1(signature)?
    } else {
        (signature, None)
    };
    (!id.is_empty() && id.chars().count() <= MAX_ITEM_ID_CHARS).then_some((id, phase))
}

fn signature_v1(signature: &str) -> Option<(&str, Option<&str>)> {
    #[derive(serde::Deserialize)]
    struct V1<'a> {
        v: u32,
        id: &'a str,
        #[serde(default)]
        phase: Option<&'a str>,
    }
    let parsed: V1<'_> = serde_json::from_str(signature).ok()?;
    (parsed.v == 1).then_some((parsed.id, parsed.phase))
}

/// The reasoning item a thinking signature holds, if it holds one.
fn reasoning_item(signature: &str) -> Option<Value> {
    let item: Value = serde_json::from_str(signature).ok()?;
    (item.get("type").and_then(Value::as_str) == Some("reasoning")).then_some(item)
}

fn output_message(text: &str, signature: Option<(&str, Option<&str>)>) -> Value {
    match signature {
        Some((id, phase)) => {
            let mut item = json!({
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
                "status": "completed",
                "id": id,
            });
            if let Some(phase) = phase {
                item["phase"] = phase.into();
            }
            item
        }
        // Without the item id only the plain form is accepted.
        None => json!({"type": "message", "role": "assistant", "content": text}),
    }
}

fn assistant_items(assistant: Assistant<'_>) -> Vec<Value> {
    let mut items = Vec::new();
    // A function call's item id is only accepted next to its reasoning item: once one of the
    // reply's reasoning items cannot be sent back, the ids are left out.
    let mut reasoning_skipped = false;
    for block in &assistant.message.content {
        match block {
            ContentBlock::Thinking(thinking) if assistant.same_model => {
                match thinking
                    .thinking_signature
                    .as_deref()
                    .and_then(reasoning_item)
                {
                    Some(item) => items.push(item),
                    None => reasoning_skipped = true,
                }
            }
            ContentBlock::Thinking(thinking)
                if thinking.redacted != Some(true) && !thinking.thinking.trim().is_empty() =>
            {
                items.push(output_message(&thinking.thinking, None));
            }
            ContentBlock::Text(text) if !text.text.is_empty() => {
                let signature = text
                    .text_signature
                    .as_deref()
                    .filter(|_| assistant.same_model)
                    .and_then(text_signature);
                items.push(output_message(&text.text, signature));
            }
            ContentBlock::ToolCall(call) => {
                let mut item = json!({
                    "type": "function_call",
                    "call_id": wire_call_id(&call.id),
                    "name": call.name,
                    "arguments": call.arguments.to_string(),
                });
                let item_id = call.id.split_once('|').map(|(_, item)| item);
                if let Some(item_id) = item_id.filter(|id| {
                    assistant.same_model
                        && !reasoning_skipped
                        && id.starts_with("fc")
                        && id.chars().count() <= MAX_ITEM_ID_CHARS
                }) {
                    item["id"] = item_id.into();
                }
                items.push(item);
            }
            ContentBlock::Thinking(_)
            | ContentBlock::Text(_)
            | ContentBlock::Image(_)
            | ContentBlock::Unknown(_) => {}
        }
    }
    items
}

fn function_call_output(answer: &ToolAnswer<'_>, images: bool) -> Value {
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
    json!({
        "type": "function_call_output",
        "call_id": wire_call_id(answer.call_id),
        "output": text,
    })
}

fn tool_images_message(images: Vec<Value>) -> Value {
    let mut content = vec![input_text(TOOL_IMAGES_INTRO)];
    content.extend(images);
    json!({"type": "message", "role": "user", "content": content})
}

/// A function call of the response being decoded.
#[derive(Debug)]
struct Call {
    item_id: Option<String>,
    output_index: Option<u64>,
    /// Whether argument text was emitted (as deltas or from a `done` event).
    has_arguments: bool,
    ended: bool,
}

/// A reasoning item of the response being decoded.
#[derive(Debug)]
struct Reasoning {
    item_id: Option<String>,
    /// Summary parts started so far.
    parts: usize,
    /// Whether any reasoning text was emitted.
    has_text: bool,
}

/// Decodes the responses event stream.
pub(crate) struct Decoder {
    provider: String,
    sent_id: bool,
    /// Calls in the order they opened; the position is the event index.
    calls: Vec<Call>,
    ids: CallIds,
    reasoning: Vec<Reasoning>,
    /// Message items whose text arrived as deltas.
    streamed_messages: Vec<Option<String>>,
    stopped: bool,
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

impl Decoder {
    /// A decoder for one response from `target`.
    pub(crate) fn new(target: &Target) -> Self {
        Self {
            provider: target.model.provider.clone(),
            sent_id: false,
            calls: Vec::new(),
            ids: CallIds::new(),
            reasoning: Vec::new(),
            streamed_messages: Vec::new(),
            stopped: false,
        }
    }

    fn event(&mut self, kind: &str, event: &Value) -> Result<Vec<StreamEvent>, ProviderError> {
        let item_id = str_field(event, "item_id");
        let delta = || {
            str_field(event, "delta")
                .filter(|delta| !delta.is_empty())
                .map(str::to_owned)
        };
        Ok(match kind {
            "response.created" | "response.in_progress" => self
                .response_id(event.get("response"))
                .into_iter()
                .collect(),
            "response.output_item.added" => match event.get("item") {
                Some(item) => self.item_added(item, event),
                None => Vec::new(),
            },
            "response.reasoning_summary_part.added" => {
                let reasoning = self.reasoning_item(item_id);
                reasoning.parts += 1;
                // Parts read as paragraphs of one summary.
                if reasoning.parts > 1 && reasoning.has_text {
                    vec![StreamEvent::ThinkingDelta("\n\n".to_owned())]
                } else {
                    Vec::new()
                }
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                match delta() {
                    Some(text) => {
                        self.reasoning_item(item_id).has_text = true;
                        vec![StreamEvent::ThinkingDelta(text)]
                    }
                    None => Vec::new(),
                }
            }
            "response.output_text.delta" | "response.refusal.delta" => match delta() {
                Some(text) => {
                    let id = item_id.map(str::to_owned);
                    if !self.streamed_messages.contains(&id) {
                        self.streamed_messages.push(id);
                    }
                    vec![StreamEvent::TextDelta(text)]
                }
                None => Vec::new(),
            },
            "response.function_call_arguments.delta" => {
                let index = self.call_index(item_id, event.get("output_index"));
                match (index, delta()) {
                    (Some(index), Some(text)) => {
                        self.calls[index].has_arguments = true;
                        vec![StreamEvent::ToolCallArgsDelta { index, delta: text }]
                    }
                    _ => Vec::new(),
                }
            }
            "response.function_call_arguments.done" => {
                let index = self.call_index(item_id, event.get("output_index"));
                match index {
                    Some(index) => self.arguments_once(index, str_field(event, "arguments")),
                    None => Vec::new(),
                }
            }
            "response.output_item.done" => match event.get("item") {
                Some(item) => self.item_done(item, event),
                None => Vec::new(),
            },
            "response.completed" | "response.incomplete" => match event.get("response") {
                Some(response) => self.finish(response),
                None => {
                    return Err(ProviderError::Malformed {
                        provider: self.provider.clone(),
                        detail: format!("a {kind} event without a `response` object"),
                    });
                }
            },
            "response.failed" => return Err(self.failed(event.get("response"))),
            "error" => {
                return Err(match event.get("error").filter(|error| error.is_object()) {
                    Some(error) => stream_error(&self.provider, error),
                    None => ProviderError::Stream {
                        provider: self.provider.clone(),
                        message: str_field(event, "message")
                            .unwrap_or("the provider reported an error without a message")
                            .to_owned(),
                        code: event.get("code").and_then(|code| match code {
                            Value::String(code) => Some(code.clone()),
                            Value::Number(code) => Some(code.to_string()),
                            _ => None,
                        }),
                    },
                });
            }
            // Content-part bookkeeping, `*.done` events repeating what the deltas said,
            // annotations, and event types added later.
            _ => Vec::new(),
        })
    }

    fn response_id(&mut self, response: Option<&Value>) -> Option<StreamEvent> {
        if self.sent_id {
            return None;
        }
        let id = response.and_then(|response| str_field(response, "id"))?;
        self.sent_id = true;
        Some(StreamEvent::ResponseId(id.to_owned()))
    }

    fn reasoning_item(&mut self, item_id: Option<&str>) -> &mut Reasoning {
        let position = self
            .reasoning
            .iter()
            .position(|reasoning| reasoning.item_id.as_deref() == item_id);
        let position = position.unwrap_or_else(|| {
            self.reasoning.push(Reasoning {
                item_id: item_id.map(str::to_owned),
                parts: 0,
                has_text: false,
            });
            self.reasoning.len() - 1
        });
        &mut self.reasoning[position]
    }

    fn call_index(&self, item_id: Option<&str>, output_index: Option<&Value>) -> Option<usize> {
        let output_index = output_index.and_then(Value::as_u64);
        self.calls
            .iter()
            .position(|call| match (item_id, &call.item_id) {
                (Some(wanted), Some(id)) => wanted == id,
                _ => output_index.is_some() && call.output_index == output_index,
            })
    }

    fn open_call(&mut self, item: &Value, event: &Value) -> (usize, Vec<StreamEvent>) {
        let item_id = str_field(item, "id");
        let index = self.calls.len();
        let call_id = self.ids.next(str_field(item, "call_id"));
        // pi-ai's id form: the call id, then the item id that pairs it with its reasoning.
        let id = match item_id {
            Some(item_id) => format!("{call_id}|{item_id}"),
            None => call_id,
        };
        self.calls.push(Call {
            item_id: item_id.map(str::to_owned),
            output_index: event.get("output_index").and_then(Value::as_u64),
            has_arguments: false,
            ended: false,
        });
        let mut events = vec![StreamEvent::ToolCallStart {
            index,
            id,
            name: str_field(item, "name").unwrap_or_default().to_owned(),
        }];
        // Proxies sometimes send a call whole, arguments included.
        events.extend(self.arguments_once(index, str_field(item, "arguments")));
        (index, events)
    }

    /// The call's full arguments, unless fragments of them were already emitted.
    fn arguments_once(&mut self, index: usize, arguments: Option<&str>) -> Vec<StreamEvent> {
        let call = &mut self.calls[index];
        match arguments.filter(|arguments| !arguments.is_empty()) {
            Some(arguments) if !call.has_arguments => {
                call.has_arguments = true;
                vec![StreamEvent::ToolCallArgsDelta {
                    index,
                    delta: arguments.to_owned(),
                }]
            }
            _ => Vec::new(),
        }
    }

    fn item_added(&mut self, item: &Value, event: &Value) -> Vec<StreamEvent> {
        match str_field(item, "type") {
            Some("function_call") => self.open_call(item, event).1,
            Some("reasoning") => {
                self.reasoning_item(str_field(item, "id"));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn item_done(&mut self, item: &Value, event: &Value) -> Vec<StreamEvent> {
        let item_id = str_field(item, "id");
        match str_field(item, "type") {
            Some("function_call") => {
                let (index, mut events) = match self.call_index(item_id, event.get("output_index"))
                {
                    Some(index) => (index, Vec::new()),
                    None => self.open_call(item, event),
                };
                events.extend(self.arguments_once(index, str_field(item, "arguments")));
                if !self.calls[index].ended {
                    self.calls[index].ended = true;
                    events.push(StreamEvent::ToolCallEnd {
                        index,
                        thought_signature: None,
                    });
                }
                events
            }
            Some("reasoning") => {
                let mut events = Vec::new();
                if !self.reasoning_item(item_id).has_text {
                    let summary = summary_text(item);
                    if !summary.is_empty() {
                        events.push(StreamEvent::ThinkingDelta(summary));
                    }
                }
                events.push(StreamEvent::ThinkingSignature(item.to_string()));
                events
            }
            Some("message") => {
                let mut events = Vec::new();
                let id = item_id.map(str::to_owned);
                if !self.streamed_messages.contains(&id) {
                    let text = message_text(item);
                    if text.is_empty() {
                        return events;
                    }
                    events.push(StreamEvent::TextDelta(text));
                }
                if let Some(id) = item_id {
                    let mut signature = json!({"v": 1, "id": id});
                    if let Some(phase) = str_field(item, "phase") {
                        signature["phase"] = phase.into();
                    }
                    events.push(StreamEvent::TextSignature(signature.to_string()));
                }
                events
            }
            _ => Vec::new(),
        }
    }

    fn finish(&mut self, response: &Value) -> Vec<StreamEvent> {
        self.stopped = true;
        let mut events: Vec<StreamEvent> = self.response_id(Some(response)).into_iter().collect();
        if let Some(usage) = response.get("usage").filter(|usage| usage.is_object()) {
            events.push(StreamEvent::Usage(token_usage(usage)));
        }
        for (index, call) in self.calls.iter_mut().enumerate() {
            if !call.ended {
                call.ended = true;
                events.push(StreamEvent::ToolCallEnd {
                    index,
                    thought_signature: None,
                });
            }
        }
        let reason = match str_field(response, "status") {
            Some("incomplete") => {
                match response
                    .pointer("/incomplete_details/reason")
                    .and_then(Value::as_str)
                {
                    Some("content_filter") => StopReason::Error,
                    _ => StopReason::Length,
                }
            }
            Some("failed" | "cancelled") => StopReason::Error,
            // `completed`, and the in-between states some servers leave in the final event.
            _ if self.calls.is_empty() => StopReason::Stop,
            _ => StopReason::ToolUse,
        };
        events.push(StreamEvent::Stop(reason));
        events
    }

    fn failed(&self, response: Option<&Value>) -> ProviderError {
        if let Some(error) = response
            .and_then(|response| response.get("error"))
            .filter(|error| error.is_object())
        {
            return stream_error(&self.provider, error);
        }
        let reason = response
            .and_then(|response| response.pointer("/incomplete_details/reason"))
            .and_then(Value::as_str);
        ProviderError::Stream {
            provider: self.provider.clone(),
            message: match reason {
                Some(reason) => format!("the response failed: {reason}"),
                None => "the response failed without error details".to_owned(),
            },
            code: None,
        }
    }
}

fn summary_text(item: &Value) -> String {
    let parts: Vec<&str> = item
        .get("summary")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|part| str_field(part, "text"))
        .collect();
    parts.join("\n\n")
}

fn message_text(item: &Value) -> String {
    item.get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|part| str_field(part, "text").or_else(|| str_field(part, "refusal")))
        .collect()
}

fn token_usage(usage: &Value) -> TokenUsage {
    let count = |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    let cached = count("/input_tokens_details/cached_tokens");
    TokenUsage {
        input: count("/input_tokens").saturating_sub(cached),
        output: count("/output_tokens"),
        cache_read: cached,
        cache_write: 0,
    }
}

impl WireDecoder for Decoder {
    fn frame(&mut self, frame: Frame) -> Result<Vec<StreamEvent>, ProviderError> {
        let (name, data) = decode::payload(&frame);
        let data = data.trim();
        // Compatible servers sometimes end with the chat format's `[DONE]`.
        if self.stopped || data.is_empty() || data == "[DONE]" {
            return Ok(Vec::new());
        }
        let event = decode::parse(&self.provider, data)?;
        let kind = str_field(&event, "type")
            .or(name)
            .unwrap_or_default()
            .to_owned();
        self.event(&kind, &event)
    }

    fn end(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests;
