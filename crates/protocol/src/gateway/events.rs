//! Payloads of the server events rustyclaw emits: `chat`, `agent`, `tick`, `shutdown` (and
//! `health`, whose payload is [`super::HealthSnapshot`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::open_enum::open_string_enum;

open_string_enum! {
    /// `chat.state`.
    pub enum ChatState {
        /// Progress of the run (`phase`), before any text.
        Status = "status",
        /// The reply so far: `message` holds the *cumulative* text.
        Delta = "delta",
        /// The finished reply.
        Final = "final",
        /// The run was aborted.
        Aborted = "aborted",
        /// The run failed (`errorMessage`).
        Error = "error",
    }
}

/// Payload of the `chat` event (WebChat-level view of a run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatEvent {
    /// The run (equal to the `chat.send` idempotency key).
    pub run_id: String,
    /// The session.
    pub session_key: String,
    /// Per-run sequence number.
    pub seq: u64,
    /// What happened.
    pub state: ChatState,
    /// Agent id (v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Text added since the previous delta (v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_text: Option<String>,
    /// The assistant message so far (delta) or complete (final).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<ChatMessage>,
    /// Why the model stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Error text when `state` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Run phase when `state` is `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The message carried by a `chat` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    /// `assistant`.
    pub role: String,
    /// Content blocks.
    pub content: Vec<ChatContent>,
    /// Epoch milliseconds.
    pub timestamp: u64,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ChatMessage {
    /// An assistant message with one text block.
    pub fn assistant_text(text: impl Into<String>, timestamp: u64) -> Self {
        Self {
            role: "assistant".into(),
            content: vec![ChatContent {
                kind: "text".into(),
                text: Some(text.into()),
                other: Map::new(),
            }],
            timestamp,
            other: Map::new(),
        }
    }

    /// The concatenated text blocks.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|c| c.text.as_deref())
            .collect()
    }
}

/// One content block of a chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatContent {
    /// Block type (`text`, `image`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of a `text` block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Payload of the `agent` event (the detailed run stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentEvent {
    /// The run.
    pub run_id: String,
    /// Per-run sequence number.
    pub seq: u64,
    /// Stream name: `lifecycle`, `assistant`, `tool`, `run_status`, `usage`, …
    pub stream: String,
    /// Epoch milliseconds.
    pub ts: u64,
    /// Stream-specific data (e.g. `{text, delta}` on `assistant`, `{phase}` on `lifecycle`).
    pub data: Map<String, Value>,
    /// The session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key: Option<String>,
    /// Fields this version does not model (`agentId`, `sessionId`, `isHeartbeat`, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Payload of the `tick` keep-alive event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TickEvent {
    /// Server time in epoch milliseconds.
    pub ts: u64,
}

/// Payload of the `shutdown` event sent before the server closes the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShutdownEvent {
    /// Why the server stops.
    pub reason: String,
    /// When a restart is expected, if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_expected_ms: Option<u64>,
}
