//! Wire and file types shared by every rustyclaw component: session keys, session entries and
//! transcript lines and the gateway WebSocket protocol (frames, handshake, event payloads).
//!
//! This crate is pure data: serde types, parsers and validators, no I/O, no clocks, no async
//! runtime. The gateway, the CLI, the store and the UI-facing code all speak in these types, so the
//! boundary is checked mechanically (`cargo tree -p rustyclaw-protocol -e normal` lists only serde,
//! serde_json and thiserror).
//!
//! The design decision behind every type here is *lossless compatibility with OpenClaw*. Formats
//! are OpenClaw's (session keys, `SessionEntry`, transcript JSONL) and upstream adds fields and
//! enum values with almost every release, so:
//! - structs keep fields they do not model in a flattened `other` map, so importing an OpenClaw
//!   file and exporting it again yields an equal JSON value;
//! - string enums are open (known values plus `Unknown(String)`), so a new upstream value neither
//!   fails a whole import nor gets lost;
//! - what rustyclaw relies on is validated with precise errors: session-key grammar, id shape,
//!   transcript envelope (`type`, `id`, `parentId`, `timestamp`) and header version.
//!
//! Ids and timestamps of new entries are parameters (the store or the agent supplies them), which
//! keeps this crate deterministic.

pub mod attachment;
pub mod gateway;
mod ids;
mod levels;
mod open_enum;
pub mod origin;
pub mod reply;
mod serde_util;
pub mod session_entry;
pub mod session_key;
pub mod transcript;

pub use ids::{EntryId, IdError, MAX_ID_LEN, SessionId};
pub use levels::{ElevatedLevel, ReasoningLevel, ThinkingLevel, VerboseLevel};
pub use session_entry::SessionEntry;
pub use session_key::{AgentId, SessionKey, SessionKeyError, SessionKeyKind};
pub use transcript::{TranscriptEntry, TranscriptError, TranscriptLine};
