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
/// Policy (profiles, allow/deny lists, `applyPatch.allowModels`) is applied by the agent on the
/// result with [`ToolRegistry::retain`].
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
