//! Shared fixtures: temporary databases, captured test vectors, line builders.

use std::path::PathBuf;

use rustyclaw_protocol::origin::{AccountId, ChannelId, Chat, ChatId, MessageId, PeerId, Sender};
use rustyclaw_protocol::session_entry::ChatType;
use rustyclaw_protocol::transcript::{
    AgentMessage, MessageContent, MessageEntry, SessionHeader, UserMessage, format_timestamp,
};
use rustyclaw_protocol::{EntryId, SessionId, SessionKey, TranscriptEntry, TranscriptLine};
use rustyclaw_store::{ChannelOffset, InboundRecord, Store};
use tempfile::TempDir;

/// A temporary directory and the path of a (not yet created) database inside a subdirectory,
/// so tests also cover parent-directory creation.
pub fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state").join("state.sqlite");
    (dir, path)
}

/// A freshly opened store in a temporary directory.
pub async fn temp_store() -> (TempDir, Store) {
    let (dir, path) = temp_db();
    let store = Store::open(&path).await.unwrap();
    (dir, store)
}

/// A file of the OpenClaw 2026.9.6 captures (`shared/` lives beside the repository).
pub fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/openclaw-2026.9.6")
        .join(name)
}

pub fn session_id(value: &str) -> SessionId {
    SessionId::new(value).unwrap()
}

pub fn key(value: &str) -> SessionKey {
    SessionKey::parse(value).unwrap()
}

pub fn entry_id(value: &str) -> EntryId {
    EntryId::new(value).unwrap()
}

/// The `session` header line of `session`.
pub fn header(session: &SessionId) -> TranscriptLine {
    SessionHeader::new(
        session.clone(),
        format_timestamp(1_795_291_946_124),
        "/workspace".into(),
    )
    .into()
}

/// A user message entry.
pub fn user_message(id: &str, parent: Option<&str>, text: &str) -> TranscriptLine {
    TranscriptEntry::new(
        entry_id(id),
        parent.map(entry_id),
        format_timestamp(1_795_291_946_124),
        MessageEntry::new(AgentMessage::User(UserMessage::new(
            MessageContent::Text(text.to_owned()),
            1_795_291_946_124,
        ))),
    )
    .into()
}

/// The entry id of a line (panics on the header).
pub fn id_of(line: &TranscriptLine) -> &str {
    line.as_entry().unwrap().id.as_str()
}

/// A direct message `message_id` from user 42 to the `default` account of `channel`.
pub fn inbound(channel: &str, message_id: &str, text: &str) -> InboundRecord {
    InboundRecord {
        channel: ChannelId::new(channel),
        account: AccountId::new("default"),
        message_id: MessageId::new(message_id),
        chat: Chat {
            kind: ChatType::Direct,
            id: ChatId::new("42"),
        },
        thread_id: None,
        sender: Some(Sender {
            id: PeerId::new("42"),
            name: Some("Ada".to_owned()),
        }),
        sender_aliases: Vec::new(),
        reply_to_id: None,
        text: text.to_owned(),
        attachments: serde_json::Value::Array(Vec::new()),
        received_ms: 1_000,
    }
}

/// The `default` account's offset on `channel`.
pub fn offset(channel: &str, next_offset: i64) -> ChannelOffset {
    ChannelOffset {
        channel: ChannelId::new(channel),
        account: AccountId::new("default"),
        next_offset,
    }
}
