//! `agents.defaults.sandbox` and per-agent overrides, loaded from real files.
#![cfg(test)]

use rustyclaw_config::file::{IsolationLevel, SandboxMode, SandboxScope, WorkspaceAccess};
use rustyclaw_config::{ConfigError, Env, load};
use rustyclaw_sandbox::{AgentKey, AgentLimits};

use crate::{locations, write};

#[test]
fn isolation_is_on_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&locations(dir.path()), &Env::default()).unwrap();
    let policy = loaded.config.agents.defaults.sandbox;
    assert_eq!(policy.mode, SandboxMode::All);
    assert_eq!(policy.level, IsolationLevel::WorkspaceWrite);
    assert_eq!(policy.workspace_access, WorkspaceAccess::Rw);
    assert_eq!(policy.scope, SandboxScope::Agent);
    assert!(!policy.require);
    assert_eq!(policy.limits.max_processes, 256);
    assert_eq!(
        policy.limits.agent,
        AgentLimits {
            agent: AgentKey::MAIN,
            max_processes: 512,
            memory_mb: None,
        },
        "an agent-wide cap by default; memory: half of the host's, found by the sandbox"
    );
    assert_eq!(loaded.config.agents.list[0].sandbox, policy);
}

#[test]
fn agent_limits_are_per_agent_and_override_the_defaults_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "openclaw.json",
        r#"{ agents: {
            defaults: { sandbox: { agentLimits: { maxProcesses: 128, memoryMb: 2048 } } },
            list: [
              { id: "main" },
              { id: "ops", sandbox: { agentLimits: { memoryMb: 512 }, limits: { maxProcesses: 64 } } },
            ] } }"#,
    );
    let loaded = load(&locations(dir.path()), &Env::default()).unwrap();
    let agents = &loaded.config.agents;
    let main = agents.get("main").unwrap().sandbox.limits;
    assert_eq!(main.agent.agent.as_str(), "main");
    assert_eq!(
        (main.agent.max_processes, main.agent.memory_mb),
        (128, Some(2048))
    );
    let ops = agents.get("ops").unwrap().sandbox.limits;
    // Each agent's commands share that agent's cgroup, not main's.
    assert_eq!(ops.agent.agent.as_str(), "ops");
    assert_eq!(
        (ops.agent.max_processes, ops.agent.memory_mb),
        (128, Some(512))
    );
    assert_eq!(ops.max_processes, 64);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);

    write(
        dir.path(),
        "openclaw.json",
        "{ agents: { list: [ { id: 'ops', sandbox: { agentLimits: { maxProcesses: 0 } } } ] } }",
    );
    let err = load(&locations(dir.path()), &Env::default()).unwrap_err();
    let ConfigError::Invalid { issues, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        issues[0].path.to_string(),
        "agents.list[0].sandbox.agentLimits.maxProcesses"
    );
    write(
        dir.path(),
        "openclaw.json",
        "{ agents: { defaults: { sandbox: { agentLimits: { maxProcs: 5 } } } } }",
    );
    assert!(
        load(&locations(dir.path()), &Env::default()).is_err(),
        "unknown key"
    );
}

#[test]
fn agents_override_the_defaults_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "openclaw.json",
        r#"{ agents: {
            defaults: { sandbox: { mode: "non-main", level: "strict", require: true,
                                   limits: { memoryMb: 512, maxProcesses: 64 } } },
            list: [
              { id: "main" },
              { id: "ops", sandbox: { mode: "off", workspaceAccess: "ro", limits: { maxProcesses: 16 },
                                      docker: { image: "x" } } },
            ] } }"#,
    );
    let loaded = load(&locations(dir.path()), &Env::default()).unwrap();
    let agents = &loaded.config.agents;
    let main = agents.get("main").unwrap().sandbox;
    assert_eq!(main.mode, SandboxMode::NonMain);
    assert_eq!(main.level, IsolationLevel::Strict);
    assert!(main.require);
    assert!(!main.sandboxes("main", "agent:main:main"));
    assert!(main.sandboxes("main", "agent:main:telegram:direct:1"));
    let ops = agents.get("ops").unwrap().sandbox;
    assert_eq!(ops.mode, SandboxMode::Off);
    assert_eq!(ops.workspace_access, WorkspaceAccess::Ro);
    assert_eq!(ops.level, IsolationLevel::Strict, "inherited");
    assert!(ops.require, "inherited");
    assert_eq!(
        (
            ops.limits.memory_mb,
            ops.limits.max_processes,
            ops.limits.cpu_seconds
        ),
        (512, 16, 600)
    );
    let warned: Vec<String> = loaded.warnings.iter().map(|w| w.path.to_string()).collect();
    assert!(
        warned.iter().any(|p| p.contains("sandbox.docker")),
        "OpenClaw's docker settings are accepted with a warning: {warned:?}"
    );
}

#[test]
fn zero_limits_and_unknown_levels_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "openclaw.json",
        "{ agents: { defaults: { sandbox: { limits: { cpuSeconds: 0 } } } } }",
    );
    let err = load(&locations(dir.path()), &Env::default()).unwrap_err();
    let ConfigError::Invalid { issues, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        issues[0].path.to_string(),
        "agents.defaults.sandbox.limits.cpuSeconds"
    );
    write(
        dir.path(),
        "openclaw.json",
        "{ agents: { defaults: { sandbox: { level: 'docker' } } } }",
    );
    assert!(load(&locations(dir.path()), &Env::default()).is_err());
}
