//! The one streaming event type every wire format decodes into, and the collector that folds a
//! stream into an assistant message.

use futures_util::StreamExt;
use rustyclaw_protocol::transcript::{
    AssistantMessage, ContentBlock, Cost, StopReason, ThinkingContent, ToolCall, Usage,
};
use serde_json::{Map, Value};

use crate::client::EventStream;
use crate::error::ProviderError;
use crate::model::{ModelSpec, Pricing};

/// One thing a model said, in order.
///
/// Text and thinking arrive as deltas appended to the current block of their kind; a tool call
/// is opened with its id and name, receives its arguments as JSON text fragments, and is
/// closed. Tool calls are addressed by `index` because some formats interleave several.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// The provider's id for this response.
    ResponseId(String),
    /// More answer text.
    TextDelta(String),
    /// A signature for the current text block (OpenAI responses item id).
    TextSignature(String),
    /// More reasoning text.
    ThinkingDelta(String),
    /// A signature closing the current thinking block (Anthropic, Gemini, OpenAI responses).
    ThinkingSignature(String),
    /// A reasoning block the provider returns encrypted; kept so it can be sent back.
    RedactedThinking(String),
    /// A tool call opened.
    ToolCallStart {
        /// Position of the call among this response's calls.
        index: usize,
        /// The call id the result must answer.
        id: String,
        /// Tool name.
        name: String,
    },
    /// A fragment of a tool call's JSON arguments.
    ToolCallArgsDelta {
        /// Which call.
        index: usize,
        /// JSON text to append.
        delta: String,
    },
    /// A tool call is complete (Gemini: with its thought signature).
    ToolCallEnd {
        /// Which call.
        index: usize,
        /// Provider signature attached to the call.
        thought_signature: Option<String>,
    },
    /// Token counts so far; a later event replaces an earlier one.
    Usage(TokenUsage),
    /// Why the model stopped; the last event of a complete response.
    Stop(StopReason),
}

/// Token counts as reported by a provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens (reasoning included).
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
}

impl TokenUsage {
    /// The transcript's usage record, with cost from `pricing` (USD per million tokens).
    pub fn priced(self, pricing: &Pricing) -> Usage {
        let per = |tokens: u64, price: f64| tokens as f64 * price / 1_000_000.0;
        let input = per(self.input, pricing.input);
        let output = per(self.output, pricing.output);
        let cache_read = per(self.cache_read, pricing.cache_read);
        let cache_write = per(self.cache_write, pricing.cache_write);
        Usage {
            input: self.input,
            output: self.output,
            cache_read: self.cache_read,
            cache_write: self.cache_write,
            total_tokens: self.input + self.output + self.cache_read + self.cache_write,
            cost: Cost {
                input,
                output,
                cache_read,
                cache_write,
                total: input + output + cache_read + cache_write,
                other: Map::new(),
            },
            other: Map::new(),
        }
    }
}

/// A tool call whose arguments were not valid JSON; kept so the caller can answer it with an
/// error result instead of losing it.
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedCall {
    /// The call id.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// The arguments text as received.
    pub raw_arguments: String,
}

/// Folds events into an assistant message as they arrive.
#[derive(Debug, Clone)]
pub struct Collected {
    content: Vec<ContentBlock>,
    /// Tool calls by stream index → position in `content`, with their argument text so far.
    open_calls: Vec<(usize, usize, String)>,
    usage: TokenUsage,
    stop: Option<StopReason>,
    response_id: Option<String>,
    malformed: Vec<MalformedCall>,
}

impl Default for Collected {
    fn default() -> Self {
        Self::new()
    }
}

impl Collected {
    /// Nothing received yet.
    pub fn new() -> Self {
        Self {
            content: Vec::new(),
            open_calls: Vec::new(),
            usage: TokenUsage::default(),
            stop: None,
            response_id: None,
            malformed: Vec::new(),
        }
    }

    /// Applies one event.
    pub fn push(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::ResponseId(id) => self.response_id = Some(id.clone()),
            StreamEvent::TextDelta(delta) => match self.content.last_mut() {
                Some(ContentBlock::Text(text)) => text.text.push_str(delta),
                _ => self.content.push(ContentBlock::text(delta.clone())),
            },
            StreamEvent::TextSignature(signature) => {
                if let Some(ContentBlock::Text(text)) = self.content.last_mut() {
                    text.text_signature = Some(signature.clone());
                }
            }
            StreamEvent::ThinkingDelta(delta) => match self.content.last_mut() {
                Some(ContentBlock::Thinking(thinking)) if thinking.thinking_signature.is_none() => {
                    thinking.thinking.push_str(delta)
                }
                _ => self.content.push(thinking_block(delta.clone(), None, None)),
            },
            // A signature closes the open thinking block; one arriving when the last block is
            // already signed belongs to a new block (OpenAI responses can send two reasoning
            // items in a row, the second without summary text).
            StreamEvent::ThinkingSignature(signature) => match self.content.last_mut() {
                Some(ContentBlock::Thinking(thinking)) if thinking.thinking_signature.is_none() => {
                    thinking.thinking_signature = Some(signature.clone())
                }
                _ => {
                    self.content
                        .push(thinking_block(String::new(), Some(signature.clone()), None))
                }
            },
            StreamEvent::RedactedThinking(data) => self.content.push(thinking_block(
                String::new(),
                Some(data.clone()),
                Some(true),
            )),
            StreamEvent::ToolCallStart { index, id, name } => {
                self.open_calls
                    .push((*index, self.content.len(), String::new()));
                self.content.push(ContentBlock::ToolCall(ToolCall {
                    id: id.clone(),
                    name: name.clone(),
                    arguments: Value::Object(Map::new()),
                    thought_signature: None,
                    other: Map::new(),
                }));
            }
            StreamEvent::ToolCallArgsDelta { index, delta } => {
                if let Some((_, _, args)) = self.open_calls.iter_mut().find(|c| c.0 == *index) {
                    args.push_str(delta);
                }
            }
            StreamEvent::ToolCallEnd {
                index,
                thought_signature,
            } => self.close_call(*index, thought_signature.clone()),
            StreamEvent::Usage(usage) => self.usage = *usage,
            StreamEvent::Stop(reason) => self.stop = Some(reason.clone()),
        }
    }

    fn close_call(&mut self, index: usize, thought_signature: Option<String>) {
        let Some(at) = self.open_calls.iter().position(|c| c.0 == index) else {
            return;
        };
        let (_, position, raw) = self.open_calls.remove(at);
        let Some(ContentBlock::ToolCall(call)) = self.content.get_mut(position) else {
            return;
        };
        call.thought_signature = thought_signature;
        let parsed = if raw.trim().is_empty() {
            Ok(Value::Object(Map::new()))
        } else {
            serde_json::from_str::<Value>(&raw)
        };
        match parsed {
            Ok(value @ Value::Object(_)) => call.arguments = value,
            Ok(_) | Err(_) => self.malformed.push(MalformedCall {
                id: call.id.clone(),
                name: call.name.clone(),
                raw_arguments: raw,
            }),
        }
    }

    /// Whether a `Stop` event arrived.
    pub fn is_complete(&self) -> bool {
        self.stop.is_some()
    }

    /// Whether any text, thinking or tool call arrived.
    pub fn has_output(&self) -> bool {
        !self.content.is_empty()
    }

    /// Tool calls whose arguments were not a JSON object.
    pub fn malformed_calls(&self) -> &[MalformedCall] {
        &self.malformed
    }

    /// The assistant message so far. Calls still open are closed; a missing stop reason means
    /// the stream ended early and is reported as `error` with `error` as the message.
    pub fn finish(
        mut self,
        model: &ModelSpec,
        timestamp: i64,
        error: Option<&ProviderError>,
    ) -> (AssistantMessage, Vec<MalformedCall>) {
        let open: Vec<usize> = self.open_calls.iter().map(|c| c.0).collect();
        for index in open {
            self.close_call(index, None);
        }
        let stop_reason = match (error, self.stop) {
            (Some(ProviderError::Aborted), _) => StopReason::Aborted,
            (Some(_), _) => StopReason::Error,
            (None, Some(stop)) => stop,
            (None, None) => StopReason::Error,
        };
        let mut message = AssistantMessage::new(
            self.content,
            model.api.as_str().to_owned(),
            model.provider.clone(),
            model.id.clone(),
            self.usage.priced(&model.cost),
            stop_reason,
            timestamp,
        );
        message.response_id = self.response_id;
        message.error_message = error.map(|e| e.to_string());
        (message, self.malformed)
    }
}

fn thinking_block(
    thinking: String,
    signature: Option<String>,
    redacted: Option<bool>,
) -> ContentBlock {
    ContentBlock::Thinking(ThinkingContent {
        thinking,
        thinking_signature: signature,
        redacted,
        other: Map::new(),
    })
}

/// Reads a whole stream into an assistant message ("non-streaming" is just this). Stream errors
/// end the message with `stopReason: "error"` and are returned alongside it.
pub async fn collect(
    mut stream: EventStream,
    model: &ModelSpec,
    timestamp: i64,
) -> (AssistantMessage, Option<ProviderError>) {
    let mut collected = Collected::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => collected.push(&event),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    if error.is_none() && !collected.is_complete() {
        error = Some(ProviderError::StreamEnded);
    }
    let (message, _) = collected.finish(model, timestamp, error.as_ref());
    (message, error)
}
