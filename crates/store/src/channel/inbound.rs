//! The inbound journal: every message a channel received, by the platform's id, and how far it
//! got.
//!
//! A message is recorded before the platform is told it was received (durably: see the module
//! documentation of [`crate::channel`]), so a crash at any point leaves it either unacknowledged
//! (the platform redelivers it, and [`InboundOutcome::Duplicate`] stops a second run) or stored.
//! After a restart, [`Store::inbound_not_dispatched`] lists what was stored but never handed to
//! a session lane, and [`Store::interrupted_inbound`] what was handed to a run that the crash cut
//! off, so the user can be told instead of the run being silently replayed.
//!
//! Rows in a final state are kept for [`INBOUND_RETENTION_MS`] (the window in which a
//! redelivery is still recognised; Telegram keeps undelivered updates for 24 hours) and then
//! pruned by [`Store::prune_inbound`].

use std::fmt;

use rusqlite::{OptionalExtension, params};
use rustyclaw_protocol::origin::{AccountId, ChannelId, Chat, MessageId, MessageOrigin, Sender};
use rustyclaw_protocol::session_entry::ThreadId;
use serde_json::Value;

use super::inbound_rows::{COLUMNS, PreparedInbound, RawInbound, check_changed, insert, select};
use super::offsets::{ChannelOffset, write_offset};
use super::sql_id;
use crate::error::{SqliteContext, StoreError};
use crate::full_sync::durably;
use crate::handle::Store;
use crate::runs::LEDGER_RETENTION_MS;

/// How long a message in a final state (answered, failed, interrupted) is kept: a week.
pub const INBOUND_RETENTION_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// A received message, as the channel adapter hands it to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundRecord {
    /// The channel that received it.
    pub channel: ChannelId,
    /// The channel account that received it.
    pub account: AccountId,
    /// The platform's id of the message: with the channel and account, the key that recognises
    /// a redelivery.
    pub message_id: MessageId,
    /// The chat it was posted in.
    pub chat: Chat,
    /// The thread or forum topic within the chat.
    pub thread_id: Option<ThreadId>,
    /// Who sent it (`None` for posts without an author, such as a Telegram channel's).
    pub sender: Option<Sender>,
    /// Other names of the sender allowlists may match (an IRC `nick!user@host`).
    pub sender_aliases: Vec<String>,
    /// The platform message it replies to or quotes.
    pub reply_to_id: Option<MessageId>,
    /// The text.
    pub text: String,
    /// The attachments' metadata (file ids, names, sizes, types) in the channel's own JSON
    /// shape; `Value::Null` or an empty array when there are none.
    pub attachments: Value,
    /// When it was received, Unix milliseconds.
    pub received_ms: i64,
}

impl InboundRecord {
    /// Where the message came from, as the agent runtime takes it.
    pub fn origin(&self) -> MessageOrigin {
        MessageOrigin {
            channel: Some(self.channel.clone()),
            account_id: Some(self.account.clone()),
            chat: Some(self.chat.clone()),
            thread_id: self.thread_id.clone(),
            sender: self.sender.clone(),
            message_id: Some(self.message_id.clone()),
            reply_to_id: self.reply_to_id.clone(),
        }
    }
}

/// A journal row's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InboundId(pub(super) u64);

impl InboundId {
    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for InboundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How far a received message got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundState {
    /// Stored; not yet handed to a session lane.
    Received,
    /// Handed to a session lane; a run answers it.
    Dispatched,
    /// Answered (its reply is stored for delivery, or it needed none).
    Answered,
    /// Its run failed, or the message was refused.
    Failed,
    /// Its run was cut off by a crash, and the user was told.
    Interrupted,
}

impl InboundState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            InboundState::Received => "received",
            InboundState::Dispatched => "dispatched",
            InboundState::Answered => "answered",
            InboundState::Failed => "failed",
            InboundState::Interrupted => "interrupted",
        }
    }

    pub(super) fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "received" => InboundState::Received,
            "dispatched" => InboundState::Dispatched,
            "answered" => InboundState::Answered,
            "failed" => InboundState::Failed,
            "interrupted" => InboundState::Interrupted,
            _ => return None,
        })
    }
}

/// The final state [`Store::mark_inbound_done`] puts a message in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundEnd {
    /// Answered.
    Answered,
    /// Failed or refused.
    Failed,
    /// Interrupted by a crash, and reported to the user.
    Interrupted,
}

impl From<InboundEnd> for InboundState {
    fn from(end: InboundEnd) -> Self {
        match end {
            InboundEnd::Answered => InboundState::Answered,
            InboundEnd::Failed => InboundState::Failed,
            InboundEnd::Interrupted => InboundState::Interrupted,
        }
    }
}

/// What recording a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundOutcome {
    /// A new message, stored as [`InboundState::Received`].
    Recorded(InboundId),
    /// The platform delivered this message before; nothing was stored. Its journal row is `id`,
    /// in `state`.
    Duplicate {
        /// The earlier row.
        id: InboundId,
        /// Where it stands.
        state: InboundState,
    },
}

/// A journal row.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInbound {
    /// Its id.
    pub id: InboundId,
    /// The message.
    pub record: InboundRecord,
    /// Where it stands.
    pub state: InboundState,
    /// The run that answers it, once dispatched.
    pub run_id: Option<String>,
    /// When its state last changed, Unix milliseconds.
    pub updated_ms: i64,
}

impl Store {
    /// Stores a received message, durably (fsynced), unless the platform delivered it before.
    /// Acknowledge it to the platform only after this returns.
    pub async fn record_inbound(
        &self,
        record: &InboundRecord,
    ) -> Result<InboundOutcome, StoreError> {
        let prepared = PreparedInbound::new(record)?;
        self.run(move |conn| {
            durably(conn, "recording a message", |tx| {
                let outcome = insert(tx, &prepared)?;
                Ok(outcome)
            })
        })
        .await
    }

    /// Stores received messages and advances `offset` in one durable (fsynced) transaction:
    /// either all of it is stored or none of it, so an offset is never ahead of the messages it
    /// acknowledges. Messages delivered before are [`InboundOutcome::Duplicate`]s; the outcomes
    /// are in the order of `records`. `records` may be empty (updates that were not messages
    /// still advance the offset).
    pub async fn record_inbound_batch(
        &self,
        records: &[InboundRecord],
        offset: &ChannelOffset,
    ) -> Result<Vec<InboundOutcome>, StoreError> {
        let prepared = records
            .iter()
            .map(PreparedInbound::new)
            .collect::<Result<Vec<_>, _>>()?;
        let offset = offset.clone();
        self.run(move |conn| {
            durably(conn, "recording messages", |tx| {
                let outcomes = prepared
                    .iter()
                    .map(|message| insert(tx, message))
                    .collect::<Result<Vec<_>, _>>()?;
                write_offset(tx, &offset)?;
                Ok(outcomes)
            })
        })
        .await
    }

    /// The journal row `id`, if it exists (it may have been pruned).
    pub async fn inbound_message(
        &self,
        id: InboundId,
    ) -> Result<Option<StoredInbound>, StoreError> {
        self.run(move |conn| {
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM channel_inbound AS message WHERE id = ?1"),
                [sql_id(id.0)],
                RawInbound::read,
            )
            .optional()
            .during("read a received message")?
            .map(RawInbound::decode)
            .transpose()
        })
        .await
    }

    /// Messages of a channel account stored but never handed to a session lane, oldest first:
    /// what to dispatch when the channel starts again after a crash.
    pub async fn inbound_not_dispatched(
        &self,
        channel: &ChannelId,
        account: &AccountId,
    ) -> Result<Vec<StoredInbound>, StoreError> {
        let (channel, account) = (channel.as_str().to_owned(), account.as_str().to_owned());
        self.run(move |conn| {
            select(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM channel_inbound AS message
                     WHERE channel = ?1 AND account_id = ?2 AND state = 'received' ORDER BY id"
                ),
                params![channel, account],
            )
        })
        .await
    }

    /// Records that message `id` was handed to a session lane, answered by run `run_id`. Fails
    /// with [`StoreError::WrongState`] unless the message is [`InboundState::Received`].
    pub async fn mark_inbound_dispatched(
        &self,
        id: InboundId,
        run_id: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let run_id = run_id.to_owned();
        self.run(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE channel_inbound SET state = 'dispatched', run_id = ?2, updated_ms = ?3
                     WHERE id = ?1 AND state = 'received'",
                    params![sql_id(id.0), run_id, now_ms],
                )
                .during("mark a message dispatched")?;
            check_changed(conn, id, changed, "received")
        })
        .await
    }

    /// Puts message `id` in its final state. A message may end without being dispatched (it was
    /// refused, or answered without a run). Fails with [`StoreError::WrongState`] if it has
    /// already ended.
    pub async fn mark_inbound_done(
        &self,
        id: InboundId,
        end: InboundEnd,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.run(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE channel_inbound SET state = ?2, updated_ms = ?3
                     WHERE id = ?1 AND state IN ('received', 'dispatched')",
                    params![sql_id(id.0), InboundState::from(end).as_str(), now_ms],
                )
                .during("mark a message done")?;
            check_changed(conn, id, changed, "received or dispatched")
        })
        .await
    }

    /// Messages whose run was cut off, oldest first: dispatched to a run the run ledger marks
    /// [`interrupted`](crate::RunState::Interrupted), or dispatched less than
    /// [`LEDGER_RETENTION_MS`] before `now_ms` to a run the ledger does not know (the process
    /// died between dispatching the message and recording the run; an older run may simply
    /// have been forgotten by the ledger).
    ///
    /// Call it at start-up, after [`Store::interrupt_orphaned_runs`] and before dispatching
    /// anything new (a run accepted a moment ago may not be in the ledger yet); tell each
    /// message's sender, then [`Store::mark_inbound_done`] it as
    /// [`InboundEnd::Interrupted`].
    pub async fn interrupted_inbound(&self, now_ms: i64) -> Result<Vec<StoredInbound>, StoreError> {
        self.run(move |conn| {
            select(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM channel_inbound AS message
                     LEFT JOIN runs ON runs.run_id = message.run_id
                     WHERE message.state = 'dispatched' AND (
                         runs.state = 'interrupted'
                         OR (runs.run_id IS NULL AND message.updated_ms >= ?1)
                     )
                     ORDER BY message.id"
                ),
                [now_ms.saturating_sub(LEDGER_RETENTION_MS)],
            )
        })
        .await
    }

    /// Forgets messages that ended more than [`INBOUND_RETENTION_MS`] before `now_ms`, and
    /// messages dispatched that long ago whose end was never recorded (their run is long over,
    /// and too old to report). Messages still `received` are kept: they are work not yet done.
    /// Returns how many rows were deleted.
    pub async fn prune_inbound(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let deleted = conn
                .execute(
                    "DELETE FROM channel_inbound
                     WHERE state != 'received' AND updated_ms < ?1",
                    [now_ms.saturating_sub(INBOUND_RETENTION_MS)],
                )
                .during("prune received messages")?;
            Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_word() {
        for state in [
            InboundState::Received,
            InboundState::Dispatched,
            InboundState::Answered,
            InboundState::Failed,
            InboundState::Interrupted,
        ] {
            assert_eq!(InboundState::parse(state.as_str()), Some(state));
        }
        assert_eq!(InboundState::parse("bogus"), None);
    }
}
