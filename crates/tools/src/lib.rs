//! The agent's built-in tools.
//!
//! Names and parameter schemas are OpenClaw's exactly, because models and transcripts refer to
//! them. Each tool is a typed [`Tool`] (native `async fn`, arguments deserialized into a struct);
//! the [`ToolRegistry`] erases them behind an object-safe twin so the agent can hold a list of
//! `Arc<dyn …>` and call them with raw JSON. [`builtin_registry`] registers them all.
//!
//! Failures come in two classes ([`ToolError`]): the ones the model should see and react to
//! (a missing file, a non-zero exit, bad arguments) become an error tool result; fatal ones
//! (the run was cancelled, the sandbox cannot start) abort the run. File tools are confined to
//! the workspace; commands run only through `rustyclaw-sandbox`; `web_fetch` refuses private
//! network targets unless configured otherwise and marks what it returns as untrusted.

mod args;
mod builtin;
mod context;
pub mod exec;
pub mod fs;
pub mod policy;
mod registry;
mod services;
mod session_status;
mod text;
mod tool;
pub mod web;

pub use builtin::builtin_registry;
pub use context::{SessionSandbox, SessionStatus, ToolContext};
pub use exec::{ExecTool, ProcessTool};
pub use fs::{ApplyPatchTool, EditTool, ReadTool, WriteTool};
pub use registry::{ToolRegistry, ToolResult};
/// Exec approvals (policy, approvals file, broker), re-exported for the agent and the CLI.
pub use rustyclaw_sandbox::approvals;
pub use services::{
    DEFAULT_EXEC_OUTPUT_CAP, DEFAULT_FETCH_MAX_CHARS_CAP, DEFAULT_FETCH_MAX_RESPONSE_BYTES,
    DEFAULT_FETCH_USER_AGENT, ExecApprovals, ExecSettings, ServicesError, ToolServices,
    WebFetchSettings,
};
pub use session_status::{SessionStatusArgs, SessionStatusTool};
pub use tool::{Tool, ToolEffect, ToolError, ToolOutput};
pub use web::WebFetchTool;
