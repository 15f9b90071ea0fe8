//! The process's sandbox, built once: this binary is its own helper (see `main`), the host is
//! probed with the configured `PATH`, and the levels the configuration uses decide what the
//! start-up warning covers.

use std::ffi::OsStr;

use rustyclaw_config::file::{IsolationLevel, SandboxMode};
use rustyclaw_config::{Config, env_vars};
use rustyclaw_sandbox::{HostCapabilities, Sandbox, SandboxLevel, SandboxSetup};

use crate::context::Context;

/// The sandbox for commands of the agents in `config` (warns once about missing layers).
pub fn build(ctx: &Context, config: Option<&Config>) -> Sandbox {
    Sandbox::new(SandboxSetup {
        // The running binary re-invoked with the helper argument; without it (an unreadable
        // /proc/self/exe) only bubblewrap can isolate, and the layer report says so.
        helper: ctx.helper.clone(),
        capabilities: HostCapabilities::probe(ctx.env.get(env_vars::PATH).map(OsStr::new)),
        state_dir: ctx.locations.state_dir.clone(),
        warn_for: config.map(levels_in_use).unwrap_or_default(),
    })
}

/// The isolation levels some agent of `config` runs commands at.
pub fn levels_in_use(config: &Config) -> Vec<SandboxLevel> {
    let mut levels: Vec<SandboxLevel> = config
        .agents
        .list
        .iter()
        .filter(|a| a.sandbox.mode != SandboxMode::Off)
        .map(|a| match a.sandbox.level {
            IsolationLevel::WorkspaceWrite => SandboxLevel::WorkspaceWrite,
            IsolationLevel::Strict => SandboxLevel::Strict,
        })
        .collect();
    levels.sort();
    levels.dedup();
    levels
}
