//! Pending deliveries: replies stored before they are sent, retried until delivered or expired.
//!
//! A row is one platform message (a text chunk, a media message or album), so a reply cut into
//! several messages that fails half-way is resumed at the message that failed, not resent from
//! the start. A row goes `pending` → [`sending`](DeliveryState::Sending) (marked just before the
//! platform call) → [`delivered`](DeliveryState::Delivered); a failed attempt goes back to
//! `pending` with a later `next_attempt_ms` (the caller's backoff, or the platform's
//! `retry_after`); a row still pending at `expires_ms` is [`expired`](DeliveryState::Expired)
//! and handed back to be reported, never dropped silently; a permanent refusal (the bot was
//! blocked) is [`failed`](DeliveryState::Failed).
//!
//! Messages to one chat leave in order: a row is not due while an earlier row of the same chat
//! is still pending or sending, so a retried chunk never lands after the chunk that followed it.
//!
//! # The sending window
//!
//! A row left `sending` by a crash may or may not have reached the platform: the call was made,
//! its result was not recorded. [`Store::requeue_deliveries_left_sending`], run once at start-up
//! before the delivery loop, puts every such row back to `pending`, due at once: the message is
//! sent again. Delivery is at-least-once, and the window is one platform call plus one local
//! write, so a duplicate is rare and a loss is impossible; the requeued rows are returned so the
//! caller can log that they may arrive twice.

use std::fmt;

use rusqlite::{OptionalExtension, params};
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use rustyclaw_protocol::session_entry::ThreadId;

use super::delivery_rows::{COLUMNS, PreparedDelivery, RawDelivery, check_changed, insert, select};
use super::{sql_count, sql_id};
use crate::error::{SqliteContext, StoreError};
use crate::full_sync::durably;
use crate::handle::Store;

/// How long a delivery in a final state (delivered, expired, failed) is kept: a week.
pub const DELIVERY_RETENTION_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The `last_error` of a row put back by [`Store::requeue_deliveries_left_sending`].
pub const LEFT_SENDING_ERROR: &str =
    "the gateway stopped while this message was being sent; it is sent again and may arrive twice";

/// Where a delivery goes within its channel account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryTarget {
    /// The chat.
    pub chat: ChatId,
    /// The thread or forum topic within it.
    pub thread_id: Option<ThreadId>,
    /// The platform message it answers (threaded under it).
    pub reply_to_id: Option<MessageId>,
}

/// The run whose reply a delivery carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredRun {
    /// The run.
    pub run_id: String,
    /// Its session.
    pub session_key: SessionKey,
}

/// One platform message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The channel to send on.
    pub channel: ChannelId,
    /// The channel account to send from.
    pub account: AccountId,
    /// Where to.
    pub target: DeliveryTarget,
    /// The text in the platform's markup, as the channel prepared it (a caption when there is
    /// media); may be empty for media alone.
    pub text: String,
    /// The same text without markup, sent instead when the platform rejects the markup of
    /// `text`; `None` when `text` is plain.
    pub fallback_text: Option<String>,
    /// Attachments sent with it, in order.
    pub media: Vec<MediaRef>,
    /// The run it answers; `None` for messages no run produced (a pairing code, a notice).
    pub answers: Option<AnsweredRun>,
    /// When it was stored, Unix milliseconds; it is due from then.
    pub created_ms: i64,
    /// When it stops being worth sending, Unix milliseconds.
    pub expires_ms: i64,
}

/// A delivery's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId(pub(super) u64);

impl DeliveryId {
    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for `next_attempt_ms`.
    Pending,
    /// Handed to the platform; the outcome is not recorded yet.
    Sending,
    /// The platform accepted it.
    Delivered,
    /// Not delivered before `expires_ms`.
    Expired,
    /// Refused for good by the platform.
    Failed,
}

impl DeliveryState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Expired => "expired",
            DeliveryState::Failed => "failed",
        }
    }

    pub(super) fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "pending" => DeliveryState::Pending,
            "sending" => DeliveryState::Sending,
            "delivered" => DeliveryState::Delivered,
            "expired" => DeliveryState::Expired,
            "failed" => DeliveryState::Failed,
            _ => return None,
        })
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDelivery {
    /// Its id.
    pub id: DeliveryId,
    /// The message.
    pub record: DeliveryRecord,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far (sends that failed or whose outcome was lost).
    pub attempts: u32,
    /// When it is due next, Unix milliseconds.
    pub next_attempt_ms: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The platform's id of the sent message, once delivered (if the platform gives one).
    pub platform_message_id: Option<MessageId>,
    /// When its state last changed, Unix milliseconds.
    pub updated_ms: i64,
}

impl Store {
    /// Stores one message to send, durably (fsynced), as pending and due at its `created_ms`.
    pub async fn enqueue_delivery(
        &self,
        record: &DeliveryRecord,
    ) -> Result<DeliveryId, StoreError> {
        let prepared = PreparedDelivery::new(record)?;
        self.run(move |conn| {
            durably(conn, "storing a delivery", |tx| {
                let id = insert(tx, &prepared)?;
                Ok(id)
            })
        })
        .await
    }

    /// Stores the messages of one reply in one durable (fsynced) transaction, in order (they
    /// leave in that order). Returns their ids.
    pub async fn enqueue_deliveries(
        &self,
        records: &[DeliveryRecord],
    ) -> Result<Vec<DeliveryId>, StoreError> {
        let prepared = records
            .iter()
            .map(PreparedDelivery::new)
            .collect::<Result<Vec<_>, _>>()?;
        self.run(move |conn| {
            durably(conn, "storing deliveries", |tx| {
                let ids = prepared
                    .iter()
                    .map(|delivery| insert(tx, delivery))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(ids)
            })
        })
        .await
    }

    /// The delivery `id`, if it exists (it may have been pruned).
    pub async fn delivery(&self, id: DeliveryId) -> Result<Option<StoredDelivery>, StoreError> {
        self.run(move |conn| {
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM channel_deliveries WHERE id = ?1"),
                [sql_id(id.0)],
                RawDelivery::read,
            )
            .optional()
            .during("read a delivery")?
            .map(RawDelivery::decode)
            .transpose()
        })
        .await
    }

    /// Up to `limit` deliveries due at `now_ms` (pending, `next_attempt_ms` reached, not
    /// expired, and no earlier message of the same chat still waiting), soonest first.
    pub async fn due_deliveries(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        self.run(move |conn| {
            select(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM channel_deliveries
                     WHERE state = 'pending' AND next_attempt_ms <= ?1 AND expires_ms > ?1
                       AND NOT EXISTS (
                           SELECT 1 FROM channel_deliveries AS earlier
                           WHERE earlier.channel = channel_deliveries.channel
                             AND earlier.account_id = channel_deliveries.account_id
                             AND earlier.chat_id = channel_deliveries.chat_id
                             AND earlier.id < channel_deliveries.id
                             AND (earlier.state = 'sending'
                                  OR (earlier.state = 'pending' AND earlier.expires_ms > ?1))
                       )
                     ORDER BY next_attempt_ms, id LIMIT ?2"
                ),
                params![now_ms, sql_count(limit)],
            )
        })
        .await
    }

    /// Marks delivery `id` as being handed to the platform now: from here until
    /// [`Store::mark_delivered`] or [`Store::reschedule_delivery`], a crash leaves it ambiguous
    /// (see the module documentation). Fails with [`StoreError::WrongState`] unless pending.
    pub async fn mark_delivery_sending(
        &self,
        id: DeliveryId,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.run(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE channel_deliveries SET state = 'sending', updated_ms = ?2
                     WHERE id = ?1 AND state = 'pending'",
                    params![sql_id(id.0), now_ms],
                )
                .during("mark a delivery sending")?;
            check_changed(conn, id, changed, "pending")
        })
        .await
    }

    /// Records that the platform accepted delivery `id`, under its message id when it gives one.
    /// Fails with [`StoreError::WrongState`] unless sending.
    pub async fn mark_delivered(
        &self,
        id: DeliveryId,
        platform_message_id: Option<&MessageId>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let platform_message_id = platform_message_id.map(|id| id.as_str().to_owned());
        self.run(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE channel_deliveries SET state = 'delivered', platform_message_id = ?2,
                         last_error = NULL, updated_ms = ?3
                     WHERE id = ?1 AND state = 'sending'",
                    params![sql_id(id.0), platform_message_id, now_ms],
                )
                .during("mark a delivery delivered")?;
            check_changed(conn, id, changed, "sending")
        })
        .await
    }

    /// Records a failed attempt of delivery `id` (`error`) and makes it due again at
    /// `next_attempt_ms` (the caller's backoff, or the platform's `retry_after`), counting the
    /// attempt. Fails with [`StoreError::WrongState`] unless sending.
    pub async fn reschedule_delivery(
        &self,
        id: DeliveryId,
        next_attempt_ms: i64,
        error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.run(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE channel_deliveries
                     SET state = 'pending', attempts = attempts + 1, next_attempt_ms = ?2,
                         last_error = ?3, updated_ms = ?4
                     WHERE id = ?1 AND state = 'sending'",
                    params![sql_id(id.0), next_attempt_ms, error, now_ms],
                )
                .during("reschedule a delivery")?;
            check_changed(conn, id, changed, "sending")
        })
        .await
    }

    /// Records that the platform refused delivery `id` for good (`error`): it will not be retried.
    /// Fails with [`StoreError::WrongState`] unless pending or sending.
    pub async fn mark_delivery_failed(
        &self,
        id: DeliveryId,
        error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.run(move |conn| {
            // An attempt is counted when the refusal answered one (the row was sending).
            let changed = conn
                .execute(
                    "UPDATE channel_deliveries
                     SET state = 'failed', attempts = attempts + (state = 'sending'),
                         last_error = ?2, updated_ms = ?3
                     WHERE id = ?1 AND state IN ('pending', 'sending')",
                    params![sql_id(id.0), error, now_ms],
                )
                .during("mark a delivery failed")?;
            check_changed(conn, id, changed, "pending or sending")
        })
        .await
    }

    /// Marks every pending delivery whose `expires_ms` has passed at `now_ms` as expired and
    /// returns them, oldest first, for the caller to report (status, log, audit). A delivery in
    /// the middle of sending is left to finish.
    pub async fn expire_deliveries(&self, now_ms: i64) -> Result<Vec<StoredDelivery>, StoreError> {
        self.run(move |conn| {
            let mut expired = select(
                conn,
                &format!(
                    "UPDATE channel_deliveries SET state = 'expired', updated_ms = ?1
                     WHERE state = 'pending' AND expires_ms <= ?1
                     RETURNING {COLUMNS}"
                ),
                [now_ms],
            )?;
            expired.sort_by_key(|delivery| delivery.id);
            Ok(expired)
        })
        .await
    }

    /// Deliveries of a channel account not yet delivered, expired or failed (pending or
    /// sending), for status.
    pub async fn pending_deliveries_count(
        &self,
        channel: &ChannelId,
        account: &AccountId,
    ) -> Result<u64, StoreError> {
        let (channel, account) = (channel.as_str().to_owned(), account.as_str().to_owned());
        self.run(move |conn| {
            let count: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM channel_deliveries
                     WHERE channel = ?1 AND account_id = ?2 AND state IN ('pending', 'sending')",
                    params![channel, account],
                    |row| row.get(0),
                )
                .during("count pending deliveries")?;
            Ok(u64::try_from(count).unwrap_or_default())
        })
        .await
    }

    /// Puts every delivery left `sending` (by a process that stopped mid-send) back to pending,
    /// due at `now_ms`, counting the lost attempt and noting [`LEFT_SENDING_ERROR`], and returns
    /// them. Call it once at start-up, before the delivery loop: while deliveries run, `sending`
    /// rows are in flight and must not be touched. See the module documentation for why they
    /// are sent again.
    pub async fn requeue_deliveries_left_sending(
        &self,
        now_ms: i64,
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        self.run(move |conn| {
            let mut requeued = select(
                conn,
                &format!(
                    "UPDATE channel_deliveries
                     SET state = 'pending', attempts = attempts + 1, next_attempt_ms = ?1,
                         last_error = ?2, updated_ms = ?1
                     WHERE state = 'sending'
                     RETURNING {COLUMNS}"
                ),
                params![now_ms, LEFT_SENDING_ERROR],
            )?;
            requeued.sort_by_key(|delivery| delivery.id);
            Ok(requeued)
        })
        .await
    }

    /// Forgets deliveries that ended (delivered, expired, failed) more than
    /// [`DELIVERY_RETENTION_MS`] before `now_ms`. Returns how many were deleted.
    pub async fn prune_deliveries(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let deleted = conn
                .execute(
                    "DELETE FROM channel_deliveries
                     WHERE state IN ('delivered', 'expired', 'failed') AND updated_ms < ?1",
                    [now_ms.saturating_sub(DELIVERY_RETENTION_MS)],
                )
                .during("prune deliveries")?;
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
            DeliveryState::Pending,
            DeliveryState::Sending,
            DeliveryState::Delivered,
            DeliveryState::Expired,
            DeliveryState::Failed,
        ] {
            assert_eq!(DeliveryState::parse(state.as_str()), Some(state));
        }
        assert_eq!(DeliveryState::parse("bogus"), None);
    }
}
