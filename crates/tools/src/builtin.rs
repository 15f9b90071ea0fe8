//! The registry of every built-in tool.

use rustyclaw_config::ToolsConfig;

use crate::exec::{ExecTool, ProcessTool};
use crate::fs::{ApplyPatchTool, EditTool, ReadTool, WriteTool};
use crate::registry::ToolRegistry;
use crate::session_status::SessionStatusTool;
use crate::web::WebFetchTool;

/// All built-in tools that `config` enables: `read`, `write`, `edit`, `apply_patch` (unless
/// `tools.exec.applyPatch.enabled` is false), `exec`, `process`, `web_fetch` (unless
/// `tools.web.fetch.enabled` is false) and `session_status`.
///
/// No policy is applied here: the policy chain ([`crate::policy::PolicyChain`]) depends on the
/// agent, the turn's model and the session, so the agent filters this registry per turn with
/// [`ToolRegistry::filtered`].
pub fn builtin_registry(config: &ToolsConfig) -> ToolRegistry {
    let mut registry = ToolRegistry::new();
    registry.register(ReadTool);
    registry.register(WriteTool);
    registry.register(EditTool);
    if config.exec.apply_patch {
        registry.register(ApplyPatchTool);
    }
    registry.register(ExecTool);
    registry.register(ProcessTool);
    if config.web_fetch.enabled {
        registry.register(WebFetchTool);
    }
    registry.register(SessionStatusTool);
    registry
}
