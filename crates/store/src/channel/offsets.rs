//! Update offsets: where each channel account resumes reading its platform.
//!
//! Telegram's `getUpdates` forgets every update below the `offset` it is asked for, so the
//! offset is an acknowledgement: it may only advance once the messages below it are stored.
//! [`Store::record_inbound_batch`] does both in one durable transaction; [`Store::set_channel_offset`]
//! is for updates that carried no message to store. The value is opaque to the store (for
//! Telegram, the last `update_id` + 1) and may move backwards (a new bot token starts a new
//! sequence).

use rusqlite::{Connection, OptionalExtension, params};
use rustyclaw_protocol::origin::{AccountId, ChannelId};

use crate::error::{SqliteContext, StoreError};
use crate::full_sync::durably;
use crate::handle::Store;

/// A channel account's position in its platform's update stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOffset {
    /// The channel.
    pub channel: ChannelId,
    /// The account.
    pub account: AccountId,
    /// What to ask the platform for next.
    pub next_offset: i64,
}

impl Store {
    /// The stored offset of a channel account; `None` before the first one was stored.
    pub async fn channel_offset(
        &self,
        channel: &ChannelId,
        account: &AccountId,
    ) -> Result<Option<i64>, StoreError> {
        let (channel, account) = (channel.as_str().to_owned(), account.as_str().to_owned());
        self.run(move |conn| {
            conn.query_row(
                "SELECT next_offset FROM channel_offsets WHERE channel = ?1 AND account_id = ?2",
                params![channel, account],
                |row| row.get(0),
            )
            .optional()
            .during("read a channel offset")
        })
        .await
    }

    /// Stores a channel account's offset, durably (fsynced), replacing the previous one.
    pub async fn set_channel_offset(&self, offset: &ChannelOffset) -> Result<(), StoreError> {
        let offset = offset.clone();
        self.run(move |conn| {
            durably(conn, "a channel offset update", |tx| {
                write_offset(tx, &offset)?;
                Ok(())
            })
        })
        .await
    }
}

/// Writes `offset` inside the caller's transaction.
pub(crate) fn write_offset(conn: &Connection, offset: &ChannelOffset) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO channel_offsets (channel, account_id, next_offset) VALUES (?1, ?2, ?3)
         ON CONFLICT (channel, account_id) DO UPDATE SET next_offset = excluded.next_offset",
        params![
            offset.channel.as_str(),
            offset.account.as_str(),
            offset.next_offset
        ],
    )
    .during("store a channel offset")?;
    Ok(())
}
