//! The `message` payload of transcript entries: pi-ai's `AgentMessage` and its content blocks.
//!
//! Messages are tagged by `role`, blocks by `type`. Roles and block types this version does not
//! model (pi-coding-agent's `bashExecution`, future block kinds) are kept verbatim in an `Unknown`
//! variant rather than rejected: they are still well-formed nodes of the transcript tree, and a
//! consumer that does not understand them can skip them visibly.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::open_enum::open_string_enum;
use crate::serde_util::{js_number, present};

/// A conversation message as stored in a `message` entry.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "assistant replies are the most common variant; boxing them would add an allocation \
              per message to save space only on the rarer ones"
)]
pub enum AgentMessage {
    /// `role: "user"`.
    User(UserMessage),
    /// `role: "assistant"`.
    Assistant(AssistantMessage),
    /// `role: "toolResult"`.
    ToolResult(ToolResultMessage),
    /// A role this version does not model. The map is the whole message, `role` included (always
    /// a string when produced by parsing).
    Unknown(Map<String, Value>),
}

impl AgentMessage {
    /// The message's `role` as written on the wire.
    pub fn role(&self) -> &str {
        match self {
            Self::User(_) => "user",
            Self::Assistant(_) => "assistant",
            Self::ToolResult(_) => "toolResult",
            Self::Unknown(map) => map.get("role").and_then(Value::as_str).unwrap_or_default(),
        }
    }
}

/// A message typed by the user (or injected on the user's behalf, e.g. by a channel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMessage {
    /// Plain text or content blocks (text and images).
    pub content: MessageContent,
    /// Unix milliseconds.
    pub timestamp: i64,
    /// Fields not modelled here (`idempotencyKey`, `__openclaw`, …), kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl UserMessage {
    /// A user message with no extra fields.
    pub fn new(content: MessageContent, timestamp: i64) -> Self {
        Self {
            content,
            timestamp,
            other: Map::new(),
        }
    }
}

open_string_enum! {
    /// Why the model stopped (`stopReason`).
    pub enum StopReason {
        /// Finished its turn.
        Stop = "stop",
        /// Hit the output token limit.
        Length = "length",
        /// Stopped to have tools executed.
        ToolUse = "toolUse",
        /// The request failed (see `errorMessage`).
        Error = "error",
        /// The run was aborted.
        Aborted = "aborted",
    }
}

/// A model reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistantMessage {
    /// Text, thinking and tool-call blocks in model order.
    pub content: Vec<ContentBlock>,
    /// Wire format used (`openai-completions`, `anthropic-messages`, …).
    pub api: String,
    /// Provider id.
    pub provider: String,
    /// Model id.
    pub model: String,
    /// Token usage and cost of this reply.
    pub usage: Usage,
    /// Why the model stopped.
    pub stop_reason: StopReason,
    /// Error text when `stop_reason` is `error` or `aborted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Unix milliseconds.
    pub timestamp: i64,
    /// The provider's response id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    /// Fields not modelled here (`__openclaw`, …), kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AssistantMessage {
    /// A reply with no error message, response id or extra fields.
    pub fn new(
        content: Vec<ContentBlock>,
        api: String,
        provider: String,
        model: String,
        usage: Usage,
        stop_reason: StopReason,
        timestamp: i64,
    ) -> Self {
        Self {
            content,
            api,
            provider,
            model,
            usage,
            stop_reason,
            error_message: None,
            timestamp,
            response_id: None,
            other: Map::new(),
        }
    }
}

/// The result of one tool call, fed back to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultMessage {
    /// The `id` of the [`ToolCall`] this answers.
    pub tool_call_id: String,
    /// The tool's name.
    pub tool_name: String,
    /// What the model sees (text and images).
    pub content: Vec<ContentBlock>,
    /// Tool-specific structured details for UIs (not sent to the model); open shape upstream.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub details: Option<Value>,
    /// Whether the tool failed.
    pub is_error: bool,
    /// Unix milliseconds.
    pub timestamp: i64,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ToolResultMessage {
    /// A tool result with no details or extra fields.
    pub fn new(
        tool_call_id: String,
        tool_name: String,
        content: Vec<ContentBlock>,
        is_error: bool,
        timestamp: i64,
    ) -> Self {
        Self {
            tool_call_id,
            tool_name,
            content,
            details: None,
            is_error,
            timestamp,
            other: Map::new(),
        }
    }
}

/// Token usage of one model reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
    /// Sum as reported or computed.
    pub total_tokens: u64,
    /// Cost in US dollars.
    pub cost: Cost,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Cost of one model reply in US dollars, split like [`Usage`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    /// Cost of uncached input.
    #[serde(serialize_with = "js_number")]
    pub input: f64,
    /// Cost of output.
    #[serde(serialize_with = "js_number")]
    pub output: f64,
    /// Cost of cache reads.
    #[serde(serialize_with = "js_number")]
    pub cache_read: f64,
    /// Cost of cache writes.
    #[serde(serialize_with = "js_number")]
    pub cache_write: f64,
    /// Total.
    #[serde(serialize_with = "js_number")]
    pub total: f64,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Content of a user or custom message: a plain string or a list of blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Text and image blocks.
    Blocks(Vec<ContentBlock>),
}

impl<'de> Deserialize<'de> for MessageContent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => Ok(Self::Text(text)),
            blocks @ Value::Array(_) => serde_json::from_value(blocks)
                .map(Self::Blocks)
                .map_err(D::Error::custom),
            _ => Err(D::Error::custom(
                "content must be a string or an array of content blocks",
            )),
        }
    }
}

/// One block of message content, tagged by `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentBlock {
    /// `type: "text"`.
    Text(TextContent),
    /// `type: "thinking"`.
    Thinking(ThinkingContent),
    /// `type: "image"`.
    Image(ImageContent),
    /// `type: "toolCall"`.
    ToolCall(ToolCall),
    /// A block type this version does not model; the whole block, `type` included.
    Unknown(Map<String, Value>),
}

impl ContentBlock {
    /// A plain text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextContent {
            text: text.into(),
            text_signature: None,
            other: Map::new(),
        })
    }
}

/// Text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextContent {
    /// The text.
    pub text: String,
    /// Provider signature of the text (OpenAI responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_signature: Option<String>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Model reasoning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingContent {
    /// The reasoning text (may be a summary).
    pub thinking: String,
    /// Provider signature needed to send the block back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_signature: Option<String>,
    /// Whether the provider redacted the reasoning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<bool>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// An inline image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageContent {
    /// Base64 data.
    pub data: String,
    /// MIME type (`image/png`, …).
    pub mime_type: String,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A tool call requested by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    /// Call id, echoed by the [`ToolResultMessage`].
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments as given by the model (normally an object).
    pub arguments: Value,
    /// Provider signature (Gemini).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Reads the tag of a tagged JSON object, returning it with the whole object (tag included).
fn read_tag(
    value: Value,
    what: &str,
    tag: &str,
) -> Result<(String, Map<String, Value>), serde_json::Error> {
    let Value::Object(map) = value else {
        return Err(serde_json::Error::custom(format!(
            "{what} must be a JSON object"
        )));
    };
    match map.get(tag) {
        Some(Value::String(name)) => Ok((name.clone(), map)),
        Some(_) => Err(serde_json::Error::custom(format!(
            "{what} `{tag}` must be a string"
        ))),
        None => Err(serde_json::Error::custom(format!(
            "{what} is missing `{tag}`"
        ))),
    }
}

/// Deserializes a modelled variant from its object without the tag key (which would otherwise
/// land in the variant's `other` map and be written twice).
fn variant<T: serde::de::DeserializeOwned>(
    mut map: Map<String, Value>,
    tag: &str,
) -> Result<T, serde_json::Error> {
    map.shift_remove(tag);
    serde_json::from_value(Value::Object(map))
}

impl<'de> Deserialize<'de> for AgentMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const TAG: &str = "role";
        let (role, map) = read_tag(Value::deserialize(deserializer)?, "message", TAG)
            .map_err(D::Error::custom)?;
        let parsed = match role.as_str() {
            "user" => variant(map, TAG).map(Self::User),
            "assistant" => variant(map, TAG).map(Self::Assistant),
            "toolResult" => variant(map, TAG).map(Self::ToolResult),
            _ => Ok(Self::Unknown(map)),
        };
        parsed.map_err(D::Error::custom)
    }
}

/// Serialization view of the modelled roles: internally tagged, role first.
#[derive(Serialize)]
#[serde(tag = "role", rename_all = "camelCase")]
enum TaggedMessage<'a> {
    User(&'a UserMessage),
    Assistant(&'a AssistantMessage),
    ToolResult(&'a ToolResultMessage),
}

impl Serialize for AgentMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::User(message) => TaggedMessage::User(message).serialize(serializer),
            Self::Assistant(message) => TaggedMessage::Assistant(message).serialize(serializer),
            Self::ToolResult(message) => TaggedMessage::ToolResult(message).serialize(serializer),
            Self::Unknown(map) => map.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const TAG: &str = "type";
        let (kind, map) = read_tag(Value::deserialize(deserializer)?, "content block", TAG)
            .map_err(D::Error::custom)?;
        let parsed = match kind.as_str() {
            "text" => variant(map, TAG).map(Self::Text),
            "thinking" => variant(map, TAG).map(Self::Thinking),
            "image" => variant(map, TAG).map(Self::Image),
            "toolCall" => variant(map, TAG).map(Self::ToolCall),
            _ => Ok(Self::Unknown(map)),
        };
        parsed.map_err(D::Error::custom)
    }
}

/// Serialization view of the modelled block types: internally tagged, type first.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum TaggedBlock<'a> {
    Text(&'a TextContent),
    Thinking(&'a ThinkingContent),
    Image(&'a ImageContent),
    ToolCall(&'a ToolCall),
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(block) => TaggedBlock::Text(block).serialize(serializer),
            Self::Thinking(block) => TaggedBlock::Thinking(block).serialize(serializer),
            Self::Image(block) => TaggedBlock::Image(block).serialize(serializer),
            Self::ToolCall(block) => TaggedBlock::ToolCall(block).serialize(serializer),
            Self::Unknown(map) => map.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn round_trip(value: Value) -> AgentMessage {
        let message: AgentMessage = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&message).unwrap(), value);
        message
    }

    #[test]
    fn tool_call_and_result_round_trip() {
        let call = round_trip(json!({
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hm", "thinkingSignature": "sig"},
                {"type": "toolCall", "id": "c1", "name": "read", "arguments": {"path": "a"}},
            ],
            "api": "anthropic-messages", "provider": "anthropic", "model": "claude",
            "usage": {"input": 1, "output": 2, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 3,
                      "cost": {"input": 0.5, "output": 1, "cacheRead": 0, "cacheWrite": 0, "total": 1.5}},
            "stopReason": "toolUse", "timestamp": 7
        }));
        let AgentMessage::Assistant(assistant) = call else {
            panic!("not assistant")
        };
        assert_eq!(assistant.stop_reason, StopReason::ToolUse);
        assert!(matches!(&assistant.content[1], ContentBlock::ToolCall(c) if c.name == "read"));

        let result = round_trip(json!({
            "role": "toolResult", "toolCallId": "c1", "toolName": "read",
            "content": [{"type": "text", "text": "x"}, {"type": "image", "data": "AA==", "mimeType": "image/png"}],
            "details": null, "isError": false, "timestamp": 8
        }));
        assert_eq!(result.role(), "toolResult");
    }

    #[test]
    fn unknown_roles_and_blocks_are_kept() {
        let bash = round_trip(json!({"role": "bashExecution", "command": "ls", "timestamp": 1}));
        assert_eq!(bash.role(), "bashExecution");
        let user = round_trip(json!({
            "role": "user", "content": [{"type": "audio", "data": "x"}], "timestamp": 1
        }));
        let AgentMessage::User(UserMessage {
            content: MessageContent::Blocks(blocks),
            ..
        }) = user
        else {
            panic!("not user blocks")
        };
        assert!(matches!(&blocks[0], ContentBlock::Unknown(_)));
    }

    #[test]
    fn errors_name_the_problem() {
        let missing_role = serde_json::from_value::<AgentMessage>(json!({"content": "x"}));
        assert!(
            missing_role
                .unwrap_err()
                .to_string()
                .contains("missing `role`")
        );
        let bad_content = serde_json::from_value::<AgentMessage>(
            json!({"role": "user", "content": 5, "timestamp": 1}),
        );
        assert!(
            bad_content
                .unwrap_err()
                .to_string()
                .contains("content must be")
        );
        let bad_block = serde_json::from_value::<AgentMessage>(
            json!({"role": "user", "content": [{"type": "text"}], "timestamp": 1}),
        );
        assert!(
            bad_block
                .unwrap_err()
                .to_string()
                .contains("missing field `text`")
        );
    }
}
