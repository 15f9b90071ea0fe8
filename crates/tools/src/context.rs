//! What a tool call can see: the workspace, the session, shared services, a cancel signal.

use std::path::PathBuf;
use std::sync::Arc;

use rustyclaw_protocol::{AgentId, SessionKey};
use tokio_util::sync::CancellationToken;

use crate::services::ToolServices;

/// The session a call belongs to, as `session_status` reports it. A snapshot taken by the
/// agent before each batch of calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionStatus {
    /// Session key.
    pub session_key: String,
    /// Session id (the transcript's).
    pub session_id: String,
    /// Agent id.
    pub agent_id: String,
    /// `provider/model` in use.
    pub model: String,
    /// The session's model override, if set.
    pub model_override: Option<String>,
    /// Thinking level.
    pub thinking: String,
    /// Verbose level.
    pub verbose: String,
    /// Queue mode.
    pub queue_mode: String,
    /// Input tokens of the last call.
    pub input_tokens: u64,
    /// Output tokens so far in the session.
    pub output_tokens: u64,
    /// Context the last call used.
    pub context_tokens: u64,
    /// The model's context window.
    pub context_window: u64,
    /// Cost so far in USD.
    pub cost_usd: f64,
    /// Compactions so far.
    pub compactions: u64,
    /// Unix ms when the session was last updated.
    pub updated_at_ms: i64,
    /// Time zone used for dates.
    pub timezone: String,
}

/// Everything a call needs besides its arguments.
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// The agent's workspace; file tools are confined to it.
    pub workspace: PathBuf,
    /// The session the call runs in.
    pub session_key: SessionKey,
    /// The agent.
    pub agent_id: AgentId,
    /// Cancelled when the run is aborted; long tools watch it.
    pub cancel: CancellationToken,
    /// Shared services (process table, exec and web settings).
    pub services: Arc<ToolServices>,
    /// The session's status for `session_status`.
    pub status: SessionStatus,
}
