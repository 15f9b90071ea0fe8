//! The agent runtime: a message goes in, the model thinks and uses tools, the reply comes out,
//! every step persisted.
//!
//! It is a queue pair: clients [`submit`](AgentRuntime::submit) an [`Op`] and read [`Event`]s
//! from [`subscribe`](AgentRuntime::subscribe). The gateway, the CLI, cron and channels are all
//! clients; nothing here speaks HTTP or spawns processes (tools do that through the sandbox).
//!
//! - Each session has a lane: one turn at a time, later messages queued by mode (`collect`,
//!   `followup`, `steer`, `interrupt`); a semaphore caps turns across sessions.
//! - A turn parses directives (`/new`, `/think`, `/model`, …), builds the system prompt from the
//!   workspace files, streams the model, runs tool calls in parallel, and loops until the model
//!   stops — with a cap on model calls and detection of repeated identical calls.
//! - Every transcript entry is stored before the event announcing it is sent, in OpenClaw's
//!   transcript line format, so a crash never loses what a client was told.
//! - When the context approaches the model's window (or the provider says it overflowed), older
//!   turns are summarised into a `compaction` entry.

mod approvals;
mod attachments;
mod clock;
mod commands;
mod compaction;
mod directives;
mod error;
mod event;
mod guards;
mod invoke;
mod lane;
mod memory_flush;
mod models;
mod op;
mod prompt;
mod publish;
mod route;
mod run;
mod run_ledger;
mod run_watch;
mod runtime;
mod services;
mod session;
mod session_lock;
mod session_patch;
mod settings;
mod skills;
mod status;
mod text;
mod thinking;
mod tool_calls;
mod tool_policy;
mod transcript;
mod turn;
mod turn_loop;

pub use commands::{COMMANDS, CommandArg, CommandInfo};
pub use directives::{Directive, DirectiveError, parse as parse_directive};
pub use error::AgentError;
pub use event::{Event, EventKind, ModelCalls, RunId, RunOutcome, RunStatus};
pub use invoke::ToolInvocation;
pub use models::{ModelPlan, Models, OpenError, Opened, ProbeError, ProbeReport};
pub use op::{Inbound, Op};
pub use prompt::{BOOTSTRAP_FILES, PromptInputs, WorkspaceFile, build as build_system_prompt};
pub use run_watch::RunEvents;
pub use runtime::{AgentRuntime, Reconfiguration, RuntimeParts, RuntimeUpdate};
pub use rustyclaw_protocol::origin::{
    AccountId, ChannelId, Chat, ChatId, MessageId, MessageOrigin, PeerId, Sender,
};
pub use rustyclaw_protocol::reply::{MediaRef, ReplyPayload};
pub use session_lock::{Patched, SessionLock};
pub use session_patch::SessionPatch;
pub use thinking::{THINKING_LEVELS, parse_thinking};
pub use tool_policy::effective_tools;
