//! Errors of the agent runtime.

use rustyclaw_store::StoreError;

/// Why a submission or a run failed outside the model's control.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The store failed; nothing half-written is left behind.
    #[error("the session store failed")]
    Store {
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// The agent id is not configured.
    #[error("no agent {agent:?} is configured (known: {known})")]
    UnknownAgent {
        /// The requested id.
        agent: String,
        /// Configured ids.
        known: String,
    },
    /// No model is configured or the configured one cannot be resolved.
    #[error("{detail}")]
    Model {
        /// What is wrong, naming the model ref and the config path.
        detail: String,
    },
    /// The session's queue is full and the policy refuses new messages.
    #[error("session {session} already has {cap} queued messages")]
    QueueFull {
        /// The session key.
        session: String,
        /// The cap (`messages.queue.cap`).
        cap: u32,
    },
    /// The tool services could not be set up for a new configuration (the previous ones stay).
    #[error("tools could not be set up with the new configuration: {reason}")]
    Tools {
        /// What failed.
        reason: String,
    },
    /// A turn of the session kept it longer than a change from outside could wait.
    #[error("session {session} is still busy with a run; try again in a moment")]
    SessionBusy {
        /// The session key.
        session: String,
    },
    /// The runtime is shutting down.
    #[error("the agent runtime is shutting down")]
    ShuttingDown,
    /// A bug-shaped failure (an invariant broke); reported, never a panic.
    #[error("internal error: {detail}")]
    Internal {
        /// What broke.
        detail: String,
    },
}
