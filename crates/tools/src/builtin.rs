//! The registry of every built-in tool.

use std::sync::Arc;

use rustyclaw_config::ToolsConfig;

use crate::exec::{ExecTool, ProcessTool};
use crate::fs::{ApplyPatchTool, EditTool, ReadTool, WriteTool};
use crate::message::MessageTool;
use crate::registry::{ToolOrigin, ToolRegistry};
use crate::services::ToolServices;
use crate::session_status::SessionStatusTool;
use crate::tool::Tool;
use crate::web::WebFetchTool;

/// All built-in tools that `config` enables: `read`, `write`, `edit`, `apply_patch` (unless
/// `tools.exec.applyPatch.enabled` is false), `exec`, `process`, `web_fetch` (unless
/// `tools.web.fetch.enabled` is false) and `session_status`. `message` needs the host's
/// channels as well: [`register_service_tools`] adds it.
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

/// Adds the built-in tools that act through a service the host provides, when `services` has
/// it: `message` with a messenger (the host runs chat channels). The runtime calls this whenever
/// it pairs a registry with its services (at start and on every config change), since
/// [`builtin_registry`] sees only the configuration. A tool of the same name that a plugin
/// registered at run time keeps the name: it was allowed to take a built-in's place.
pub fn register_service_tools(registry: &mut ToolRegistry, services: &ToolServices) {
    let Some(messenger) = services.messenger() else {
        return;
    };
    let tool = MessageTool::new(Arc::clone(messenger));
    if let Some(ToolOrigin::Plugin { id }) = registry.origin(Tool::name(&tool)) {
        tracing::warn!(plugin = %id, "the message tool is not offered: a plugin's tool has its name");
        return;
    }
    registry.register(tool);
}
