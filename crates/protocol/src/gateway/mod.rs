//! The OpenClaw gateway WebSocket protocol (version 4): frames, the handshake and the payloads of
//! the events rustyclaw emits.
//!
//! Frames are strict (upstream declares them `additionalProperties: false`), payloads are open:
//! every payload struct keeps the fields it does not model in a flattened `other` map, because
//! upstream adds payload fields with nearly every release and a client must not fail on them.

mod connect;
mod events;
mod frames;
mod hello;

pub use connect::{ClientId, ClientInfo, ClientMode, ConnectAuth, ConnectChallenge, ConnectParams};
pub use events::{
    AgentEvent, ChatContent, ChatEvent, ChatMessage, ChatState, ShutdownEvent, TickEvent,
};
pub use frames::{
    ErrorCode, ErrorShape, EventFrame, Frame, RequestFrame, ResponseFrame, StateVersion,
};
pub use hello::{
    Features, HealthAgent, HealthSessions, HealthSnapshot, HelloAuth, HelloOk, HelloOkType, Policy,
    PresenceEntry, RecentSession, ServerInfo, SessionDefaults, Snapshot,
};

/// The protocol version rustyclaw speaks; operator clients of OpenClaw 2026.9 send
/// `minProtocol: 4, maxProtocol: 4`.
pub const PROTOCOL_VERSION: u32 = 4;

/// Largest frame accepted before the handshake completes (upstream `MAX_PREAUTH_PAYLOAD_BYTES`).
pub const MAX_PREAUTH_PAYLOAD_BYTES: usize = 64 * 1024;

/// Largest frame accepted after the handshake (upstream `MAX_PAYLOAD_BYTES`, 25 MiB).
pub const MAX_PAYLOAD_BYTES: usize = 25 * 1024 * 1024;

/// Largest amount of outgoing data buffered per client (upstream `MAX_BUFFERED_BYTES`, 50 MiB).
pub const MAX_BUFFERED_BYTES: usize = 50 * 1024 * 1024;

/// Default interval between `tick` events (upstream `TICK_INTERVAL_MS`).
pub const TICK_INTERVAL_MS: u64 = 30_000;

#[cfg(test)]
mod tests;
