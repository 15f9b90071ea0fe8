//! rustyclaw's state database: sessions, transcripts, the run ledger, the audit log, the
//! guards' quarantine and the chat channels' journals (received messages, update offsets, pending
//! deliveries, pairing requests and allowlists) in one SQLite file (`state.sqlite`), plus import
//! and export of OpenClaw JSONL transcripts.
//!
//! This is the only crate that touches SQLite. Its API speaks in domain operations on domain
//! types ([`SessionKey`](rustyclaw_protocol::SessionKey),
//! [`SessionEntry`](rustyclaw_protocol::SessionEntry),
//! [`TranscriptLine`](rustyclaw_protocol::TranscriptLine), [`AuditRecord`]) and no SQL or
//! rusqlite type appears in it, not even in errors ([`DatabaseError`] is opaque). That keeps the
//! door open for the planned PostgreSQL backend for multi-gateway deployments: it becomes a second
//! implementation behind the same [`Store`] (an enum of backends, or a trait once there really are
//! two), not a rewrite of its callers.
//!
//! # Threading
//!
//! A [`Store`] is a cheap-to-clone async handle. Its operations run on a dedicated thread that
//! owns the `rusqlite::Connection`; requests arrive over a channel and answers return on Tokio
//! oneshot channels. Chosen over `spawn_blocking` with a mutex because:
//! - SQLite admits one writer at a time anyway, so serializing a handle's operations costs no
//!   write throughput, and the single owner needs no lock (nothing to poison, no lock held across
//!   an await);
//! - the connection stays on one thread with its page cache warm, and the store needs no Tokio
//!   runtime feature, working under any executor;
//! - cancellation is well defined: dropping a future never aborts an operation half-way, the
//!   operation completes (or rolls back) on the database thread.
//!
//! Concurrency comes from opening more handles: each [`Store::open`] is a separate connection,
//! and with WAL journaling readers never block the writer. A long operation (a large import)
//! delays later operations of the same handle only.
//!
//! # Durability
//!
//! The database runs in WAL mode with `synchronous=NORMAL`: when an append returns, the
//! transaction is in the write-ahead log in the OS page cache. That survives a crash of the
//! process — SIGKILL, OOM kill, `panic = "abort"` — which the integration tests check by killing a
//! writer mid-stream. A power loss or kernel crash may lose the most recent commits (the log is
//! fsynced at checkpoints) but never corrupts the database. Commits that acknowledge something
//! to the outside world (a chat platform told its messages were received, a reply promised to be
//! delivered) are fsynced before they return (module `channel`). Every multi-row change (an append
//! batch, an import, a migration) is one transaction: visible entirely or not at all.
//!
//! # Schema
//!
//! Versioned by `PRAGMA user_version` with an ordered list of migrations, each applied in its own
//! transaction. A database written by a newer rustyclaw is refused, untouched.

mod audit;
mod automation;
mod channel;
mod cooldowns;
mod error;
mod full_sync;
mod handle;
mod integrity;
mod jsonl;
mod memory;
mod memory_vectors;
mod private_files;
mod quarantine;
mod runs;
mod schema;
mod sessions;
mod transcripts;
mod usage;

pub use audit::{AuditRecord, StoredAuditRecord};
pub use channel::deliveries::{
    AnsweredRun, DELIVERY_RETENTION_MS, DeliveryId, DeliveryRecord, DeliveryState, DeliveryTarget,
    LEFT_SENDING_ERROR, StoredDelivery,
};
pub use channel::inbound::{
    INBOUND_RETENTION_MS, InboundEnd, InboundId, InboundOutcome, InboundRecord, InboundState,
    StoredInbound,
};
pub use channel::offsets::ChannelOffset;
pub use channel::pairing::{MAX_PENDING_PAIRINGS, PAIRING_TTL_MS, PairingOutcome, PairingRequest};
pub use channel::{PAIRING_CODE_ALPHABET, PAIRING_CODE_LEN, pairing_code, random_pairing_code};
pub use cooldowns::CooldownRow;
pub use error::{BoxError, DatabaseError, StoreError, TranscriptViolation};
pub use handle::Store;
pub use integrity::IntegrityReport;
pub use jsonl::ImportReport;
pub use memory::{
    ChunkHit, FtsTokenizer, IndexStats, IndexedFile, MemoryIndex, NewChunk, PendingChunk,
};
pub use quarantine::{
    MAX_QUARANTINE_PAYLOAD_BYTES, QuarantineKind, QuarantineRecord, QuarantineSummary,
    StoredQuarantine,
};
pub use runs::{LEDGER_RETENTION_MS, MAX_LEDGER_REPLY_BYTES, RunRecord, RunState};
pub use sessions::{StoredSession, TranscriptRetention};
pub use transcripts::StoredLine;
pub use usage::UsageRow;

/// The newest database schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = schema::LATEST_VERSION;
