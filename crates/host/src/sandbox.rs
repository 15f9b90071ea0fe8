//! The process's sandbox, built once: this binary is its own helper (see `main`), the host is
//! probed with the configured `PATH`, and the levels the configuration uses decide what the
//! start-up warning covers.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;

use rustyclaw_config::file::{IsolationLevel, SandboxMode};
use rustyclaw_config::{Config, Env, env_vars};
use rustyclaw_sandbox::{HelperExecutable, HostCapabilities, Sandbox, SandboxLevel, SandboxSetup};

/// The sandbox for commands of the agents in `config` (warns once about missing layers).
/// `helper` is this executable, `env` the process environment (its `PATH` is probed) and
/// `state_dir` where the sandbox keeps its files.
pub(crate) fn build(
    helper: Option<Arc<HelperExecutable>>,
    env: &Env,
    state_dir: &Path,
    config: Option<&Config>,
) -> Sandbox {
    Sandbox::new(SandboxSetup {
        // The running binary re-invoked with the helper argument; without it (an unreadable
        // /proc/self/exe) only bubblewrap can isolate, and the layer report says so.
        helper,
        capabilities: HostCapabilities::probe(env.get(env_vars::PATH).map(OsStr::new)),
        state_dir: state_dir.to_path_buf(),
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
