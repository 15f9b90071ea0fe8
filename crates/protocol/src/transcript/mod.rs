//! The transcript line format: one JSON object per line of an OpenClaw `<sessionId>.jsonl` (and of
//! 2026.9's `transcript_events.event_json`).
//!
//! The first line is a `session` header (format version 3 from pi-coding-agent, or 4 as written by
//! OpenClaw 2026.9 — same line types); every other line is an entry with `id`, `parentId` and
//! `timestamp`, forming a tree whose active branch is the leaf chain. The line is the unit rustyclaw
//! stores and exports, so every struct keeps unknown fields and parsing followed by
//! [`TranscriptLine::to_json`] yields an equal JSON value. Parsing validates the envelope itself to
//! report precise errors (not JSON, missing field, unknown type, unsupported version) before serde
//! checks the type-specific fields.

mod entry;
mod message;
mod timestamp;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

pub use entry::{
    BranchSummaryEntry, CompactionEntry, CustomEntry, CustomMessageEntry, EntryBody, LabelEntry,
    MessageEntry, ModelChangeEntry, ResetEntry, SessionInfoEntry, ThinkingLevelChangeEntry,
};
pub use message::{
    AgentMessage, AssistantMessage, ContentBlock, Cost, ImageContent, MessageContent, StopReason,
    TextContent, ThinkingContent, ToolCall, ToolResultMessage, Usage, UserMessage,
};
pub use timestamp::format_timestamp;

use crate::ids::{EntryId, IdError, SessionId};

/// Why a line is not a valid transcript line.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    /// The line is not valid JSON.
    #[error("line is not valid JSON")]
    NotJson {
        /// The JSON parser's error (with the column).
        #[source]
        source: serde_json::Error,
    },
    /// The line is not UTF-8 text.
    #[error("line is not UTF-8 text (invalid byte at offset {valid_up_to})")]
    NotUtf8 {
        /// Length of the valid prefix in bytes.
        valid_up_to: usize,
    },
    /// The line is JSON but not an object.
    #[error("line is a JSON {found}, not an object")]
    NotAnObject {
        /// The JSON kind found (`array`, `string`, …).
        found: &'static str,
    },
    /// A required envelope field is missing.
    #[error("missing field `{field}`")]
    MissingField {
        /// The missing field.
        field: &'static str,
    },
    /// An envelope field has the wrong JSON type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// An id field holds an invalid id.
    #[error("field `{field}` is not a valid id")]
    InvalidId {
        /// The field.
        field: &'static str,
        /// Why the id is invalid.
        #[source]
        source: IdError,
    },
    /// The `type` is not a known line type.
    #[error("unknown line type {type_name:?}")]
    UnknownType {
        /// The `type` found.
        type_name: String,
    },
    /// The `session` header has a format version other than 3 or 4.
    #[error("unsupported transcript version {version} (supported: 3, 4)")]
    UnsupportedVersion {
        /// The version found.
        version: u64,
    },
    /// The type-specific fields of the line are invalid.
    #[error("invalid `{line_type}` line")]
    InvalidLine {
        /// The line's `type`.
        line_type: &'static str,
        /// serde's description (missing or mistyped field).
        #[source]
        source: serde_json::Error,
    },
    /// Serializing a line failed (only possible for hand-built values serde cannot write).
    #[error("cannot serialize a transcript line")]
    Serialize {
        /// serde's error.
        #[source]
        source: serde_json::Error,
    },
}

/// Transcript format version of a `session` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TranscriptVersion {
    /// pi-coding-agent's format (OpenClaw ≤ 2026.7 file-backed transcripts).
    V3,
    /// OpenClaw 2026.9's header version, same line types.
    V4,
}

impl TranscriptVersion {
    /// The version rustyclaw writes: OpenClaw's current one.
    pub const CURRENT: Self = Self::V4;

    /// The version number on the wire.
    pub fn number(self) -> u32 {
        match self {
            Self::V3 => 3,
            Self::V4 => 4,
        }
    }

    /// The version with this number, if supported.
    pub fn from_number(number: u64) -> Option<Self> {
        match number {
            3 => Some(Self::V3),
            4 => Some(Self::V4),
            _ => None,
        }
    }
}

impl Serialize for TranscriptVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.number())
    }
}

impl<'de> Deserialize<'de> for TranscriptVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = u64::deserialize(deserializer)?;
        Self::from_number(number)
            .ok_or_else(|| D::Error::custom(format!("unsupported transcript version {number}")))
    }
}

/// The `session` header, first line of every transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionHeader {
    /// Format version.
    pub version: TranscriptVersion,
    /// The session id this transcript belongs to.
    pub id: SessionId,
    /// Creation time, ISO-8601 (see [`format_timestamp`]).
    pub timestamp: String,
    /// Working directory of the agent (its workspace).
    pub cwd: String,
    /// Transcript this one was forked from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_session: Option<String>,
    /// Fields not modelled here, kept verbatim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SessionHeader {
    /// A header of the [current](TranscriptVersion::CURRENT) version.
    pub fn new(id: SessionId, timestamp: String, cwd: String) -> Self {
        Self {
            version: TranscriptVersion::CURRENT,
            id,
            timestamp,
            cwd,
            parent_session: None,
            other: Map::new(),
        }
    }
}

/// An entry line: the shared envelope plus the type-specific [`EntryBody`].
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptEntry {
    /// Entry id, unique within the transcript.
    pub id: EntryId,
    /// The entry this one follows in the tree; `None` (JSON `null`) for a root.
    pub parent_id: Option<EntryId>,
    /// Creation time, ISO-8601 (see [`format_timestamp`]).
    pub timestamp: String,
    /// What the entry records.
    pub body: EntryBody,
}

impl TranscriptEntry {
    /// An entry; the caller supplies the id (a UUID, as OpenClaw writes) and the timestamp.
    pub fn new(
        id: EntryId,
        parent_id: Option<EntryId>,
        timestamp: String,
        body: impl Into<EntryBody>,
    ) -> Self {
        Self {
            id,
            parent_id,
            timestamp,
            body: body.into(),
        }
    }
}

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "every line but the first is an entry; boxing entries would add an allocation per \
              line to save space only on the single header"
)]
pub enum TranscriptLine {
    /// The `session` header.
    Session(SessionHeader),
    /// Any other line.
    Entry(TranscriptEntry),
}

impl From<SessionHeader> for TranscriptLine {
    fn from(header: SessionHeader) -> Self {
        Self::Session(header)
    }
}

impl From<TranscriptEntry> for TranscriptLine {
    fn from(entry: TranscriptEntry) -> Self {
        Self::Entry(entry)
    }
}

impl TranscriptLine {
    /// Parses one JSONL line (without its newline).
    pub fn parse(line: &str) -> Result<Self, TranscriptError> {
        let value =
            serde_json::from_str(line).map_err(|source| TranscriptError::NotJson { source })?;
        Self::from_value(value)
    }

    /// Interprets an already parsed JSON value as a line.
    pub fn from_value(value: Value) -> Result<Self, TranscriptError> {
        let mut fields = match value {
            Value::Object(fields) => fields,
            other => {
                return Err(TranscriptError::NotAnObject {
                    found: json_kind(&other),
                });
            }
        };
        let type_name = take_string(&mut fields, "type")?;
        if type_name == "session" {
            return parse_header(fields).map(Self::Session);
        }
        if !EntryBody::TYPE_NAMES.contains(&type_name.as_str()) {
            return Err(TranscriptError::UnknownType { type_name });
        }
        let id = take_id(&mut fields, "id")?;
        let parent_id = match fields.shift_remove("parentId") {
            None => return Err(TranscriptError::MissingField { field: "parentId" }),
            Some(Value::Null) => None,
            Some(Value::String(parent)) => {
                Some(
                    EntryId::new(parent).map_err(|source| TranscriptError::InvalidId {
                        field: "parentId",
                        source,
                    })?,
                )
            }
            Some(_) => {
                return Err(TranscriptError::WrongType {
                    field: "parentId",
                    expected: "a string or null",
                });
            }
        };
        let timestamp = take_string(&mut fields, "timestamp")?;
        let body = match EntryBody::from_fields(&type_name, fields) {
            Some(Ok(body)) => body,
            Some(Err(source)) => {
                let line_type = EntryBody::TYPE_NAMES
                    .iter()
                    .find(|name| **name == type_name)
                    .copied()
                    .unwrap_or("entry");
                return Err(TranscriptError::InvalidLine { line_type, source });
            }
            None => return Err(TranscriptError::UnknownType { type_name }),
        };
        Ok(Self::Entry(TranscriptEntry {
            id,
            parent_id,
            timestamp,
            body,
        }))
    }

    /// Serializes the line as compact JSON without a trailing newline.
    pub fn to_json(&self) -> Result<String, TranscriptError> {
        serde_json::to_string(self).map_err(|source| TranscriptError::Serialize { source })
    }

    /// The wire `type` of the line (`session`, `message`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Session(_) => "session",
            Self::Entry(entry) => entry.body.type_name(),
        }
    }

    /// The line's ISO-8601 timestamp.
    pub fn timestamp(&self) -> &str {
        match self {
            Self::Session(header) => &header.timestamp,
            Self::Entry(entry) => &entry.timestamp,
        }
    }

    /// The header, if this is the `session` line.
    pub fn as_header(&self) -> Option<&SessionHeader> {
        match self {
            Self::Session(header) => Some(header),
            Self::Entry(_) => None,
        }
    }

    /// The entry, unless this is the `session` line.
    pub fn as_entry(&self) -> Option<&TranscriptEntry> {
        match self {
            Self::Session(_) => None,
            Self::Entry(entry) => Some(entry),
        }
    }
}

fn parse_header(fields: Map<String, Value>) -> Result<SessionHeader, TranscriptError> {
    match fields.get("version") {
        None => return Err(TranscriptError::MissingField { field: "version" }),
        Some(Value::Number(number)) => match number.as_u64() {
            Some(version) if TranscriptVersion::from_number(version).is_none() => {
                return Err(TranscriptError::UnsupportedVersion { version });
            }
            Some(_) => {}
            None => {
                return Err(TranscriptError::WrongType {
                    field: "version",
                    expected: "a non-negative integer",
                });
            }
        },
        Some(_) => {
            return Err(TranscriptError::WrongType {
                field: "version",
                expected: "a non-negative integer",
            });
        }
    }
    serde_json::from_value(Value::Object(fields)).map_err(|source| TranscriptError::InvalidLine {
        line_type: "session",
        source,
    })
}

fn take_string(
    fields: &mut Map<String, Value>,
    field: &'static str,
) -> Result<String, TranscriptError> {
    match fields.shift_remove(field) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(TranscriptError::WrongType {
            field,
            expected: "a string",
        }),
        None => Err(TranscriptError::MissingField { field }),
    }
}

fn take_id(
    fields: &mut Map<String, Value>,
    field: &'static str,
) -> Result<EntryId, TranscriptError> {
    let value = take_string(fields, field)?;
    EntryId::new(value).map_err(|source| TranscriptError::InvalidId { field, source })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Serialization view of an entry: envelope first, in the order pi-coding-agent writes it, then
/// the body's fields.
#[derive(Serialize)]
struct WireEntry<'a, B> {
    #[serde(rename = "type")]
    line_type: &'static str,
    id: &'a EntryId,
    #[serde(rename = "parentId")]
    parent_id: &'a Option<EntryId>,
    timestamp: &'a str,
    #[serde(flatten)]
    body: &'a B,
}

impl Serialize for TranscriptEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        fn wire<'a, B: Serialize>(entry: &'a TranscriptEntry, body: &'a B) -> WireEntry<'a, B> {
            WireEntry {
                line_type: entry.body.type_name(),
                id: &entry.id,
                parent_id: &entry.parent_id,
                timestamp: &entry.timestamp,
                body,
            }
        }
        match &self.body {
            EntryBody::Message(body) => wire(self, body).serialize(serializer),
            EntryBody::ModelChange(body) => wire(self, body).serialize(serializer),
            EntryBody::ThinkingLevelChange(body) => wire(self, body).serialize(serializer),
            EntryBody::Compaction(body) => wire(self, body).serialize(serializer),
            EntryBody::BranchSummary(body) => wire(self, body).serialize(serializer),
            EntryBody::Custom(body) => wire(self, body).serialize(serializer),
            EntryBody::CustomMessage(body) => wire(self, body).serialize(serializer),
            EntryBody::Label(body) => wire(self, body).serialize(serializer),
            EntryBody::SessionInfo(body) => wire(self, body).serialize(serializer),
            EntryBody::Reset(body) => wire(self, body).serialize(serializer),
        }
    }
}

/// Serialization view of the header: `"type": "session"` first.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireHeader<'a> {
    Session(&'a SessionHeader),
}

impl Serialize for TranscriptLine {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Session(header) => WireHeader::Session(header).serialize(serializer),
            Self::Entry(entry) => entry.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for TranscriptLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_value(value).map_err(|error| D::Error::custom(error_chain(&error)))
    }
}

/// The error's message followed by its sources, for contexts that only carry a string.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests;
