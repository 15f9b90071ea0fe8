#![cfg(test)]
//! Shared fixtures: services with adjustable settings, a context on a temporary workspace, and
//! helpers to call a tool and read its text.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_config::ToolsConfig;
use rustyclaw_protocol::origin::MessageOrigin;
use rustyclaw_protocol::transcript::ContentBlock;
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_sandbox::exec::DEFAULT_PATH;
use rustyclaw_sandbox::{Sandbox, SandboxSetup};
use rustyclaw_tools::{
    ExecSettings, SessionSandbox, SessionStatus, ToolContext, ToolError, ToolOutput, ToolRegistry,
    ToolServices, WebFetchSettings, builtin_registry,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// `tools` as resolved from an empty config file, except for what the tests set.
pub fn tools_config() -> ToolsConfig {
    let mut config = ToolsConfig::default();
    config.web_fetch.timeout = Duration::from_secs(10);
    config
}

/// A sandbox on this host without the helper (only the `rustyclaw` binary and the sandbox
/// crate's tests have one): bubblewrap is its only layer. Its state lives in `state`.
pub fn sandbox(state: &Path) -> Arc<Sandbox> {
    Arc::new(Sandbox::new(SandboxSetup::for_host(
        None,
        state.to_path_buf(),
        Some(std::ffi::OsStr::new(DEFAULT_PATH)),
    )))
}

/// A test harness: one workspace, one session, one set of services. Commands run unsandboxed
/// unless a test sets `cx.sandbox`.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub state: tempfile::TempDir,
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
        let state = tempfile::tempdir().unwrap();
        let mut exec = ExecSettings::from_config(&config.exec, sandbox(state.path()));
        let mut web = WebFetchSettings::from_config(&config.web_fetch);
        adjust(&mut exec, &mut web);
        let services = Arc::new(ToolServices::with_settings(exec, web).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let agent = AgentId::main();
        let cx = ToolContext {
            workspace: dir.path().to_path_buf(),
            session_key: SessionKey::main(&agent),
            sandbox: SessionSandbox::off(),
            agent_id: agent,
            cancel: CancellationToken::new(),
            services,
            status: SessionStatus::default(),
            origin: MessageOrigin::default(),
            skills: Default::default(),
        };
        Harness {
            dir,
            state,
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
