//! Rows of the delivery queue: encoding a delivery for `channel_deliveries`, decoding it back,
//! and the checks shared by its state changes.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, Row, params};
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use serde::{Deserialize, Serialize};

use super::deliveries::{
    AnsweredRun, DeliveryId, DeliveryRecord, DeliveryState, DeliveryTarget, StoredDelivery,
};
use super::{row_id, sql_id, thread_from_sql, thread_to_sql};
use crate::error::{SqliteContext, StoreError, corrupt};

/// The columns every read selects, in the order [`RawDelivery::read`] takes them.
pub(super) const COLUMNS: &str = "id, channel, account_id, chat_id, thread_json, reply_to_id, text,
    fallback_text, media_json, run_id, session_key, created_ms, expires_ms, state, attempts, next_attempt_ms,
    last_error, platform_message_id, updated_ms";

/// An attachment as stored in `media_json`: `{"url": …}` or `{"path": …}`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoredMedia {
    Url(String),
    Path(PathBuf),
}

/// A delivery encoded for its row.
pub(super) struct PreparedDelivery {
    record: DeliveryRecord,
    thread_json: Option<String>,
    media_json: String,
}

impl PreparedDelivery {
    pub(super) fn new(record: &DeliveryRecord) -> Result<Self, StoreError> {
        let media: Vec<StoredMedia> = record
            .media
            .iter()
            .map(|media| match media {
                MediaRef::Url(url) => StoredMedia::Url(url.clone()),
                MediaRef::Path(path) => StoredMedia::Path(path.clone()),
            })
            .collect();
        // A path that is not UTF-8 fails here rather than being stored altered.
        let media_json = serde_json::to_string(&media).map_err(|source| StoreError::Encode {
            what: "delivery media",
            source,
        })?;
        Ok(Self {
            record: record.clone(),
            thread_json: thread_to_sql(record.target.thread_id.as_ref())?,
            media_json,
        })
    }
}

pub(super) fn insert(
    conn: &Connection,
    delivery: &PreparedDelivery,
) -> Result<DeliveryId, StoreError> {
    let record = &delivery.record;
    let answers = record.answers.as_ref();
    conn.execute(
        "INSERT INTO channel_deliveries (channel, account_id, chat_id, thread_json, reply_to_id,
             text, fallback_text, media_json, run_id, session_key, created_ms, expires_ms, state,
             attempts, next_attempt_ms, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending', 0, ?11, ?11)",
        params![
            record.channel.as_str(),
            record.account.as_str(),
            record.target.chat.as_str(),
            delivery.thread_json,
            record.target.reply_to_id.as_ref().map(MessageId::as_str),
            record.text,
            record.fallback_text,
            delivery.media_json,
            answers.map(|run| run.run_id.as_str()),
            answers.map(|run| run.session_key.as_str()),
            record.created_ms,
            record.expires_ms,
        ],
    )
    .during("store a delivery")?;
    Ok(DeliveryId(row_id(conn.last_insert_rowid(), "delivery id")?))
}

/// After an update of delivery `id` expected in `expected`: `Ok` if it changed, else why not.
pub(super) fn check_changed(
    conn: &Connection,
    id: DeliveryId,
    changed: usize,
    expected: &'static str,
) -> Result<(), StoreError> {
    if changed > 0 {
        return Ok(());
    }
    let found: Option<String> = conn
        .query_row(
            "SELECT state FROM channel_deliveries WHERE id = ?1",
            [sql_id(id.0)],
            |row| row.get(0),
        )
        .optional()
        .during("read a delivery's state")?;
    Err(match found {
        Some(found) => StoreError::WrongState {
            what: "delivery",
            id: id.0,
            found,
            expected,
        },
        None => StoreError::NotFound {
            what: "delivery",
            id: id.to_string(),
        },
    })
}

pub(super) fn select(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredDelivery>, StoreError> {
    let mut statement = conn.prepare(sql).during("list deliveries")?;
    let rows = statement
        .query_map(params, RawDelivery::read)
        .during("list deliveries")?;
    let mut deliveries = Vec::new();
    for row in rows {
        deliveries.push(row.during("list deliveries")?.decode()?);
    }
    Ok(deliveries)
}

/// A row's columns before decoding.
pub(super) struct RawDelivery {
    id: i64,
    channel: String,
    account: String,
    chat_id: String,
    thread_json: Option<String>,
    reply_to_id: Option<String>,
    text: String,
    fallback_text: Option<String>,
    media_json: String,
    run_id: Option<String>,
    session_key: Option<String>,
    created_ms: i64,
    expires_ms: i64,
    state: String,
    attempts: i64,
    next_attempt_ms: i64,
    last_error: Option<String>,
    platform_message_id: Option<String>,
    updated_ms: i64,
}

impl RawDelivery {
    pub(super) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            channel: row.get(1)?,
            account: row.get(2)?,
            chat_id: row.get(3)?,
            thread_json: row.get(4)?,
            reply_to_id: row.get(5)?,
            text: row.get(6)?,
            fallback_text: row.get(7)?,
            media_json: row.get(8)?,
            run_id: row.get(9)?,
            session_key: row.get(10)?,
            created_ms: row.get(11)?,
            expires_ms: row.get(12)?,
            state: row.get(13)?,
            attempts: row.get(14)?,
            next_attempt_ms: row.get(15)?,
            last_error: row.get(16)?,
            platform_message_id: row.get(17)?,
            updated_ms: row.get(18)?,
        })
    }

    pub(super) fn decode(self) -> Result<StoredDelivery, StoreError> {
        let id = self.id;
        let bad = |error: crate::error::BoxError| corrupt("delivery", id.to_string(), error);
        let media: Vec<StoredMedia> =
            serde_json::from_str(&self.media_json).map_err(|error| bad(error.into()))?;
        let answers = match (self.run_id, self.session_key) {
            (Some(run_id), Some(key)) => Some(AnsweredRun {
                run_id,
                session_key: SessionKey::parse(&key).map_err(|error| bad(error.into()))?,
            }),
            // The table's CHECK keeps the two together.
            _ => None,
        };
        let state = DeliveryState::parse(&self.state)
            .ok_or_else(|| bad(format!("unknown state {:?}", self.state).into()))?;
        let record = DeliveryRecord {
            channel: ChannelId::new(&self.channel),
            account: AccountId::new(self.account),
            target: DeliveryTarget {
                chat: ChatId::new(self.chat_id),
                thread_id: thread_from_sql(self.thread_json.as_deref(), "delivery", id)?,
                reply_to_id: self.reply_to_id.map(MessageId::new),
            },
            text: self.text,
            fallback_text: self.fallback_text,
            media: media
                .into_iter()
                .map(|media| match media {
                    StoredMedia::Url(url) => MediaRef::Url(url),
                    StoredMedia::Path(path) => MediaRef::Path(path),
                })
                .collect(),
            answers,
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
        };
        Ok(StoredDelivery {
            id: DeliveryId(row_id(id, "delivery id")?),
            record,
            state,
            attempts: u32::try_from(self.attempts).map_err(|error| bad(error.into()))?,
            next_attempt_ms: self.next_attempt_ms,
            last_error: self.last_error,
            platform_message_id: self.platform_message_id.map(MessageId::new),
            updated_ms: self.updated_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_are_stored_as_tagged_objects() {
        let media = [
            StoredMedia::Url("https://example.com/a.png".into()),
            StoredMedia::Path("/tmp/b.jpg".into()),
        ];
        assert_eq!(
            serde_json::to_string(&media).unwrap(),
            r#"[{"url":"https://example.com/a.png"},{"path":"/tmp/b.jpg"}]"#
        );
    }
}
