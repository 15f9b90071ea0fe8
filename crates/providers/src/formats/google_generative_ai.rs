//! `google-generative-ai`: the Gemini API,
//! `POST {base}/models/{model}:streamGenerateContent?alt=sse` with `base` ending in `/v1beta`.
//!
//! A conversation is a list of `contents` with roles `user` and `model`, each a list of parts:
//! text, inline images, `functionCall`s and `functionResponse`s, and reasoning as text parts
//! flagged `thought`. Gemini identifies calls by name, not id, so results are matched to calls
//! by position: they follow the model turn that made the calls, in a user turn of their own.
//! Parts may carry a `thoughtSignature` that must go back with the same part, but only to the
//! model that produced it. Tool schemas are the OpenAPI subset Gemini accepts, so JSON-Schema
//! keywords outside it (`additionalProperties`, `$schema`, …) are stripped.
//!
//! The response is a stream of `GenerateContentResponse` chunks. Calls arrive whole and without
//! ids (ids are minted here); the finish reason and usage come with the last chunk, and the
//! stream simply ends, so `Stop` is emitted when the body ends after a finish reason.

use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{AgentMessage, ContentBlock, MessageContent, StopReason};
use serde_json::{Map, Value, json};

use crate::error::ProviderError;
use crate::event::{StreamEvent, TokenUsage};
use crate::formats::decode::{self, CallIds};
use crate::formats::history::{self, Assistant, IMAGE_OMITTED, Replayed, ToolAnswer};
use crate::formats::{WireDecoder, WireRequest};
use crate::framing::{Frame, Framing};
use crate::model::{Modality, ModelSpec, Target};
use crate::request::{ModelRequest, ToolSpec};

/// The API version path appended to a base URL given without one.
const DEFAULT_VERSION_PATH: &str = "/v1beta";

/// Sent in place of a missing thought signature on function calls: Gemini 3 rejects calls
/// without one, and this value is the documented way to replay calls that never had one (made
/// by another model, or before signatures existed).
const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// Schema keywords Gemini's function declarations accept (its OpenAPI 3.0 subset).
const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "items",
    "minItems",
    "maxItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "default",
    "example",
    "anyOf",
    "propertyOrdering",
];

/// Builds the request.
pub(crate) fn build(target: &Target, request: &ModelRequest) -> Result<WireRequest, ProviderError> {
    let model = &target.model;
    let mut body = Map::new();
    body.insert(
        "contents".into(),
        Value::Array(contents(target, &request.messages)),
    );
    if !request.system.is_empty() {
        body.insert(
            "systemInstruction".into(),
            json!({"parts": [{"text": request.system}]}),
        );
    }
    if !request.tools.is_empty() {
        let declarations: Vec<Value> = request.tools.iter().map(declaration).collect();
        body.insert(
            "tools".into(),
            json!([{"functionDeclarations": declarations}]),
        );
    }
    let config = generation_config(model, request);
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    for (key, value) in &request.params {
        body.insert(key.clone(), value.clone());
    }
    let model_id = model.id.strip_prefix("models/").unwrap_or(&model.id);
    Ok(WireRequest {
        url: format!(
            "{}/models/{model_id}:streamGenerateContent?alt=sse",
            api_base(&model.base_url)
        ),
        headers: Vec::new(),
        body: Value::Object(body),
        framing: Framing::Sse,
    })
}

/// The model listing of the API at `base`.
pub(super) fn models_url(base: &str) -> String {
    format!("{}/models", api_base(base))
}

/// The base without a trailing slash, with `/v1beta` added when it names only a host.
fn api_base(base: &str) -> String {
    let base = base.trim_end_matches('/');
    let after_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
    if after_scheme.contains('/') {
        base.to_owned()
    } else {
        format!("{base}{DEFAULT_VERSION_PATH}")
    }
}

fn generation_config(model: &ModelSpec, request: &ModelRequest) -> Map<String, Value> {
    let mut config = Map::new();
    let limit = request
        .max_tokens
        .or((model.max_tokens > 0).then_some(model.max_tokens));
    let budget = thinking_budget(model, &request.thinking);
    // Thinking counts against `maxOutputTokens`: a budget at or above the limit would leave
    // nothing for the answer, so the limit grows by the budget (within the model's ceiling).
    let limit = match (limit, budget) {
        (Some(limit), Some(budget)) if budget >= limit => {
            let ceiling = if model.max_tokens > 0 {
                model.max_tokens
            } else {
                u64::MAX
            };
            Some(limit.saturating_add(budget).min(ceiling))
        }
        _ => limit,
    };
    if let Some(limit) = limit {
        config.insert("maxOutputTokens".into(), json!(limit));
    }
    if let Some(temperature) = request.temperature {
        config.insert("temperature".into(), json!(temperature));
    }
    if let Some(budget) = budget {
        let budget = if budget == u64::MAX {
            json!(-1)
        } else {
            json!(budget)
        };
        config.insert(
            "thinkingConfig".into(),
            json!({"includeThoughts": true, "thinkingBudget": budget}),
        );
    }
    config
}

/// The thinking budget for `level`; `u64::MAX` stands for Gemini's "dynamic" (`-1`, as much as
/// the model wants), used for the top level because models differ in their maximum.
fn thinking_budget(model: &ModelSpec, level: &ThinkingLevel) -> Option<u64> {
    if !model.reasoning {
        return None;
    }
    match level {
        ThinkingLevel::Off => None,
        ThinkingLevel::Minimal => Some(1024),
        ThinkingLevel::Low => Some(2048),
        ThinkingLevel::Medium | ThinkingLevel::Unknown(_) => Some(8192),
        ThinkingLevel::High => Some(24576),
        ThinkingLevel::Xhigh => Some(u64::MAX),
    }
}

fn declaration(tool: &ToolSpec) -> Value {
    let mut declaration = json!({"name": tool.name, "description": tool.description});
    let parameters = schema(&tool.parameters);
    // Gemini rejects an object schema without properties; a tool without arguments simply
    // declares no parameters.
    let has_properties = parameters
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|properties| !properties.is_empty());
    if has_properties {
        declaration["parameters"] = parameters;
    }
    declaration
}

/// `schema` reduced to the keywords Gemini accepts, recursively; JSON-Schema spellings with an
/// equivalent are translated (`type: [t, "null"]` → `nullable`, `const` → one-value `enum`,
/// `oneOf` → `anyOf`).
fn schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "properties" => {
                if let Value::Object(properties) = value {
                    let properties = properties
                        .iter()
                        .map(|(name, property)| (name.clone(), self::schema(property)))
                        .collect();
                    out.insert(key.clone(), Value::Object(properties));
                }
            }
            "items" => {
                out.insert(key.clone(), self::schema(value));
            }
            "anyOf" | "oneOf" => {
                if let Value::Array(options) = value {
                    out.insert(
                        "anyOf".into(),
                        Value::Array(options.iter().map(self::schema).collect()),
                    );
                }
            }
            "type" => match value {
                Value::Array(types) => {
                    let named: Vec<&Value> = types
                        .iter()
                        .filter(|t| t.as_str() != Some("null"))
                        .collect();
                    if named.len() < types.len() {
                        out.insert("nullable".into(), json!(true));
                    }
                    if let Some(first) = named.first() {
                        out.insert(key.clone(), (*first).clone());
                    }
                }
                other => {
                    out.insert(key.clone(), other.clone());
                }
            },
            "const" => {
                out.entry("enum")
                    .or_insert_with(|| Value::Array(vec![value.clone()]));
            }
            keyword if SCHEMA_KEYWORDS.contains(&keyword) => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    // `required` may only name declared properties.
    if let (Some(Value::Array(required)), Some(Value::Object(properties))) =
        (out.get("required"), out.get("properties"))
    {
        let kept: Vec<Value> = required
            .iter()
            .filter(|name| name.as_str().is_some_and(|n| properties.contains_key(n)))
            .cloned()
            .collect();
        out.insert("required".into(), Value::Array(kept));
    }
    Value::Object(out)
}

/// One content under construction.
struct Content {
    role: &'static str,
    parts: Vec<Value>,
}

fn contents(target: &Target, conversation: &[AgentMessage]) -> Vec<Value> {
    let mut contents: Vec<Content> = Vec::new();
    for message in history::replay(conversation, &target.model) {
        let (role, parts) = match message {
            Replayed::User(user) => ("user", user_parts(target, &user.content)),
            Replayed::Assistant(assistant) => ("model", model_parts(target, assistant)),
            Replayed::ToolResult(answer) => ("user", function_response(target, &answer)),
        };
        if parts.is_empty() {
            continue;
        }
        // Gemini wants user and model turns to alternate; the results of parallel calls form
        // one user turn.
        match contents.last_mut() {
            Some(last) if last.role == role => last.parts.extend(parts),
            _ => contents.push(Content { role, parts }),
        }
    }
    contents
        .into_iter()
        .map(|content| json!({"role": content.role, "parts": content.parts}))
        .collect()
}

fn accepts_images(target: &Target) -> bool {
    target.model.input.contains(&Modality::Image)
}

fn text_part(text: &str) -> Option<Value> {
    (!text.trim().is_empty()).then(|| json!({"text": text}))
}

fn inline_data(mime_type: &str, data: &str) -> Value {
    json!({"inlineData": {"mimeType": mime_type, "data": data}})
}

/// Text and images of a user message; for models that do not accept images, a notice in
/// place of each image.
fn user_parts(target: &Target, content: &MessageContent) -> Vec<Value> {
    match content {
        MessageContent::Text(text) => text_part(text).into_iter().collect(),
        MessageContent::Blocks(blocks) => blocks
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text(text) => text_part(&text.text),
                ContentBlock::Image(image) if accepts_images(target) => {
                    Some(inline_data(&image.mime_type, &image.data))
                }
                ContentBlock::Image(_) => text_part(IMAGE_OMITTED),
                _ => None,
            })
            .collect(),
    }
}

fn model_parts(target: &Target, assistant: Assistant<'_>) -> Vec<Value> {
    let same_model = assistant.same_model;
    let signature = |signature: &Option<String>| {
        signature
            .as_ref()
            .filter(|s| same_model && !s.is_empty())
            .cloned()
    };
    let gemini_3 = target.model.id.contains("gemini-3");
    let mut parts = Vec::new();
    for block in &assistant.message.content {
        let part = match block {
            ContentBlock::Text(text) => text_part(&text.text).map(|mut part| {
                if let Some(signature) = signature(&text.text_signature) {
                    part["thoughtSignature"] = json!(signature);
                }
                part
            }),
            // Encrypted reasoning of another provider means nothing here.
            ContentBlock::Thinking(thinking) if thinking.redacted == Some(true) => None,
            ContentBlock::Thinking(thinking) if same_model => {
                let signature = signature(&thinking.thinking_signature);
                if thinking.thinking.trim().is_empty() && signature.is_none() {
                    None
                } else {
                    let mut part = json!({"thought": true, "text": thinking.thinking});
                    if let Some(signature) = signature {
                        part["thoughtSignature"] = json!(signature);
                    }
                    Some(part)
                }
            }
            // Another model's reasoning, as plain text so it is not lost.
            ContentBlock::Thinking(thinking) => text_part(&thinking.thinking),
            ContentBlock::ToolCall(call) => {
                let args = match &call.arguments {
                    Value::Object(_) => call.arguments.clone(),
                    _ => json!({}),
                };
                let mut part = json!({"functionCall": {"name": call.name, "args": args}});
                match signature(&call.thought_signature) {
                    Some(signature) => part["thoughtSignature"] = json!(signature),
                    None if gemini_3 => part["thoughtSignature"] = json!(SKIP_SIGNATURE),
                    None => {}
                }
                Some(part)
            }
            ContentBlock::Image(_) | ContentBlock::Unknown(_) => None,
        };
        parts.extend(part);
    }
    parts
}

fn function_response(target: &Target, answer: &ToolAnswer<'_>) -> Vec<Value> {
    let text = answer.text();
    let response = if answer.is_error {
        json!({"error": text})
    } else {
        json!({"output": text})
    };
    let mut parts = vec![json!({
        "functionResponse": {"name": answer.tool_name, "response": response},
    })];
    if accepts_images(target) {
        parts.extend(
            answer
                .images()
                .map(|image| inline_data(&image.mime_type, &image.data)),
        );
    }
    parts
}

/// Which kind of block the last parts were adding to, with the signature it got so far.
#[derive(Debug)]
enum Open {
    None,
    Text(Option<String>),
    Thinking(Option<String>),
}

/// Decodes the SSE chunks of one response.
pub(crate) struct Decoder {
    provider: String,
    ids: CallIds,
    calls: usize,
    open: Open,
    response_id: bool,
    finish: Option<StopReason>,
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
            open: Open::None,
            response_id: false,
            finish: None,
        }
    }

    /// Ends the current text or thinking block, emitting its signature.
    fn close(&mut self, events: &mut Vec<StreamEvent>) {
        match std::mem::replace(&mut self.open, Open::None) {
            Open::Text(Some(signature)) => events.push(StreamEvent::TextSignature(signature)),
            Open::Thinking(Some(signature)) => {
                events.push(StreamEvent::ThinkingSignature(signature))
            }
            Open::None | Open::Text(None) | Open::Thinking(None) => {}
        }
    }

    fn part(&mut self, part: &Value, events: &mut Vec<StreamEvent>) {
        let signature = part
            .get("thoughtSignature")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if let Some(call) = part.get("functionCall") {
            self.close(events);
            let index = self.calls;
            self.calls += 1;
            let provided = call.get("id").and_then(Value::as_str);
            events.push(StreamEvent::ToolCallStart {
                index,
                id: self.ids.next(provided),
                name: call
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
            let args = call.get("args").cloned().unwrap_or_else(|| json!({}));
            events.push(StreamEvent::ToolCallArgsDelta {
                index,
                delta: args.to_string(),
            });
            events.push(StreamEvent::ToolCallEnd {
                index,
                thought_signature: signature,
            });
            return;
        }
        let Some(text) = part.get("text").and_then(Value::as_str) else {
            // Executable code, inline data and parts added later carry nothing for the
            // transcript.
            return;
        };
        let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
        let continues = matches!(
            (&self.open, thought),
            (Open::Thinking(_), true) | (Open::Text(_), false)
        );
        if !continues {
            self.close(events);
            self.open = if thought {
                Open::Thinking(None)
            } else {
                Open::Text(None)
            };
        }
        if !text.is_empty() {
            events.push(if thought {
                StreamEvent::ThinkingDelta(text.to_owned())
            } else {
                StreamEvent::TextDelta(text.to_owned())
            });
        }
        // Signatures may come with any delta of a block (often the last, sometimes with empty
        // text); the block keeps the latest one.
        if let Some(signature) = signature {
            match &mut self.open {
                Open::Text(slot) | Open::Thinking(slot) => *slot = Some(signature),
                Open::None => {}
            }
        }
    }
}

/// The transcript's stop reason for a Gemini `finishReason`.
fn finish_reason(reason: &str, called: bool) -> StopReason {
    match reason {
        "STOP" if called => StopReason::ToolUse,
        "STOP" => StopReason::Stop,
        "MAX_TOKENS" => StopReason::Length,
        // SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, MALFORMED_FUNCTION_CALL, OTHER, …
        _ => StopReason::Error,
    }
}

fn usage(metadata: &Value) -> TokenUsage {
    let count = |key: &str| metadata.get(key).and_then(Value::as_u64).unwrap_or(0);
    let cached = count("cachedContentTokenCount");
    TokenUsage {
        input: count("promptTokenCount").saturating_sub(cached),
        output: count("candidatesTokenCount") + count("thoughtsTokenCount"),
        cache_read: cached,
        cache_write: 0,
    }
}

impl WireDecoder for Decoder {
    fn frame(&mut self, frame: Frame) -> Result<Vec<StreamEvent>, ProviderError> {
        let (_, data) = decode::payload(&frame);
        let chunk = decode::parse(&self.provider, data)?;
        if let Some(error) = chunk.get("error") {
            let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
            return Err(ProviderError::Stream {
                provider: self.provider.clone(),
                message: text("message").unwrap_or_else(|| error.to_string()),
                code: text("status"),
            });
        }
        if !chunk.is_object() {
            return Err(decode::unexpected(
                &self.provider,
                "a chunk that is not a JSON object",
                data,
            ));
        }
        let mut events = Vec::new();
        if !self.response_id
            && let Some(id) = chunk.get("responseId").and_then(Value::as_str)
        {
            self.response_id = true;
            events.push(StreamEvent::ResponseId(id.to_owned()));
        }
        let candidate = chunk.pointer("/candidates/0");
        let parts = candidate
            .and_then(|c| c.pointer("/content/parts"))
            .and_then(Value::as_array);
        for part in parts.into_iter().flatten() {
            self.part(part, &mut events);
        }
        if let Some(reason) = candidate
            .and_then(|c| c.get("finishReason"))
            .and_then(Value::as_str)
        {
            self.finish = Some(finish_reason(reason, self.calls > 0));
        }
        // A prompt blocked before generation has feedback and no candidates.
        if candidate.is_none() && chunk.pointer("/promptFeedback/blockReason").is_some() {
            self.finish = Some(StopReason::Error);
        }
        if let Some(metadata) = chunk.get("usageMetadata") {
            events.push(StreamEvent::Usage(usage(metadata)));
        }
        Ok(events)
    }

    fn end(&mut self) -> Result<Vec<StreamEvent>, ProviderError> {
        let mut events = Vec::new();
        self.close(&mut events);
        if let Some(finish) = self.finish.take() {
            events.push(StreamEvent::Stop(finish));
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests;
