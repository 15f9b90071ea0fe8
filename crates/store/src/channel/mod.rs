//! The store side of chat channels (Telegram, IRC, …): what makes "no message lost" hold across
//! crashes and restarts.
//!
//! - [`inbound`]: the journal of received messages, keyed by the platform's message id so a
//!   redelivered update is recognised and not run twice, with the state of each (received,
//!   dispatched to a run, answered / failed / interrupted).
//! - [`offsets`]: where each channel account resumes reading its platform (Telegram's
//!   `getUpdates` offset), advanced in the same transaction as the messages it acknowledges.
//! - [`deliveries`]: replies stored before they are sent and retried until delivered or
//!   expired.
//! - answering (`answers`): a reply queued and the messages it answers marked, together, and
//!   the answers a crash left unstored found again.
//! - [`pairing`] and [`allowlist`]: OpenClaw's DM pairing requests and the senders approved by
//!   them.
//!
//! # Durability
//!
//! A commit that acknowledges something to the outside world — storing received messages (and
//! the update offset that tells the platform to forget them), storing a reply to be delivered,
//! approving a sender — runs with `synchronous=FULL` ([`crate::full_sync`]): it is on disk, not
//! only in the OS page cache, when the call returns, so even a power loss cannot lose a message
//! the platform was told was received. The bookkeeping after that (dispatched, answered,
//! sending, delivered, rescheduled) runs at the connection's usual `NORMAL`: losing it to a power
//! loss can only make the gateway redo a step (report a run as interrupted, send a reply again),
//! which at-least-once delivery allows, never drop a message.
//!
//! Ids of channels, accounts, chats and senders are stored as the channel spells them; the
//! store does not normalise them (the channel adapter does, before it asks).

pub(crate) mod allowlist;
mod answers;
pub(crate) mod deliveries;
mod delivery_rows;
pub(crate) mod inbound;
mod inbound_rows;
pub(crate) mod offsets;
pub(crate) mod pairing;
mod pairing_code;
mod streamed;

use rustyclaw_protocol::session_entry::ThreadId;

use crate::error::{StoreError, corrupt};

pub use pairing_code::{
    PAIRING_CODE_ALPHABET, PAIRING_CODE_LEN, pairing_code, random_pairing_code,
};

/// The stored form of a thread id: its JSON (`42` or `"topic"`), so numbers stay numbers.
fn thread_to_sql(thread: Option<&ThreadId>) -> Result<Option<String>, StoreError> {
    thread
        .map(|thread| {
            serde_json::to_string(thread).map_err(|source| StoreError::Encode {
                what: "thread id",
                source,
            })
        })
        .transpose()
}

/// A thread id read back; `what` and `id` name the row in the error.
fn thread_from_sql(
    json: Option<&str>,
    what: &'static str,
    id: i64,
) -> Result<Option<ThreadId>, StoreError> {
    json.map(|json| {
        serde_json::from_str(json).map_err(|error| corrupt(what, id.to_string(), error))
    })
    .transpose()
}

/// A row id read back (SQLite rowids of these tables are positive).
fn row_id(id: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(id).map_err(|error| corrupt(what, id.to_string(), error))
}

/// A row id as SQLite takes it; ids come from [`row_id`], so they fit.
fn sql_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// A count or limit as SQLite takes it.
fn sql_count(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
