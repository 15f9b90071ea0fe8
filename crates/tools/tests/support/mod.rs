#![cfg(test)]
//! Shared fixtures: services with adjustable settings, a context on a temporary workspace, and
//! helpers to call a tool and read its text.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_config::file::{ElevatedSection, ToolPolicySection};
use rustyclaw_config::{ExecConfig, ToolsConfig, WebFetchConfig};
use rustyclaw_protocol::transcript::ContentBlock;
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_tools::{
    ExecSettings, SessionStatus, ToolContext, ToolError, ToolOutput, ToolRegistry, ToolServices,
    WebFetchSettings, builtin_registry,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// `tools` as resolved from an empty config file, except for what the tests set.
pub fn tools_config() -> ToolsConfig {
    ToolsConfig {
        policy: ToolPolicySection::default(),
        by_provider: Default::default(),
        elevated: ElevatedSection::default(),
        exec: ExecConfig {
            background_after: Duration::from_secs(10),
            timeout: Duration::from_secs(1800),
            cleanup_after: Duration::from_secs(1800),
            notify_on_exit: true,
            host: rustyclaw_config::file::ExecHost::Sandbox,
            security: rustyclaw_config::file::ExecSecurity::Deny,
            ask: rustyclaw_config::file::ExecAsk::OnMiss,
            apply_patch: true,
            apply_patch_models: None,
        },
        web_fetch: WebFetchConfig {
            enabled: true,
            max_chars: 50_000,
            timeout: Duration::from_secs(10),
            max_redirects: 3,
            user_agent: None,
            allow_private_network: false,
        },
        loop_detection_enabled: true,
        loop_detection_max_repeats: 3,
    }
}

/// A test harness: one workspace, one session, one set of services.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub registry: ToolRegistry,
    pub cx: ToolContext,
}

impl Harness {
    /// Default settings.
    pub fn new() -> Self {
        Self::with(|_, _| {})
    }

    /// Settings adjusted by `adjust`.
    pub fn with(adjust: impl FnOnce(&mut ExecSettings, &mut WebFetchSettings)) -> Self {
        let config = tools_config();
        let mut exec = ExecSettings::from_config(&config.exec);
        let mut web = WebFetchSettings::from_config(&config.web_fetch);
        adjust(&mut exec, &mut web);
        let services = Arc::new(ToolServices::with_settings(exec, web).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let agent = AgentId::main();
        let cx = ToolContext {
            workspace: dir.path().to_path_buf(),
            session_key: SessionKey::main(&agent),
            agent_id: agent,
            cancel: CancellationToken::new(),
            services,
            status: SessionStatus::default(),
        };
        Harness {
            dir,
            registry: builtin_registry(&config),
            cx,
        }
    }

    pub fn ws(&self) -> &Path {
        self.dir.path()
    }

    /// A context for another session of the same agent, sharing the services.
    pub fn other_session(&self) -> ToolContext {
        let mut cx = self.cx.clone();
        cx.session_key = SessionKey::parse("agent:main:telegram:direct:42").unwrap();
        cx
    }

    pub async fn call(&self, tool: &str, args: Value) -> Result<ToolOutput, ToolError> {
        self.call_in(&self.cx, tool, args).await
    }

    pub async fn call_in(
        &self,
        cx: &ToolContext,
        tool: &str,
        args: Value,
    ) -> Result<ToolOutput, ToolError> {
        self.registry
            .call(tool, args, cx)
            .await
            .unwrap_or_else(|| panic!("no tool named {tool}"))
    }

    /// Calls and expects success; returns the first text block.
    pub async fn ok(&self, tool: &str, args: Value) -> (String, Option<Value>) {
        let out = self
            .call(tool, args)
            .await
            .unwrap_or_else(|e| panic!("{tool} failed: {e}"));
        (text(&out), out.details)
    }

    /// Calls and expects a model-visible failure; returns its message.
    pub async fn fails(&self, tool: &str, args: Value) -> String {
        match self.call(tool, args).await {
            Err(ToolError::Failed { message, .. }) => message,
            other => panic!("{tool}: expected a failure, got {other:?}"),
        }
    }
}

/// The first text block of an output.
pub fn text(out: &ToolOutput) -> String {
    out.content
        .iter()
        .find_map(|b| match b {
            ContentBlock::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .expect("a text block")
}
