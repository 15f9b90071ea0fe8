//! What a tool call can see: the workspace, the session and the conversation the turn answers,
//! how the session is sandboxed, shared services, a cancel signal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustyclaw_config::SandboxPolicy;
use rustyclaw_config::file::{IsolationLevel, SandboxScope, WorkspaceAccess};
use rustyclaw_protocol::origin::MessageOrigin;
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_sandbox::{ResourceLimits, Sandbox, SandboxLevel, WorkspaceMount};
use tokio_util::sync::CancellationToken;

use crate::services::ToolServices;
use crate::tool::ToolError;

/// How a session's commands are isolated: decided by the agent from its sandbox policy and
/// the session key, before each batch of calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSandbox {
    /// The level; [`SandboxLevel::Off`] when the session is not sandboxed.
    pub level: SandboxLevel,
    /// Workspace access: `ro` makes the write tools refuse and mounts the workspace read-only;
    /// `none` means [`ToolContext::workspace`] is a scratch workspace.
    pub workspace_access: WorkspaceAccess,
    /// Resource limits of each command.
    pub limits: ResourceLimits,
    /// Refuse commands when a layer of the level is missing on the host.
    pub require: bool,
    /// Share the host's network at `workspace-write` (`sandbox.hostNetwork`).
    pub host_network: bool,
}

impl SessionSandbox {
    /// No sandbox: commands run on the host with the runner's limits only.
    pub fn off() -> Self {
        SessionSandbox {
            level: SandboxLevel::Off,
            workspace_access: WorkspaceAccess::Rw,
            limits: ResourceLimits::default(),
            require: false,
            host_network: false,
        }
    }

    /// The sandbox of session `session_key` of agent `agent_id` under `policy`, and the
    /// workspace its commands and file tools use: the agent's own, or with `workspaceAccess:
    /// "none"` the scratch workspace of the policy's scope (created on first use).
    pub fn for_session(
        policy: &SandboxPolicy,
        agent_id: &str,
        session_key: &str,
        agent_workspace: &Path,
        sandbox: &Sandbox,
    ) -> std::io::Result<(SessionSandbox, PathBuf)> {
        if !policy.sandboxes(agent_id, session_key) {
            return Ok((SessionSandbox::off(), agent_workspace.to_path_buf()));
        }
        let session = SessionSandbox {
            level: match policy.level {
                IsolationLevel::WorkspaceWrite => SandboxLevel::WorkspaceWrite,
                IsolationLevel::Strict => SandboxLevel::Strict,
            },
            workspace_access: policy.workspace_access,
            limits: policy.limits,
            require: policy.require,
            host_network: policy.host_network,
        };
        let workspace = match policy.workspace_access {
            WorkspaceAccess::Rw | WorkspaceAccess::Ro => agent_workspace.to_path_buf(),
            WorkspaceAccess::None => {
                let scope = match policy.scope {
                    SandboxScope::Session => session_key.to_owned(),
                    SandboxScope::Agent => format!("agent:{agent_id}"),
                    SandboxScope::Shared => "shared".to_owned(),
                };
                sandbox.scratch_workspace(&scope)?
            }
        };
        Ok((session, workspace))
    }

    /// How the workspace is mounted for commands.
    pub fn workspace_mount(&self) -> WorkspaceMount {
        match self.workspace_access {
            WorkspaceAccess::Ro if self.level.is_sandboxed() => WorkspaceMount::ReadOnly,
            _ => WorkspaceMount::ReadWrite,
        }
    }

    /// Refuses a tool that changes files (`tool`) in a read-only sandbox workspace.
    pub fn check_writable(&self, tool: &str) -> Result<(), ToolError> {
        if self.workspace_mount() == WorkspaceMount::ReadOnly {
            return Err(ToolError::failed(format!(
                "{tool} is not available: this session's sandbox mounts the workspace read-only (sandbox.workspaceAccess is \"ro\"). Read files and run commands instead; writing needs workspaceAccess \"rw\"."
            )));
        }
        Ok(())
    }
}

/// The session a call belongs to, as `session_status` reports it. A snapshot taken by the
/// agent before each batch of calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionStatus {
    /// Session key.
    pub session_key: String,
    /// Session id (the transcript's).
    pub session_id: String,
    /// Agent id.
    pub agent_id: String,
    /// `provider/model` in use.
    pub model: String,
    /// The session's model override, if set.
    pub model_override: Option<String>,
    /// Thinking level.
    pub thinking: String,
    /// Verbose level.
    pub verbose: String,
    /// Queue mode.
    pub queue_mode: String,
    /// Input tokens of the last call.
    pub input_tokens: u64,
    /// Output tokens so far in the session.
    pub output_tokens: u64,
    /// Context the last call used.
    pub context_tokens: u64,
    /// The model's context window.
    pub context_window: u64,
    /// Cost so far in USD.
    pub cost_usd: f64,
    /// Compactions so far.
    pub compactions: u64,
    /// Unix ms when the session was last updated.
    pub updated_at_ms: i64,
    /// Time zone used for dates.
    pub timezone: String,
}

/// What the skills of the turn give its tools: read access to their folders (the catalog in
/// the prompt points at `SKILL.md` files outside the workspace) and the variables of
/// `skills.entries.<key>.env`/`apiKey` for the turn's commands.
#[derive(Clone, Default)]
pub struct SkillGrants {
    /// Skill folders `read` may read (never write) besides the workspace.
    pub read_roots: Vec<PathBuf>,
    /// Variables set for the turn's commands when the command does not set them itself.
    pub env: std::collections::BTreeMap<String, String>,
}

impl std::fmt::Debug for SkillGrants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The values are API keys: only the names are shown.
        f.debug_struct("SkillGrants")
            .field("read_roots", &self.read_roots)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Everything a call needs besides its arguments.
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// The workspace; file tools are confined to it. The agent's own, or a scratch workspace
    /// when the sandbox may not see the agent's (`workspaceAccess: "none"`).
    pub workspace: PathBuf,
    /// The session the call runs in.
    pub session_key: SessionKey,
    /// How the session's commands are isolated.
    pub sandbox: SessionSandbox,
    /// The agent.
    pub agent_id: AgentId,
    /// Cancelled when the run is aborted; long tools watch it.
    pub cancel: CancellationToken,
    /// Shared services (process table, exec and web settings).
    pub services: Arc<ToolServices>,
    /// The session's status for `session_status`.
    pub status: SessionStatus,
    /// Where the message the turn answers came from (channel, account, chat, thread, platform
    /// message id): the conversation `message` acts in when the model names none. The default
    /// (no channel) outside a turn answering a message.
    pub origin: MessageOrigin,
    /// What the turn's skills give the tools.
    pub skills: Arc<SkillGrants>,
}
