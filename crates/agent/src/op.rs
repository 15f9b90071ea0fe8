//! What clients submit to the runtime.

use rustyclaw_protocol::attachment::InboundAttachment;
use rustyclaw_protocol::session_entry::QueueMode;
use rustyclaw_protocol::{AgentId, SessionKey, ThinkingLevel};

use crate::event::RunId;
use rustyclaw_protocol::origin::MessageOrigin;

/// A message for the agent.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The conversation.
    pub session_key: SessionKey,
    /// The agent that answers (normally the key's agent).
    pub agent_id: AgentId,
    /// The message text, possibly starting with a directive.
    pub text: String,
    /// Files that came with the message, already saved on this host. The model sees an image
    /// as an image (up to 10 MiB each) and any other file as a `[media attached: …]` note
    /// before the text, naming where it was saved so the agent can open it with its tools.
    pub attachments: Vec<InboundAttachment>,
    /// Run id chosen by the caller (the gateway's idempotency key), or a fresh one.
    pub run_id: RunId,
    /// Thinking level for this message only (`--thinking`).
    pub thinking: Option<ThinkingLevel>,
    /// Queue mode for this message only (overrides the session's).
    pub queue_mode: Option<QueueMode>,
    /// Where the message came from: the channel (`cli`, `webchat`, `telegram`, …), the chat and
    /// the platform message. Recorded on the session (its delivery route) and handed back with
    /// the run's outcome, so the reply finds its way back.
    pub origin: MessageOrigin,
    /// When set, the session is created with this session id if it does not exist yet
    /// (`openclaw agent --session-id`).
    pub session_id: Option<String>,
}

/// An operation submitted to the runtime.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "an Op is moved once, into `submit`, which queues the message as an `Inbound`: boxing it would add an allocation per message and save nothing"
)]
pub enum Op {
    /// Run (or queue) a message.
    Message(Inbound),
    /// Abort the session's current run (and, with `clear_queue`, drop what is queued).
    Abort {
        /// The session.
        session_key: SessionKey,
        /// Only abort if this run is the current one.
        run_id: Option<RunId>,
        /// Drop queued messages too.
        clear_queue: bool,
    },
}
