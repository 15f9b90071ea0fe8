//! The payloads of transcript entry lines, one struct per `type`.
//!
//! The envelope every entry shares (`type`, `id`, `parentId`, `timestamp`) lives in
//! [`TranscriptEntry`](super::TranscriptEntry); these structs hold the rest of the line, each with
//! an `other` map for fields upstream adds later.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::message::{AgentMessage, MessageContent};
use crate::ids::EntryId;
use crate::levels::ThinkingLevel;
use crate::serde_util::present;

/// The type-specific part of an entry line, tagged on the wire by `type`.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "messages are the bulk of every transcript; boxing them would add an allocation per \
              line to save space only on the rare small entries"
)]
pub enum EntryBody {
    /// `message`: a conversation message.
    Message(MessageEntry),
    /// `model_change`: the session switched model.
    ModelChange(ModelChangeEntry),
    /// `thinking_level_change`: the session's thinking level changed.
    ThinkingLevelChange(ThinkingLevelChangeEntry),
    /// `compaction`: older context was summarized.
    Compaction(CompactionEntry),
    /// `branch_summary`: summary of an abandoned branch of the tree.
    BranchSummary(BranchSummaryEntry),
    /// `custom`: extension state, not part of the model context.
    Custom(CustomEntry),
    /// `custom_message`: extension message that enters the context as a user message.
    CustomMessage(CustomMessageEntry),
    /// `label`: a user label on another entry.
    Label(LabelEntry),
    /// `session_info`: session metadata (display name).
    SessionInfo(SessionInfoEntry),
    /// `reset`: the context was reset (OpenClaw 2026.9).
    Reset(ResetEntry),
}

impl EntryBody {
    /// Every entry `type` this version understands.
    pub const TYPE_NAMES: [&'static str; 10] = [
        "message",
        "model_change",
        "thinking_level_change",
        "compaction",
        "branch_summary",
        "custom",
        "custom_message",
        "label",
        "session_info",
        "reset",
    ];

    /// The wire `type` of this entry.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Message(_) => "message",
            Self::ModelChange(_) => "model_change",
            Self::ThinkingLevelChange(_) => "thinking_level_change",
            Self::Compaction(_) => "compaction",
            Self::BranchSummary(_) => "branch_summary",
            Self::Custom(_) => "custom",
            Self::CustomMessage(_) => "custom_message",
            Self::Label(_) => "label",
            Self::SessionInfo(_) => "session_info",
            Self::Reset(_) => "reset",
        }
    }

    /// Deserializes the body of an entry of type `type_name` from the line's remaining fields.
    /// Returns `None` for a type not in [`Self::TYPE_NAMES`].
    pub(crate) fn from_fields(
        type_name: &str,
        fields: Map<String, Value>,
    ) -> Option<Result<Self, serde_json::Error>> {
        fn body<T: serde::de::DeserializeOwned>(
            fields: Map<String, Value>,
            wrap: fn(T) -> EntryBody,
        ) -> Option<Result<EntryBody, serde_json::Error>> {
            Some(serde_json::from_value(Value::Object(fields)).map(wrap))
        }
        match type_name {
            "message" => body(fields, Self::Message),
            "model_change" => body(fields, Self::ModelChange),
            "thinking_level_change" => body(fields, Self::ThinkingLevelChange),
            "compaction" => body(fields, Self::Compaction),
            "branch_summary" => body(fields, Self::BranchSummary),
            "custom" => body(fields, Self::Custom),
            "custom_message" => body(fields, Self::CustomMessage),
            "label" => body(fields, Self::Label),
            "session_info" => body(fields, Self::SessionInfo),
            "reset" => body(fields, Self::Reset),
            _ => None,
        }
    }
}

/// Implements `From<$body> for EntryBody`.
macro_rules! into_body {
    ($($variant:ident($body:ident)),+ $(,)?) => {
        $(impl From<$body> for EntryBody {
            fn from(body: $body) -> Self {
                Self::$variant(body)
            }
        })+
    };
}

into_body!(
    Message(MessageEntry),
    ModelChange(ModelChangeEntry),
    ThinkingLevelChange(ThinkingLevelChangeEntry),
    Compaction(CompactionEntry),
    BranchSummary(BranchSummaryEntry),
    Custom(CustomEntry),
    CustomMessage(CustomMessageEntry),
    Label(LabelEntry),
    SessionInfo(SessionInfoEntry),
    Reset(ResetEntry),
);

/// `message` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageEntry {
    /// The message.
    pub message: AgentMessage,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl MessageEntry {
    /// A message entry with no extra fields.
    pub fn new(message: AgentMessage) -> Self {
        Self {
            message,
            other: Map::new(),
        }
    }
}

/// `model_change` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelChangeEntry {
    /// Provider id.
    pub provider: String,
    /// Model id.
    pub model_id: String,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ModelChangeEntry {
    /// A model change with no extra fields.
    pub fn new(provider: String, model_id: String) -> Self {
        Self {
            provider,
            model_id,
            other: Map::new(),
        }
    }
}

/// `thinking_level_change` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingLevelChangeEntry {
    /// The new level.
    pub thinking_level: ThinkingLevel,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ThinkingLevelChangeEntry {
    /// A thinking level change with no extra fields.
    pub fn new(thinking_level: ThinkingLevel) -> Self {
        Self {
            thinking_level,
            other: Map::new(),
        }
    }
}

/// `compaction` entry: everything before `first_kept_entry_id` is replaced by `summary` in the
/// model context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompactionEntry {
    /// The summary that replaces the compacted entries.
    pub summary: String,
    /// First entry kept verbatim.
    pub first_kept_entry_id: EntryId,
    /// Context size before compaction, in tokens.
    pub tokens_before: u64,
    /// Implementation-specific details (open shape).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub details: Option<Value>,
    /// Whether an extension hook produced the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_hook: Option<bool>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CompactionEntry {
    /// A compaction with no details or extra fields.
    pub fn new(summary: String, first_kept_entry_id: EntryId, tokens_before: u64) -> Self {
        Self {
            summary,
            first_kept_entry_id,
            tokens_before,
            details: None,
            from_hook: None,
            other: Map::new(),
        }
    }
}

/// `branch_summary` entry: summary of the branch left when navigating the tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchSummaryEntry {
    /// The entry the abandoned branch started from.
    pub from_id: EntryId,
    /// The summary.
    pub summary: String,
    /// Implementation-specific details (open shape).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub details: Option<Value>,
    /// Whether an extension hook produced the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_hook: Option<bool>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl BranchSummaryEntry {
    /// A branch summary with no details or extra fields.
    pub fn new(from_id: EntryId, summary: String) -> Self {
        Self {
            from_id,
            summary,
            details: None,
            from_hook: None,
            other: Map::new(),
        }
    }
}

/// `custom` entry: extension state (`model-snapshot`, `openclaw:bootstrap-context:full`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomEntry {
    /// Namespaced kind chosen by the extension.
    pub custom_type: String,
    /// The extension's data (open shape by definition).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<Value>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CustomEntry {
    /// A custom entry with no extra fields.
    pub fn new(custom_type: String, data: Option<Value>) -> Self {
        Self {
            custom_type,
            data,
            other: Map::new(),
        }
    }
}

/// `custom_message` entry: enters the model context as a user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomMessageEntry {
    /// Namespaced kind chosen by the extension.
    pub custom_type: String,
    /// The message content.
    pub content: MessageContent,
    /// Extension details (open shape).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub details: Option<Value>,
    /// Whether UIs show the message.
    pub display: bool,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CustomMessageEntry {
    /// A custom message with no details or extra fields.
    pub fn new(custom_type: String, content: MessageContent, display: bool) -> Self {
        Self {
            custom_type,
            content,
            details: None,
            display,
            other: Map::new(),
        }
    }
}

/// `label` entry: sets (or, without `label`, clears) the label of another entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelEntry {
    /// The labelled entry.
    pub target_id: EntryId,
    /// The label; absent to clear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl LabelEntry {
    /// A label entry with no extra fields.
    pub fn new(target_id: EntryId, label: Option<String>) -> Self {
        Self {
            target_id,
            label,
            other: Map::new(),
        }
    }
}

/// `session_info` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfoEntry {
    /// Display name of the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SessionInfoEntry {
    /// A session info entry with no extra fields.
    pub fn new(name: Option<String>) -> Self {
        Self {
            name,
            other: Map::new(),
        }
    }
}

/// `reset` entry: the context restarts, optionally keeping entries from `first_kept_entry_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetEntry {
    /// First entry kept in context, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_kept_entry_id: Option<EntryId>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ResetEntry {
    /// A reset entry with no extra fields.
    pub fn new(first_kept_entry_id: Option<EntryId>) -> Self {
        Self {
            first_kept_entry_id,
            other: Map::new(),
        }
    }
}
