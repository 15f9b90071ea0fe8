//! Senders allowed by pairing (OpenClaw's `credentials/<channel>[-<account>]-allowFrom.json`, now
//! its `channel_pairing_allow_entries` table).
//!
//! This is the store-backed half of a channel account's DM allowlist: the config's `allowFrom`
//! stays in the config, and the router admits the union of both. The wildcard `*` is never stored
//! here, so approving a pairing can widen access by exactly one sender. Changes are durable
//! (fsynced) when they return: a removal that a power loss could undo would silently give access
//! back.

use rusqlite::{Connection, params};
use rustyclaw_protocol::origin::{AccountId, ChannelId, PeerId};

use crate::error::{SqliteContext, StoreError};
use crate::full_sync::durably;
use crate::handle::Store;

impl Store {
    /// The senders pairing allowed on a channel account, in the order they were added.
    pub async fn allowed_senders(
        &self,
        channel: &ChannelId,
        account: &AccountId,
    ) -> Result<Vec<PeerId>, StoreError> {
        let (channel, account) = (channel.as_str().to_owned(), account.as_str().to_owned());
        self.run(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT sender_id FROM channel_pairing_allow_entries
                     WHERE channel = ?1 AND account_id = ?2 ORDER BY rowid",
                )
                .during("list allowed senders")?;
            let rows = statement
                .query_map(params![channel, account], |row| {
                    row.get::<_, String>(0).map(PeerId::new)
                })
                .during("list allowed senders")?;
            rows.collect::<Result<_, _>>()
                .during("list allowed senders")
        })
        .await
    }

    /// Allows `sender` on a channel account. Returns whether it was added (`false`: it was
    /// already allowed). Fails with [`StoreError::InvalidAllowEntry`] for a blank id or `*`.
    pub async fn add_allowed_sender(
        &self,
        channel: &ChannelId,
        account: &AccountId,
        sender: &PeerId,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let (channel, account, sender) = (channel.clone(), account.clone(), sender.clone());
        self.run(move |conn| {
            durably(conn, "an allowlist change", |tx| {
                let added = insert_allowed(tx, &channel, &account, &sender, now_ms)?;
                Ok(added)
            })
        })
        .await
    }

    /// Withdraws `sender`'s pairing approval on a channel account. Returns whether it was
    /// allowed.
    pub async fn remove_allowed_sender(
        &self,
        channel: &ChannelId,
        account: &AccountId,
        sender: &PeerId,
    ) -> Result<bool, StoreError> {
        let (channel, account, sender) = (
            channel.as_str().to_owned(),
            account.as_str().to_owned(),
            sender.as_str().to_owned(),
        );
        self.run(move |conn| {
            durably(conn, "an allowlist change", |tx| {
                let removed = tx
                    .execute(
                        "DELETE FROM channel_pairing_allow_entries
                         WHERE channel = ?1 AND account_id = ?2 AND sender_id = ?3",
                        params![channel, account, sender],
                    )
                    .during("remove an allowed sender")?;
                Ok(removed > 0)
            })
        })
        .await
    }
}

/// Adds `sender` to the allowlist inside the caller's transaction; `false` if it was there.
pub(crate) fn insert_allowed(
    conn: &Connection,
    channel: &ChannelId,
    account: &AccountId,
    sender: &PeerId,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let id = sender.as_str().trim();
    if id.is_empty() || id == "*" {
        return Err(StoreError::InvalidAllowEntry {
            sender: sender.clone(),
        });
    }
    let added = conn
        .execute(
            "INSERT INTO channel_pairing_allow_entries (channel, account_id, sender_id, added_ms)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (channel, account_id, sender_id) DO NOTHING",
            params![channel.as_str(), account.as_str(), sender.as_str(), now_ms],
        )
        .during("add an allowed sender")?;
    Ok(added > 0)
}
