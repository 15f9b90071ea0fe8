//! Resolution of `agents.defaults.sandbox` and `agents.list[].sandbox`.
//!
//! rustyclaw's documented deviation from OpenClaw: isolation is **on by default**. With `mode`
//! unset every session's commands run at `workspace-write`; `mode: "off"` turns the sandbox
//! off and `non-main` leaves the agent's main session (`agent:<id>:main`) unsandboxed. An
//! agent's own `sandbox` section overrides the defaults field by field (limits too).
//!
//! The agent-wide limits (`agentLimits`) travel inside [`ResourceLimits::agent`], named after
//! the agent they belong to, because that is the value every command's isolation is built
//! from: the sandbox puts each command into its agent's cgroup without any other plumbing.

use rustyclaw_sandbox::{AgentKey, AgentLimits, ResourceLimits};

use super::Ctx;
use crate::file::{
    IsolationLevel, SandboxAgentLimitsSection, SandboxLimitsSection, SandboxMode, SandboxScope,
    SandboxSection, WorkspaceAccess,
};
use crate::{Issue, JsonPath};

/// Sandbox settings of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxPolicy {
    /// Which sessions are sandboxed (default `all`).
    pub mode: SandboxMode,
    /// Workspace visibility inside the sandbox (default `rw`).
    pub workspace_access: WorkspaceAccess,
    /// Sandbox lifetime, naming the scratch workspace of `workspaceAccess: "none"` (default
    /// `agent`, as upstream).
    pub scope: SandboxScope,
    /// Isolation level of sandboxed sessions (default `workspace-write`).
    pub level: IsolationLevel,
    /// Refuse commands when a layer of the level is missing on the host (default false).
    pub require: bool,
    /// Share the host's network at `workspace-write` (default false).
    pub host_network: bool,
    /// Resource limits of each command (defaults: 600 CPU s, 4096 MiB, 256 processes,
    /// 1024 MiB files), and in `limits.agent` those all the agent's commands share (defaults:
    /// 512 processes, half the host's memory), named after the agent.
    pub limits: ResourceLimits,
}

impl Default for SandboxPolicy {
    fn default() -> Self {
        SandboxPolicy {
            mode: SandboxMode::All,
            workspace_access: WorkspaceAccess::Rw,
            scope: SandboxScope::Agent,
            level: IsolationLevel::WorkspaceWrite,
            require: false,
            host_network: false,
            limits: ResourceLimits::default(),
        }
    }
}

impl SandboxPolicy {
    /// The policy of agent `agent_id` (a valid agent id): its commands share that agent's
    /// limits.
    pub(crate) fn for_agent(mut self, agent_id: &str) -> Self {
        if let Some(key) = AgentKey::new(agent_id) {
            self.limits.agent.agent = key;
        }
        self
    }

    /// Whether commands of the session `session_key` of agent `agent_id` are sandboxed.
    pub fn sandboxes(&self, agent_id: &str, session_key: &str) -> bool {
        match self.mode {
            SandboxMode::Off => false,
            SandboxMode::NonMain => session_key != format!("agent:{agent_id}:main"),
            SandboxMode::All => true,
        }
    }
}

/// `section` over `base`, field by field; limits of zero are errors reported at `at`.
pub(crate) fn resolve_sandbox(
    section: Option<&SandboxSection>,
    base: SandboxPolicy,
    at: &JsonPath,
    ctx: &mut Ctx<'_>,
) -> SandboxPolicy {
    let Some(s) = section else { return base };
    SandboxPolicy {
        mode: s.mode.unwrap_or(base.mode),
        workspace_access: s.workspace_access.unwrap_or(base.workspace_access),
        scope: s.scope.unwrap_or(base.scope),
        level: s.level.unwrap_or(base.level),
        require: s.require.unwrap_or(base.require),
        host_network: s.host_network.unwrap_or(base.host_network),
        limits: ResourceLimits {
            agent: agent_limits(
                s.agent_limits.as_ref(),
                base.limits.agent,
                &at.key("agentLimits"),
                ctx,
            ),
            ..limits(s.limits.as_ref(), base.limits, &at.key("limits"), ctx)
        },
    }
}

/// A value of a limit: at least 1 (0 is reported at `at.key`), `fallback` when unset.
fn positive(value: Option<u64>, key: &str, fallback: u64, at: &JsonPath, ctx: &mut Ctx<'_>) -> u64 {
    match value {
        Some(0) => {
            ctx.errors.push(Issue::error(
                at.key(key),
                format!("{key} must be at least 1"),
            ));
            fallback
        }
        Some(n) => n,
        None => fallback,
    }
}

fn agent_limits(
    section: Option<&SandboxAgentLimitsSection>,
    base: AgentLimits,
    at: &JsonPath,
    ctx: &mut Ctx<'_>,
) -> AgentLimits {
    let Some(l) = section else { return base };
    AgentLimits {
        agent: base.agent,
        max_processes: positive(l.max_processes, "maxProcesses", base.max_processes, at, ctx),
        memory_mb: match l.memory_mb {
            Some(mb) => Some(positive(Some(mb), "memoryMb", 1, at, ctx)),
            None => base.memory_mb,
        },
    }
}

fn limits(
    section: Option<&SandboxLimitsSection>,
    base: ResourceLimits,
    at: &JsonPath,
    ctx: &mut Ctx<'_>,
) -> ResourceLimits {
    let Some(l) = section else { return base };
    ResourceLimits {
        cpu_seconds: positive(l.cpu_seconds, "cpuSeconds", base.cpu_seconds, at, ctx),
        memory_mb: positive(l.memory_mb, "memoryMb", base.memory_mb, at, ctx),
        max_processes: positive(l.max_processes, "maxProcesses", base.max_processes, at, ctx),
        file_size_mb: positive(l.file_size_mb, "fileSizeMb", base.file_size_mb, at, ctx),
        agent: base.agent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_main_spares_only_the_agents_main_session() {
        let policy = SandboxPolicy {
            mode: SandboxMode::NonMain,
            ..SandboxPolicy::default()
        };
        assert!(!policy.sandboxes("ops", "agent:ops:main"));
        assert!(policy.sandboxes("ops", "agent:ops:telegram:direct:1"));
        assert!(policy.sandboxes("ops", "agent:main:main"));
        assert!(SandboxPolicy::default().sandboxes("ops", "agent:ops:main"));
        let off = SandboxPolicy {
            mode: SandboxMode::Off,
            ..SandboxPolicy::default()
        };
        assert!(!off.sandboxes("ops", "agent:ops:cron:x"));
    }
}
