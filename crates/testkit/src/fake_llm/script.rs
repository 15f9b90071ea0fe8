//! The scripted turns a fake LLM answers with, independent of any wire format.
//!
//! A [`Turn`] says *what* the model replies (text, tool calls, usage, an HTTP error, garbage) and
//! *how* the bytes travel (split across writes, delayed, cut off). Each wire-format module renders
//! the same turn in its own shapes, so one script vocabulary serves every provider format.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::delivery::{Cut, Delivery};
use super::record::RecordedRequest;

/// One scripted response of the fake model, consumed by exactly one request (FIFO).
///
/// Build one with the constructors below; each returns a kind-specific builder ([`MessageTurn`],
/// [`ErrorTurn`], [`MalformedTurn`]) that converts into a `Turn`, so only the options that make
/// sense for that kind can be set.
#[derive(Debug, Clone)]
pub struct Turn(pub(crate) TurnKind);

#[derive(Debug, Clone)]
pub(crate) enum TurnKind {
    Message(MessageTurn),
    Error(ErrorTurn),
    Malformed(MalformedTurn),
}

impl Turn {
    /// An assistant reply with text content. Streamed, the text is sent as several content
    /// deltas split before each run of whitespace (`"Hello"`, `" world"`), like model tokens.
    pub fn text(text: &str) -> MessageTurn {
        MessageTurn::new(Some(split_words(text)), Vec::new())
    }

    /// An assistant reply whose streamed content deltas are exactly `deltas`, in order.
    pub fn text_deltas<I, S>(deltas: I) -> MessageTurn
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        MessageTurn::new(
            Some(deltas.into_iter().map(Into::into).collect()),
            Vec::new(),
        )
    }

    /// An assistant reply calling one or several tools (parallel calls when several), with no
    /// text content. Finishes with `tool_calls` unless overridden.
    pub fn tool_calls<I>(calls: I) -> MessageTurn
    where
        I: IntoIterator<Item = ToolCall>,
    {
        MessageTurn::new(None, calls.into_iter().collect())
    }

    /// An HTTP error response with `status` and the wire format's error JSON body.
    pub fn error(status: u16) -> ErrorTurn {
        ErrorTurn {
            status,
            message: None,
            error_type: None,
            code: None,
            param: None,
            retry_after: None,
            headers: Vec::new(),
            body: None,
            response_delay: None,
        }
    }

    /// A `200 OK` whose body does not parse: truncated JSON for a non-streaming request, an SSE
    /// `data:` line holding invalid JSON (and no `[DONE]`) for a streaming one.
    pub fn malformed() -> MalformedTurn {
        MalformedTurn {
            body: None,
            delivery: Delivery::default(),
        }
    }

    /// A `200 OK` with exactly `body` as its bytes, whatever the request asked for.
    pub fn malformed_body(body: impl Into<Bytes>) -> MalformedTurn {
        MalformedTurn {
            body: Some(body.into()),
            delivery: Delivery::default(),
        }
    }
}

/// Splits text before each whitespace run that follows a non-whitespace character, so that
/// concatenating the pieces gives back the text exactly.
fn split_words(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut previous_was_space = true;
    for ch in text.chars() {
        let is_space = ch.is_whitespace();
        if is_space && !previous_was_space && !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        current.push(ch);
        previous_was_space = is_space;
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Why the model stopped; each wire format maps it to its own vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The model finished its answer (`stop`).
    Stop,
    /// The model wants tool results (`tool_calls`).
    ToolCalls,
    /// The output hit the token limit (`length`).
    Length,
    /// The provider's filter withheld content (`content_filter`).
    ContentFilter,
}

/// Token counts reported with a turn. Fields mirror OpenAI's `usage` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Tokens in the request.
    pub prompt_tokens: u64,
    /// Tokens in the reply.
    pub completion_tokens: u64,
    /// Reported total; [`Usage::new`] sets it to the sum.
    pub total_tokens: u64,
    /// Prompt tokens served from the provider's cache (`prompt_tokens_details.cached_tokens`).
    pub cached_tokens: u64,
    /// Completion tokens spent on hidden reasoning
    /// (`completion_tokens_details.reasoning_tokens`).
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Usage with `total_tokens = prompt + completion` and no cached or reasoning tokens.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            cached_tokens: 0,
            reasoning_tokens: 0,
        }
    }

    /// The same usage with `cached` prompt tokens reported as served from cache.
    pub fn with_cached_tokens(self, cached: u64) -> Self {
        Self {
            cached_tokens: cached,
            ..self
        }
    }

    /// The same usage with `reasoning` completion tokens reported as reasoning.
    pub fn with_reasoning_tokens(self, reasoning: u64) -> Self {
        Self {
            reasoning_tokens: reasoning,
            ..self
        }
    }
}

/// One tool call issued by the fake model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) arguments: String,
}

impl ToolCall {
    /// A call of tool `name` with id `id` (e.g. `call_1`) and JSON `arguments`, which are sent
    /// serialized as a string, as the wire formats require.
    pub fn new(id: &str, name: &str, arguments: Value) -> Self {
        Self::with_raw_arguments(id, name, &arguments.to_string())
    }

    /// A call whose arguments string is sent verbatim, e.g. invalid JSON to test a client's
    /// handling of a model that emits broken arguments.
    pub fn with_raw_arguments(id: &str, name: &str, arguments: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            arguments: arguments.to_owned(),
        }
    }

    /// The call id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The tool name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments exactly as sent (a JSON string for well-formed calls).
    pub fn arguments(&self) -> &str {
        &self.arguments
    }
}

/// Generates the byte-delivery builder methods shared by the turn kinds that have a body worth
/// slicing, so each kind exposes them as inherent methods without a trait import.
macro_rules! delivery_methods {
    () => {
        /// Splits the response body into writes of at most `bytes` bytes (at least one), each
        /// flushed on its own, so events and JSON tokens straddle the client's reads at
        /// arbitrary points.
        pub fn split_every(mut self, bytes: usize) -> Self {
            self.delivery.split_every = NonZeroUsize::new(bytes.max(1));
            self
        }

        /// Waits `delay` between consecutive writes (events, or pieces when split): a slow
        /// stream.
        pub fn chunk_delay(mut self, delay: Duration) -> Self {
            self.delivery.chunk_delay = Some(delay);
            self
        }

        /// Waits `delay` before sending the status line and headers.
        pub fn response_delay(mut self, delay: Duration) -> Self {
            self.delivery.response_delay = Some(delay);
            self
        }

        /// Closes the connection abruptly after `bytes` body bytes, without the end of the
        /// chunked body: the client sees a truncated response and a transport error.
        pub fn cut_after_bytes(mut self, bytes: usize) -> Self {
            self.delivery.cut = Some(Cut::AfterBytes(bytes));
            self
        }

        /// Closes the connection abruptly halfway through the body's event number `event`
        /// (0-based; for SSE the cut falls inside that event's `data:` line). Past the last
        /// event it cuts halfway through the last one.
        pub fn cut_mid_event(mut self, event: usize) -> Self {
            self.delivery.cut = Some(Cut::MidEvent(event));
            self
        }
    };
}

/// Builder for an assistant reply: text and/or tool calls. Converts into a [`Turn`].
#[derive(Debug, Clone)]
pub struct MessageTurn {
    /// Content deltas; `None` means no content at all (`content: null`).
    pub(crate) content: Option<Vec<String>>,
    /// Reasoning deltas sent before the content, by formats that have a reasoning channel.
    pub(crate) thinking: Option<Vec<String>>,
    pub(crate) tool_calls: Vec<ToolCall>,
    pub(crate) usage: Option<Usage>,
    pub(crate) finish_reason: Option<FinishReason>,
    pub(crate) model: Option<String>,
    pub(crate) keep_alive: bool,
    pub(crate) delivery: Delivery,
}

impl MessageTurn {
    fn new(content: Option<Vec<String>>, tool_calls: Vec<ToolCall>) -> Self {
        Self {
            content,
            thinking: None,
            tool_calls,
            usage: None,
            finish_reason: None,
            model: None,
            keep_alive: false,
            delivery: Delivery::default(),
        }
    }

    /// Adds text content before the tool calls (split into word deltas like [`Turn::text`]).
    pub fn with_text(mut self, text: &str) -> Self {
        self.content = Some(split_words(text));
        self
    }

    /// Adds reasoning before the answer, split into word deltas like [`Turn::text`]. Formats
    /// with a reasoning channel send it (Anthropic `thinking` blocks with a signature, Gemini
    /// `thought` parts, Ollama `message.thinking`); OpenAI chat completions has none and
    /// leaves it out.
    pub fn with_thinking(mut self, thinking: &str) -> Self {
        self.thinking = Some(split_words(thinking));
        self
    }

    /// Adds one more tool call after the existing ones.
    pub fn with_tool_call(mut self, call: ToolCall) -> Self {
        self.tool_calls.push(call);
        self
    }

    /// Reports exactly this usage. Without it the server estimates one (about four characters
    /// per token), because real servers always report usage when asked.
    pub fn with_usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }

    /// Overrides the finish reason, which is otherwise `tool_calls` when the turn has tool
    /// calls and `stop` when it has not.
    pub fn with_finish_reason(mut self, reason: FinishReason) -> Self {
        self.finish_reason = Some(reason);
        self
    }

    /// Answers with this model name instead of echoing the request's `model`.
    pub fn with_model(mut self, model: &str) -> Self {
        self.model = Some(model.to_owned());
        self
    }

    /// Interleaves SSE comment lines (`: keep-alive`) between the events of a streamed reply,
    /// as proxies and some providers do; clients must ignore them. Formats that do not stream
    /// SSE (Ollama's NDJSON) have no such lines and ignore this.
    pub fn keep_alive(mut self) -> Self {
        self.keep_alive = true;
        self
    }

    delivery_methods!();

    /// The finish reason the wire formats report for this turn.
    pub(crate) fn effective_finish_reason(&self) -> FinishReason {
        match self.finish_reason {
            Some(reason) => reason,
            None if self.tool_calls.is_empty() => FinishReason::Stop,
            None => FinishReason::ToolCalls,
        }
    }

    /// The full text content, or `None` when the turn has no content.
    pub(crate) fn full_text(&self) -> Option<String> {
        self.content.as_ref().map(|deltas| deltas.concat())
    }

    /// The full reasoning, or `None` when the turn has none.
    pub(crate) fn full_thinking(&self) -> Option<String> {
        self.thinking.as_ref().map(|deltas| deltas.concat())
    }

    /// The scripted usage, or an estimate of about four bytes per token, so unscripted usage
    /// is plausible and grows with the input.
    pub(crate) fn usage_for(&self, request: &RecordedRequest) -> Usage {
        if let Some(usage) = self.usage {
            return usage;
        }
        let output_bytes = self.full_text().map_or(0, |text| text.len())
            + self.full_thinking().map_or(0, |text| text.len())
            + self
                .tool_calls
                .iter()
                .map(|call| call.name.len() + call.arguments.len())
                .sum::<usize>();
        let tokens = |bytes: usize| u64::try_from(bytes.div_ceil(4)).unwrap_or(u64::MAX);
        Usage::new(tokens(request.raw_body.len()), tokens(output_bytes))
    }
}

/// Splits `text` into pieces of at most `chars` characters, on character boundaries: how
/// streamed tool-call arguments are fragmented (real models send a few characters per token).
pub(crate) fn fragments(text: &str, chars: usize) -> Vec<String> {
    let characters: Vec<char> = text.chars().collect();
    characters
        .chunks(chars.max(1))
        .map(|chunk| chunk.iter().collect())
        .collect()
}

/// Builder for an HTTP error reply. Converts into a [`Turn`].
///
/// Unset fields get the values the real provider sends for that status (e.g. code
/// `rate_limit_exceeded` for 429).
#[derive(Debug, Clone)]
pub struct ErrorTurn {
    pub(crate) status: u16,
    pub(crate) message: Option<String>,
    pub(crate) error_type: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) param: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    pub(crate) response_delay: Option<Duration>,
}

impl ErrorTurn {
    /// The human-readable `error.message`.
    pub fn message(mut self, message: &str) -> Self {
        self.message = Some(message.to_owned());
        self
    }

    /// The `error.type` (e.g. `invalid_request_error`).
    pub fn error_type(mut self, error_type: &str) -> Self {
        self.error_type = Some(error_type.to_owned());
        self
    }

    /// The `error.code` (e.g. `context_length_exceeded`).
    pub fn code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    /// The `error.param` naming the offending request field.
    pub fn param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    /// Sends a `retry-after` header in whole seconds (rounded up, as RFC 9110 allows no
    /// fractions). Add `retry-after-ms` with [`ErrorTurn::header`] to test sub-second hints.
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the whole JSON body.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Waits `delay` before answering.
    pub fn response_delay(mut self, delay: Duration) -> Self {
        self.response_delay = Some(delay);
        self
    }

    /// The `retry-after` header value: whole seconds, rounded up.
    pub(crate) fn retry_after_header(&self) -> Option<String> {
        self.retry_after.map(|after| {
            let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            seconds.to_string()
        })
    }

    /// Every header to send: `retry-after` when set, then the added ones.
    pub(crate) fn response_headers(&self) -> Vec<(String, String)> {
        self.retry_after_header()
            .map(|seconds| ("retry-after".to_owned(), seconds))
            .into_iter()
            .chain(self.headers.iter().cloned())
            .collect()
    }
}

/// Builder for a `200 OK` with an unparsable body. Converts into a [`Turn`].
#[derive(Debug, Clone)]
pub struct MalformedTurn {
    /// Exact bytes to send; `None` picks garbage that fits the request (JSON or SSE).
    pub(crate) body: Option<Bytes>,
    pub(crate) delivery: Delivery,
}

impl MalformedTurn {
    delivery_methods!();
}

impl From<MessageTurn> for Turn {
    fn from(turn: MessageTurn) -> Self {
        Self(TurnKind::Message(turn))
    }
}

impl From<ErrorTurn> for Turn {
    fn from(turn: ErrorTurn) -> Self {
        Self(TurnKind::Error(turn))
    }
}

impl From<MalformedTurn> for Turn {
    fn from(turn: MalformedTurn) -> Self {
        Self(TurnKind::Malformed(turn))
    }
}

/// The FIFO of turns not yet served.
#[derive(Debug, Default)]
pub(crate) struct Script {
    turns: VecDeque<Turn>,
}

impl Script {
    pub(crate) fn push(&mut self, turn: Turn) {
        self.turns.push_back(turn);
    }

    pub(crate) fn next(&mut self) -> Option<Turn> {
        self.turns.pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.turns.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_before_whitespace_and_rejoin_exactly() {
        let text = "Hello  world,\nhow are you? ";
        let pieces = split_words(text);
        assert_eq!(pieces, ["Hello", "  world,", "\nhow", " are", " you?", " "]);
        assert_eq!(pieces.concat(), text);
    }

    #[test]
    fn leading_whitespace_stays_with_the_first_word() {
        assert_eq!(split_words("  hi there"), ["  hi", " there"]);
        assert!(split_words("").is_empty());
    }

    #[test]
    fn fragments_respect_character_boundaries() {
        assert_eq!(fragments("{\"a\":\"é😀\"}", 4), ["{\"a\"", ":\"é😀", "\"}"]);
        assert!(fragments("", 8).is_empty());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let turn = Turn::error(429).retry_after(Duration::from_millis(1500));
        assert_eq!(turn.retry_after_header().as_deref(), Some("2"));
        let turn = Turn::error(429).retry_after(Duration::from_secs(3));
        assert_eq!(turn.retry_after_header().as_deref(), Some("3"));
    }

    #[test]
    fn finish_reason_follows_tool_calls_unless_overridden() {
        let call = ToolCall::new("call_1", "read", serde_json::json!({}));
        assert_eq!(
            Turn::text("x").effective_finish_reason(),
            FinishReason::Stop
        );
        assert_eq!(
            Turn::tool_calls([call.clone()]).effective_finish_reason(),
            FinishReason::ToolCalls
        );
        assert_eq!(
            Turn::text("x")
                .with_finish_reason(FinishReason::Length)
                .effective_finish_reason(),
            FinishReason::Length
        );
    }
}
