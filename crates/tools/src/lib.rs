//! The agent's built-in tools, and the registry that also holds tools learnt at run time.
//!
//! Names and parameter schemas are OpenClaw's exactly, because models and transcripts refer to
//! them. Each tool is a typed [`Tool`] (native `async fn`, arguments deserialized into a struct);
//! the [`ToolRegistry`] holds them as the object-safe [`DynTool`] so the agent can keep a list
//! of `Arc<dyn …>` and call them with raw JSON. [`builtin_registry`] registers them all. A tool
//! whose name and schema are known only at run time (an MCP server's) implements [`DynTool`]
//! itself and is added with [`ToolRegistry::register_dyn`], which checks its name and refuses to
//! shadow a built-in tool unless asked; the policy chain filters it like any other.
//!
//! Every result carries a [`Provenance`]: rustyclaw's own words, or content from outside (a web
//! page, a file, a command's output, an MCP server's answer). The agent's guards score what the
//! provenance marks as outside content, and the registry wraps a run-time tool's outside text
//! between the untrusted-content markers, whatever the tool is called.
//!
//! Failures come in two classes ([`ToolError`]): the ones the model should see and react to
//! (a missing file, a non-zero exit, bad arguments) become an error tool result; fatal ones
//! (the run was cancelled, the sandbox cannot start) abort the run. File tools are confined to
//! the workspace; commands run only through `rustyclaw-sandbox`; `web_fetch` refuses private
//! network targets unless configured otherwise and marks what it returns as untrusted.
//!
//! `message` posts into the chat channels the host runs, through the [`Messenger`] the host puts
//! in [`ToolServices::with_messenger`]; it exists only then ([`register_service_tools`]).

mod args;
mod builtin;
mod context;
pub mod exec;
pub mod fs;
mod message;
pub mod messenger;
mod name;
pub mod policy;
mod provenance;
mod registry;
mod services;
mod session_status;
mod text;
mod tool;
pub mod web;

pub use builtin::{builtin_registry, register_service_tools};
pub use context::{SessionSandbox, SessionStatus, SkillGrants, ToolContext};
pub use exec::{ExecTool, ProcessTool};
pub use fs::{ApplyPatchTool, EditTool, ReadTool, WriteTool};
pub use message::{MessageArgs, MessageTool};
pub use messenger::Messenger;
pub use name::{InvalidToolName, MAX_TOOL_NAME_LEN, ToolName};
pub use provenance::{ExternalSource, Provenance};
pub use registry::{RegisterError, Shadowing, ToolOrigin, ToolRegistry};
/// Exec approvals (policy, approvals file, broker), re-exported for the agent and the CLI.
pub use rustyclaw_sandbox::approvals;
pub use services::{
    DEFAULT_EXEC_OUTPUT_CAP, DEFAULT_FETCH_MAX_CHARS_CAP, DEFAULT_FETCH_MAX_RESPONSE_BYTES,
    DEFAULT_FETCH_USER_AGENT, ExecApprovals, ExecSettings, ServicesError, ToolServices,
    WebFetchSettings,
};
pub use session_status::render_card as render_status_card;
pub use session_status::{SessionStatusArgs, SessionStatusTool};
pub use tool::{DynTool, Tool, ToolEffect, ToolError, ToolFuture, ToolOutput, ToolResult};
pub use web::WebFetchTool;
