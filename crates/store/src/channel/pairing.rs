//! DM pairing requests, with OpenClaw's rules (`src/pairing/pairing-store.ts`).
//!
//! With DM policy `pairing`, an unknown sender gets a code and their message is not processed
//! until an operator approves the code. A request lives [`PAIRING_TTL_MS`] from its creation;
//! the same sender asking again gets the same code (the clock is not restarted, only
//! `last_seen_ms` moves), so the bot sends the code about once an hour per sender. At most
//! [`MAX_PENDING_PAIRINGS`] requests wait per channel account; a new sender beyond that gets
//! [`PairingOutcome::Full`] (upstream answers with an empty code and sends nothing) until one
//! expires or is approved. Codes are unique within a channel, across its accounts, so a code
//! alone names a request. Approving moves the sender into the allowlist in the same
//! transaction, and the code stops working.
//!
//! Expired requests are deleted whenever a channel's requests are touched, and by
//! [`Store::expire_pairing_requests`].

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use rustyclaw_protocol::origin::{AccountId, ChannelId, PeerId};

use super::allowlist::insert_allowed;
use crate::error::{SqliteContext, StoreError, corrupt};
use crate::full_sync::durably;
use crate::handle::Store;

/// How long a pairing request stays valid after it is created: an hour.
pub const PAIRING_TTL_MS: i64 = 60 * 60 * 1000;

/// Pending requests allowed per channel account.
pub const MAX_PENDING_PAIRINGS: u32 = 3;

/// Codes drawn before giving up on finding one unused in the channel (upstream's number).
const CODE_ATTEMPTS: u32 = 500;

/// The columns every read selects, in the order [`read_request`] takes them.
const COLUMNS: &str = "channel, account_id, sender_id, code, meta_json, created_ms, last_seen_ms";

/// A sender's request for DM access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingRequest {
    /// The channel.
    pub channel: ChannelId,
    /// The channel account the sender wrote to.
    pub account: AccountId,
    /// The sender.
    pub sender: PeerId,
    /// The code the operator approves (uppercase).
    pub code: String,
    /// What the channel knows of the sender (`username`, `firstName`, …), shown to the operator.
    pub meta: BTreeMap<String, String>,
    /// When the request was created, Unix milliseconds.
    pub created_ms: i64,
    /// When the sender last asked, Unix milliseconds.
    pub last_seen_ms: i64,
}

impl PairingRequest {
    /// When the request stops being valid, Unix milliseconds.
    pub fn expires_ms(&self) -> i64 {
        self.created_ms.saturating_add(PAIRING_TTL_MS)
    }
}

/// What [`Store::pairing_request`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingOutcome {
    /// A new request; send the code to the sender.
    Created {
        /// Its code.
        code: String,
    },
    /// The sender already has a pending request; its code is unchanged (upstream does not send
    /// it again).
    Existing {
        /// Its code.
        code: String,
    },
    /// The channel account already has [`MAX_PENDING_PAIRINGS`] pending requests; nothing was
    /// stored.
    Full,
}

impl Store {
    /// Records that `sender` asked for access on a channel account at `now_ms`, with what the
    /// channel knows of them (`meta`; blank values are dropped). A new request takes the first
    /// code from `new_code` not already used in the channel ([`random_pairing_code`] for real
    /// codes). Durable (fsynced) when it returns, since the code is then sent to the sender.
    ///
    /// [`random_pairing_code`]: crate::random_pairing_code
    pub async fn pairing_request(
        &self,
        channel: &ChannelId,
        account: &AccountId,
        sender: &PeerId,
        meta: &BTreeMap<String, String>,
        now_ms: i64,
        mut new_code: impl FnMut() -> Result<String, StoreError> + Send + 'static,
    ) -> Result<PairingOutcome, StoreError> {
        let (channel, account, sender) = (channel.clone(), account.clone(), sender.clone());
        let meta = encode_meta(meta)?;
        self.run(move |conn| {
            durably(conn, "a pairing request", |tx| {
                delete_expired(tx, Some(&channel), now_ms)?;
                let existing: Option<String> = tx
                    .query_row(
                        "UPDATE channel_pairing_requests SET last_seen_ms = ?4, meta_json = ?5
                         WHERE channel = ?1 AND account_id = ?2 AND sender_id = ?3
                         RETURNING code",
                        params![
                            channel.as_str(),
                            account.as_str(),
                            sender.as_str(),
                            now_ms,
                            meta
                        ],
                        |row| row.get(0),
                    )
                    .optional()
                    .during("refresh a pairing request")?;
                let outcome = if let Some(code) = existing {
                    PairingOutcome::Existing { code }
                } else if pending(tx, &channel, &account)? >= MAX_PENDING_PAIRINGS {
                    PairingOutcome::Full
                } else {
                    let code = unused_code(tx, &channel, &mut new_code)?;
                    tx.execute(
                        "INSERT INTO channel_pairing_requests (channel, account_id, sender_id,
                             code, meta_json, created_ms, last_seen_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                        params![
                            channel.as_str(),
                            account.as_str(),
                            sender.as_str(),
                            code,
                            meta,
                            now_ms
                        ],
                    )
                    .during("store a pairing request")?;
                    PairingOutcome::Created { code }
                };
                Ok(outcome)
            })
        })
        .await
    }

    /// Pending pairing requests at `now_ms`, of one channel or of all, oldest first. Expired
    /// requests are deleted on the way.
    pub async fn list_pairing_requests(
        &self,
        channel: Option<&ChannelId>,
        now_ms: i64,
    ) -> Result<Vec<PairingRequest>, StoreError> {
        let channel = channel.cloned();
        self.run(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .during("begin listing pairing requests")?;
            delete_expired(&tx, channel.as_ref(), now_ms)?;
            let requests = {
                let mut statement = tx
                    .prepare(&format!(
                        "SELECT {COLUMNS} FROM channel_pairing_requests
                         WHERE ?1 IS NULL OR channel = ?1
                         ORDER BY created_ms, channel, account_id, sender_id"
                    ))
                    .during("list pairing requests")?;
                let rows = statement
                    .query_map([channel.as_ref().map(ChannelId::as_str)], read_request)
                    .during("list pairing requests")?;
                let mut requests = Vec::new();
                for row in rows {
                    requests.push(decode(row.during("list pairing requests")?)?);
                }
                requests
            };
            tx.commit().during("commit listing pairing requests")?;
            Ok(requests)
        })
        .await
    }

    /// Approves the pending request with `code` (any case) on `channel`: deletes it and allows
    /// its sender on its account, in one durable (fsynced) transaction. Returns the request, or
    /// `None` if no valid request has that code (the code may have expired or been used).
    pub async fn approve_pairing(
        &self,
        channel: &ChannelId,
        code: &str,
        now_ms: i64,
    ) -> Result<Option<PairingRequest>, StoreError> {
        self.resolve_pairing(channel, code, now_ms, Resolution::Approve)
            .await
    }

    /// Dismisses the pending request with `code` (any case) on `channel` without allowing its
    /// sender, who may ask again later. Returns the request, or `None` if no valid request has
    /// that code.
    pub async fn reject_pairing(
        &self,
        channel: &ChannelId,
        code: &str,
        now_ms: i64,
    ) -> Result<Option<PairingRequest>, StoreError> {
        self.resolve_pairing(channel, code, now_ms, Resolution::Reject)
            .await
    }

    /// Deletes every pairing request expired at `now_ms`. Returns how many.
    pub async fn expire_pairing_requests(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.run(move |conn| delete_expired(conn, None, now_ms))
            .await
    }

    async fn resolve_pairing(
        &self,
        channel: &ChannelId,
        code: &str,
        now_ms: i64,
        resolution: Resolution,
    ) -> Result<Option<PairingRequest>, StoreError> {
        let channel = channel.clone();
        let code = code.trim().to_uppercase();
        self.run(move |conn| {
            durably(conn, "resolving a pairing request", |tx| {
                delete_expired(tx, Some(&channel), now_ms)?;
                let raw = tx
                    .query_row(
                        &format!(
                            "DELETE FROM channel_pairing_requests WHERE channel = ?1 AND code = ?2
                             RETURNING {COLUMNS}"
                        ),
                        params![channel.as_str(), code],
                        read_request,
                    )
                    .optional()
                    .during("resolve a pairing request")?;
                let request = raw.map(decode).transpose()?;
                if let (Some(request), Resolution::Approve) = (&request, resolution) {
                    insert_allowed(
                        tx,
                        &request.channel,
                        &request.account,
                        &request.sender,
                        now_ms,
                    )?;
                }
                Ok(request)
            })
        })
        .await
    }
}

/// What resolving a request does with its sender.
#[derive(Debug, Clone, Copy)]
enum Resolution {
    Approve,
    Reject,
}

/// Deletes requests expired at `now_ms` (of one channel, or all); returns how many.
fn delete_expired(
    conn: &Connection,
    channel: Option<&ChannelId>,
    now_ms: i64,
) -> Result<u64, StoreError> {
    // Upstream: expired when `now - createdAt > TTL`.
    let deleted = conn
        .execute(
            "DELETE FROM channel_pairing_requests
             WHERE created_ms < ?1 AND (?2 IS NULL OR channel = ?2)",
            params![
                now_ms.saturating_sub(PAIRING_TTL_MS),
                channel.map(ChannelId::as_str)
            ],
        )
        .during("expire pairing requests")?;
    Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
}

/// Pending requests of a channel account.
fn pending(conn: &Connection, channel: &ChannelId, account: &AccountId) -> Result<u32, StoreError> {
    let count: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM channel_pairing_requests WHERE channel = ?1 AND account_id = ?2",
            params![channel.as_str(), account.as_str()],
            |row| row.get(0),
        )
        .during("count pairing requests")?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// The first code from `new_code` that no request of `channel` uses.
fn unused_code(
    conn: &Connection,
    channel: &ChannelId,
    new_code: &mut impl FnMut() -> Result<String, StoreError>,
) -> Result<String, StoreError> {
    let mut used = conn
        .prepare("SELECT 1 FROM channel_pairing_requests WHERE channel = ?1 AND code = ?2")
        .during("look up a pairing code")?;
    for _ in 0..CODE_ATTEMPTS {
        let code = new_code()?.to_uppercase();
        let taken = used
            .exists(params![channel.as_str(), code])
            .during("look up a pairing code")?;
        if !taken {
            return Ok(code);
        }
    }
    Err(StoreError::PairingCodeCollision {
        channel: channel.clone(),
        attempts: CODE_ATTEMPTS,
    })
}

/// `meta` as stored: a JSON object of its non-blank values, trimmed.
fn encode_meta(meta: &BTreeMap<String, String>) -> Result<String, StoreError> {
    let kept: BTreeMap<&str, &str> = meta
        .iter()
        .map(|(key, value)| (key.as_str(), value.trim()))
        .filter(|(_, value)| !value.is_empty())
        .collect();
    serde_json::to_string(&kept).map_err(|source| StoreError::Encode {
        what: "pairing request meta",
        source,
    })
}

/// A row's columns before decoding: channel, account, sender, code, meta JSON, created, seen.
type RawRequest = (String, String, String, String, String, i64, i64);

fn read_request(row: &Row<'_>) -> rusqlite::Result<RawRequest> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn decode(raw: RawRequest) -> Result<PairingRequest, StoreError> {
    let (channel, account, sender, code, meta, created_ms, last_seen_ms) = raw;
    let meta = serde_json::from_str(&meta)
        .map_err(|error| corrupt("pairing request", format!("{channel}/{code}"), error))?;
    Ok(PairingRequest {
        channel: ChannelId::new(&channel),
        account: AccountId::new(account),
        sender: PeerId::new(sender),
        code,
        meta,
        created_ms,
        last_seen_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_meta_values_are_dropped_and_the_rest_trimmed() {
        let meta = BTreeMap::from([
            ("username".to_owned(), " ada ".to_owned()),
            ("lastName".to_owned(), "  ".to_owned()),
        ]);
        assert_eq!(encode_meta(&meta).unwrap(), r#"{"username":"ada"}"#);
    }
}
