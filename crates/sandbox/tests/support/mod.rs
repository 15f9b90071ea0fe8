#![cfg(test)]
//! Shared fixtures: a sandbox built from the real host probe with this crate's helper binary,
//! command specs, and process-table scans.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustyclaw_sandbox::exec::DEFAULT_PATH;
use rustyclaw_sandbox::{
    ExecEnv, ExecSpec, ExitInfo, HostCapabilities, Isolation, LayerStatus, ResourceLimits, Sandbox,
    SandboxLevel, SandboxSetup, StdinMode, WorkspaceMount,
};

/// The helper binary built from `src/bin`.
pub fn helper() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rustyclaw-sandbox-helper"))
}

/// The host as probed (bubblewrap searched on the standard `PATH`).
pub fn host() -> HostCapabilities {
    HostCapabilities::probe(Some(OsStr::new(DEFAULT_PATH)))
}

/// A sandbox on this host with the helper, its state under `state`.
pub fn sandbox(state: &Path) -> Sandbox {
    sandbox_with(state, host())
}

/// A sandbox on an adjusted host.
pub fn sandbox_with(state: &Path, capabilities: HostCapabilities) -> Sandbox {
    Sandbox::new(SandboxSetup {
        helper: Some(std::sync::Arc::new(
            rustyclaw_sandbox::HelperExecutable::open(&helper()).expect("helper"),
        )),
        capabilities,
        state_dir: state.to_path_buf(),
        warn_for: Vec::new(),
    })
}

/// This host without bubblewrap: only the helper's layers (Landlock, seccomp, rlimits,
/// cgroups) remain.
pub fn without_bubblewrap() -> HostCapabilities {
    let mut caps = host();
    caps.bubblewrap = LayerStatus::Missing("forced missing by the test".to_owned());
    caps
}

/// A spec running `script` in `workspace` at `level`.
pub fn spec(workspace: &Path, level: SandboxLevel, script: &str) -> ExecSpec {
    ExecSpec {
        script: script.to_owned(),
        cwd: workspace.to_path_buf(),
        env: ExecEnv::standard(workspace.to_path_buf()),
        extra_env: Vec::new(),
        stdin: StdinMode::Null,
        timeout: Some(Duration::from_secs(20)),
        output_cap: 64 * 1024,
        isolation: Isolation {
            level,
            workspace: workspace.to_path_buf(),
            workspace_mount: WorkspaceMount::ReadWrite,
            limits: ResourceLimits::default(),
            require: false,
            host_network: false,
            read_only: Vec::new(),
        },
    }
}

/// Runs `spec` to the end: its exit and its output.
pub async fn run(sandbox: &Sandbox, spec: ExecSpec) -> (ExitInfo, String) {
    let process = sandbox.spawn(spec).expect("spawn");
    let exit = tokio::time::timeout(Duration::from_secs(60), process.wait())
        .await
        .expect("the command ends");
    let output = String::from_utf8_lossy(&process.output().bytes).into_owned();
    (exit, output)
}

/// Pids of live (not zombie) processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit(')')
                        .next()
                        .map(|r| r.trim_start().starts_with('Z'))
                })
                .unwrap_or(true);
            !zombie && String::from_utf8_lossy(&cmdline).contains(marker)
        })
        .collect()
}

/// Waits up to two seconds for no live process to carry `marker`; returns the survivors.
pub async fn survivors(marker: &str) -> Vec<u32> {
    for _ in 0..100 {
        let found = processes_with(marker);
        if found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    processes_with(marker)
}

/// A marker unique to this test run.
pub fn marker(name: &str) -> String {
    format!("rcmark-{name}-{}-{}", std::process::id(), fastrand_suffix())
}

fn fastrand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
}
