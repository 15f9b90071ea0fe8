//! The tool policy chain: which tools the model may see and call in one turn.
//!
//! OpenClaw filters the tool list through a pipeline of policies, each of which can only narrow
//! what the previous ones let through; rustyclaw applies the same steps in the same order, with
//! the same labels, so `tools.effective` explains a missing tool with the config key that removed
//! it:
//!
//! 1. `tools.profile` (the agent's profile replaces the global one), widened by `alsoAllow`;
//! 2. `tools.byProvider.profile` for the turn's provider or `provider/model`;
//! 3. `tools.allow` / `tools.deny`;
//! 4. `tools.byProvider` allow/deny;
//! 5. `agents.list[].tools` allow/deny, then the agent's own `byProvider`;
//! 6. the sandbox policy (`tools.sandbox.tools`, per agent `agents.list[].tools.sandbox.tools`)
//!    when the session is sandboxed;
//! 7. the sub-agent policy (a fixed deny list plus `tools.subagents.tools`) for sub-agent
//!    sessions;
//! 8. `tools.exec.applyPatch.allowModels` for `apply_patch`.
//!
//! Names match case-insensitively, `*` is a wildcard, `group:<name>` stands for a group of tools,
//! `group:plugins` for every tool registered at run time and a plugin's id (`bundle-mcp` for MCP
//! servers) for that plugin's tools; `deny` always wins. A run-time tool goes through the same
//! steps as a built-in one. See [`matching`] for the pattern rules and [`chain`] for the steps.

pub mod chain;
pub mod matching;

pub use chain::{EffectiveTool, PolicyChain, PolicyScope, PolicyStep, Verdict};
pub use matching::{AllowDeny, MCP_PLUGIN_ID, PolicyTool, group_members, normalize_tool_name};
