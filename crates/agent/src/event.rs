//! What the runtime reports. Every event names its run and session; transcript-backed events
//! are sent only after the entry is durable in the store.

use std::fmt;

use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::transcript::{AssistantMessage, StopReason, Usage};
use rustyclaw_tools::approvals::{ApprovalRequest, ApprovalResolved};
use serde_json::Value;

use rustyclaw_protocol::origin::MessageOrigin;
use rustyclaw_protocol::reply::{self, ReplyPayload};

/// A run id (OpenClaw's `runId`; the gateway uses the request's idempotency key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub String);

impl RunId {
    /// A fresh random id.
    pub fn random() -> Self {
        RunId(uuid::Uuid::new_v4().to_string())
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The run it belongs to.
    pub run_id: RunId,
    /// The session.
    pub session_key: SessionKey,
    /// What happened.
    pub kind: EventKind,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The model finished.
    Done,
    /// A model or tool failure ended the run.
    Failed,
    /// Aborted by a client or by a newer message (`interrupt`).
    Aborted,
    /// Hit `agents.defaults.timeoutSeconds`.
    TimedOut,
}

impl RunStatus {
    /// `done`, `failed`, `aborted`, `timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
            RunStatus::Aborted => "aborted",
            RunStatus::TimedOut => "timeout",
        }
    }
}

/// The end of a run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// How it ended.
    pub status: RunStatus,
    /// What to send back; empty when the model answered `NO_REPLY` or produced no text.
    pub payloads: Vec<ReplyPayload>,
    /// Where the reply goes: the origin of the message answered (of a batch's last message, or
    /// of the last message steered into the turn).
    pub origin: MessageOrigin,
    /// The error shown to the user, for failed runs.
    pub error: Option<String>,
    /// Usage summed over the run's model calls.
    pub usage: Usage,
    /// The model calls of the run: how many, and the last one's usage and stop reason.
    pub calls: ModelCalls,
    /// `provider/model` that answered last.
    pub model: Option<String>,
    /// The session id the run wrote to.
    pub session_id: String,
    /// Wall time of the run in milliseconds.
    pub duration_ms: u64,
    /// Every run this outcome answers, when a turn answered several messages at once (a
    /// collected burst, messages steered into a turn): each of them gets this same outcome, so
    /// whoever delivers the reply does it once for them all. Empty for a turn of one message.
    pub answered: Vec<RunId>,
}

impl RunOutcome {
    /// The reply as one text, for callers that show a single string (`chat.send`, `agent`,
    /// the OpenAI-compatible endpoint, the run ledger); `None` when there is no text.
    pub fn reply_text(&self) -> Option<String> {
        reply::joined_text(&self.payloads)
    }

    /// The outcome of a message that never reached the model: answered at once by the runtime
    /// (`/approve`), with `reply`.
    pub(crate) fn answered(reply: String, answering: &MessageOrigin) -> Self {
        let payload = ReplyPayload::text(reply, answering.message_id.clone());
        Self::without_turn(RunStatus::Done, vec![payload], None, answering)
    }

    /// The outcome of a message that never ran (aborted, dropped from a full queue), with
    /// `why` as its error.
    pub(crate) fn unrun(status: RunStatus, why: &str, origin: &MessageOrigin) -> Self {
        Self::without_turn(status, Vec::new(), Some(why.to_owned()), origin)
    }

    fn without_turn(
        status: RunStatus,
        payloads: Vec<ReplyPayload>,
        error: Option<String>,
        origin: &MessageOrigin,
    ) -> Self {
        RunOutcome {
            status,
            payloads,
            origin: origin.clone(),
            error,
            usage: Usage::default(),
            calls: ModelCalls::default(),
            model: None,
            session_id: String::new(),
            duration_ms: 0,
            answered: Vec::new(),
        }
    }
}

/// The model calls of a run, as far as they went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelCalls {
    /// How many replies the model gave (one per round of tool calls, plus the last).
    pub count: u32,
    /// The last reply's token usage: what the context held when the run ended.
    pub last_usage: Option<Usage>,
    /// Why the last reply ended.
    pub stop_reason: Option<StopReason>,
}

impl ModelCalls {
    /// Counts `reply`, keeping its usage and stop reason as the latest.
    pub(crate) fn record(&mut self, reply: &AssistantMessage) {
        self.count += 1;
        self.last_usage = Some(reply.usage.clone());
        self.stop_reason = Some(reply.stop_reason.clone());
    }
}

/// What happened in a run.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// The message is waiting behind another run of the same session.
    Queued {
        /// Messages waiting, this one included.
        position: usize,
    },
    /// The message was folded into a running turn (`steer`).
    Steered,
    /// The run started.
    Started {
        /// The session id.
        session_id: String,
        /// `provider/model` tried first.
        model: String,
    },
    /// More answer text.
    AssistantDelta {
        /// The new text.
        delta: String,
    },
    /// More reasoning text.
    ThinkingDelta {
        /// The new text.
        delta: String,
    },
    /// A tool call is about to run.
    ToolStarted {
        /// Call id.
        call_id: String,
        /// Tool name.
        name: String,
        /// Arguments as given.
        args: Value,
    },
    /// A tool call finished; its result is in the transcript.
    ToolFinished {
        /// Call id.
        call_id: String,
        /// Tool name.
        name: String,
        /// Whether it failed.
        is_error: bool,
        /// The result text (capped).
        output: String,
    },
    /// A transcript entry was stored.
    EntryAppended {
        /// Entry id.
        entry_id: String,
        /// Line type (`message`, `model_change`, `compaction`, …).
        entry_type: &'static str,
        /// For messages: `user`, `assistant` or `toolResult`.
        role: Option<String>,
    },
    /// A model call failed and another model or credential is being tried.
    Failover {
        /// What failed.
        from: String,
        /// What is tried next.
        to: String,
        /// Why.
        reason: String,
    },
    /// The context was compacted.
    Compacted {
        /// Context tokens before.
        tokens_before: u64,
    },
    /// A command of this run waits for a human's approval (`exec` on the gateway host); answer
    /// with [`ApprovalBroker::resolve`](rustyclaw_tools::approvals::ApprovalBroker::resolve) or
    /// the `/approve` directive.
    ApprovalRequested(Box<ApprovalRequest>),
    /// An approval request of this run ended (decided, expired or withdrawn).
    ApprovalResolved(Box<ApprovalResolved>),
    /// A message for the user that is not a model reply (directive confirmations, `/status`).
    Notice {
        /// The text.
        text: String,
    },
    /// The run ended.
    Finished(Box<RunOutcome>),
}
