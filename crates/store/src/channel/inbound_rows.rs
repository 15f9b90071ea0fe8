//! Rows of the inbound journal: encoding a message for `channel_inbound`, decoding it back,
//! and the checks shared by its state changes.

use rusqlite::{Connection, OptionalExtension, Row, params};
use rustyclaw_protocol::origin::{AccountId, ChannelId, Chat, ChatId, MessageId, PeerId, Sender};
use rustyclaw_protocol::session_entry::ChatType;

use super::inbound::{InboundId, InboundOutcome, InboundRecord, InboundState, StoredInbound};
use super::{row_id, sql_id, thread_from_sql, thread_to_sql};
use crate::error::{SqliteContext, StoreError, corrupt};

/// The columns every read selects, in the order [`RawInbound::read`] takes them, from the
/// table named `message`.
pub(super) const COLUMNS: &str =
    "message.id, message.channel, message.account_id, message.message_id,
    message.chat_kind, message.chat_id, message.thread_json, message.sender_id,
    message.sender_name, message.reply_to_id, message.text, message.attachments_json,
    message.received_ms, message.state, message.run_id, message.updated_ms,
    message.sender_aliases_json";

/// A message encoded for its row.
pub(super) struct PreparedInbound {
    record: InboundRecord,
    thread_json: Option<String>,
    attachments_json: String,
    aliases_json: String,
}

impl PreparedInbound {
    pub(super) fn new(record: &InboundRecord) -> Result<Self, StoreError> {
        let attachments_json =
            serde_json::to_string(&record.attachments).map_err(|source| StoreError::Encode {
                what: "message attachments",
                source,
            })?;
        let aliases_json =
            serde_json::to_string(&record.sender_aliases).map_err(|source| StoreError::Encode {
                what: "sender aliases",
                source,
            })?;
        Ok(Self {
            record: record.clone(),
            thread_json: thread_to_sql(record.thread_id.as_ref())?,
            attachments_json,
            aliases_json,
        })
    }
}

/// Inserts a message inside the caller's transaction, or finds the earlier row of the same key.
pub(super) fn insert(
    conn: &Connection,
    message: &PreparedInbound,
) -> Result<InboundOutcome, StoreError> {
    let record = &message.record;
    let key = params![
        record.channel.as_str(),
        record.account.as_str(),
        record.chat.id.as_str(),
        record.message_id.as_str()
    ];
    let sender = record.sender.as_ref();
    let inserted: Option<i64> = conn
        .query_row(
            "INSERT INTO channel_inbound (channel, account_id, message_id, chat_kind, chat_id,
                 thread_json, sender_id, sender_name, reply_to_id, text, attachments_json,
                 received_ms, state, updated_ms, sender_aliases_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'received', ?12, ?13)
             ON CONFLICT (channel, account_id, chat_id, message_id) DO NOTHING
             RETURNING id",
            params![
                record.channel.as_str(),
                record.account.as_str(),
                record.message_id.as_str(),
                record.chat.kind.as_str(),
                record.chat.id.as_str(),
                message.thread_json,
                sender.map(|sender| sender.id.as_str()),
                sender.and_then(|sender| sender.name.as_deref()),
                record.reply_to_id.as_ref().map(MessageId::as_str),
                record.text,
                message.attachments_json,
                record.received_ms,
                message.aliases_json,
            ],
            |row| row.get(0),
        )
        .optional()
        .during("store a received message")?;
    if let Some(id) = inserted {
        return Ok(InboundOutcome::Recorded(InboundId(row_id(
            id,
            "inbound message id",
        )?)));
    }
    let (id, state): (i64, String) = conn
        .query_row(
            "SELECT id, state FROM channel_inbound
             WHERE channel = ?1 AND account_id = ?2 AND chat_id = ?3 AND message_id = ?4",
            key,
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .during("look up a redelivered message")?;
    Ok(InboundOutcome::Duplicate {
        id: InboundId(row_id(id, "inbound message id")?),
        state: parse_state(&state, id)?,
    })
}

/// After an update of row `id` expected in `expected`: `Ok` if it changed, else why not.
pub(super) fn check_changed(
    conn: &Connection,
    id: InboundId,
    changed: usize,
    expected: &'static str,
) -> Result<(), StoreError> {
    if changed > 0 {
        return Ok(());
    }
    let found: Option<String> = conn
        .query_row(
            "SELECT state FROM channel_inbound WHERE id = ?1",
            [sql_id(id.0)],
            |row| row.get(0),
        )
        .optional()
        .during("read a message's state")?;
    Err(match found {
        Some(found) => StoreError::WrongState {
            what: "inbound message",
            id: id.0,
            found,
            expected,
        },
        None => StoreError::NotFound {
            what: "inbound message",
            id: id.to_string(),
        },
    })
}

pub(super) fn parse_state(word: &str, id: i64) -> Result<InboundState, StoreError> {
    InboundState::parse(word).ok_or_else(|| {
        corrupt(
            "inbound message state",
            id.to_string(),
            format!("unknown state {word:?}"),
        )
    })
}

pub(super) fn select(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredInbound>, StoreError> {
    let mut statement = conn.prepare(sql).during("list received messages")?;
    let rows = statement
        .query_map(params, RawInbound::read)
        .during("list received messages")?;
    let mut messages = Vec::new();
    for row in rows {
        messages.push(row.during("list received messages")?.decode()?);
    }
    Ok(messages)
}

/// A row's columns before decoding.
pub(super) struct RawInbound {
    id: i64,
    channel: String,
    account: String,
    message_id: String,
    chat_kind: String,
    chat_id: String,
    thread_json: Option<String>,
    sender_id: Option<String>,
    sender_name: Option<String>,
    reply_to_id: Option<String>,
    text: String,
    attachments_json: String,
    received_ms: i64,
    state: String,
    run_id: Option<String>,
    updated_ms: i64,
    aliases_json: String,
}

impl RawInbound {
    pub(super) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            channel: row.get(1)?,
            account: row.get(2)?,
            message_id: row.get(3)?,
            chat_kind: row.get(4)?,
            chat_id: row.get(5)?,
            thread_json: row.get(6)?,
            sender_id: row.get(7)?,
            sender_name: row.get(8)?,
            reply_to_id: row.get(9)?,
            text: row.get(10)?,
            attachments_json: row.get(11)?,
            received_ms: row.get(12)?,
            state: row.get(13)?,
            run_id: row.get(14)?,
            updated_ms: row.get(15)?,
            aliases_json: row.get(16)?,
        })
    }

    pub(super) fn decode(self) -> Result<StoredInbound, StoreError> {
        let attachments = serde_json::from_str(&self.attachments_json)
            .map_err(|error| corrupt("inbound message", self.id.to_string(), error))?;
        let sender_aliases = serde_json::from_str(&self.aliases_json)
            .map_err(|error| corrupt("inbound message", self.id.to_string(), error))?;
        let record = InboundRecord {
            channel: ChannelId::new(&self.channel),
            account: AccountId::new(self.account),
            message_id: MessageId::new(self.message_id),
            chat: Chat {
                kind: ChatType::from(self.chat_kind),
                id: ChatId::new(self.chat_id),
            },
            thread_id: thread_from_sql(self.thread_json.as_deref(), "inbound message", self.id)?,
            sender: self.sender_id.map(|id| Sender {
                id: PeerId::new(id),
                name: self.sender_name,
            }),
            sender_aliases,
            reply_to_id: self.reply_to_id.map(MessageId::new),
            text: self.text,
            attachments,
            received_ms: self.received_ms,
        };
        Ok(StoredInbound {
            id: InboundId(row_id(self.id, "inbound message id")?),
            record,
            state: parse_state(&self.state, self.id)?,
            run_id: self.run_id,
            updated_ms: self.updated_ms,
        })
    }
}
