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
/// The global policy (`tools.profile`, `allow`, `alsoAllow`, `deny`; see [`crate::policy`]) is
/// applied here; per-agent, per-provider and `applyPatch.allowModels` rules are applied by the
/// caller with [`ToolRegistry::retain`].
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
    registry.retain(|name| crate::policy::allows(&config.policy, name));
    registry
}
