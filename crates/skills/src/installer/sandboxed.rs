//! Running one installer command in the sandbox: every layer of its level required (a host
//! that cannot isolate it refuses, and the step says which layers are missing), one directory
//! writable, `HOME` inside it, and upstream's wording of a failure.

use std::path::Path;
use std::time::{Duration, Instant};

use rustyclaw_config::SandboxPolicy;
use rustyclaw_sandbox::{
    ExecEnv, ExecSpec, ExitReason, Isolation, SandboxLevel, StdinMode, WorkspaceMount,
};

use super::{InstallOutcome, Installer};

/// Output kept of an installer's command.
const OUTPUT_CAP: usize = 256 * 1024;

/// One command to run.
pub(super) struct SandboxJob<'a> {
    /// The shell line.
    pub script: String,
    /// The only writable directory (and the working directory).
    pub workspace: &'a Path,
    /// `HOME`, inside `workspace`.
    pub home: &'a Path,
    /// Variables besides the standard ones.
    pub env: Vec<(String, String)>,
    /// `workspace-write` (network) or `strict` (none).
    pub level: SandboxLevel,
}

impl Installer {
    /// Runs `job` under `policy`'s limits until `deadline`, and waits for it.
    pub(super) async fn sandboxed(
        &self,
        job: SandboxJob<'_>,
        policy: &SandboxPolicy,
        deadline: Instant,
    ) -> InstallOutcome {
        let SandboxJob {
            script,
            workspace,
            home,
            env: extra_env,
            level,
        } = job;
        let timeout = deadline.saturating_duration_since(Instant::now());
        if timeout < Duration::from_millis(100) {
            return InstallOutcome::failed("Install timed out".to_owned());
        }
        let standard = ExecEnv::standard(home.to_path_buf());
        let spec = ExecSpec {
            script,
            cwd: workspace.to_path_buf(),
            env: ExecEnv {
                path: self.path(),
                ..standard
            },
            extra_env,
            stdin: StdinMode::Null,
            timeout: Some(timeout),
            output_cap: OUTPUT_CAP,
            isolation: Isolation {
                level,
                workspace: workspace.to_path_buf(),
                workspace_mount: WorkspaceMount::ReadWrite,
                limits: policy.limits,
                // Never fewer layers than the level promises: an installer runs code from the
                // internet (npm's install scripts, a tarball's links).
                require: true,
                host_network: policy.host_network,
                read_only: Vec::new(),
            },
        };
        let process = match self.sandbox.spawn(spec) {
            Ok(process) => process,
            Err(e) => {
                return InstallOutcome::failed(format!(
                    "the installer could not start in the sandbox: {e}"
                ));
            }
        };
        let exit = process.wait().await;
        let output = String::from_utf8_lossy(&process.output().bytes)
            .trim()
            .to_owned();
        let ok = exit.code == Some(0) && exit.reason == ExitReason::Exited;
        let message = if ok {
            "Installed".to_owned()
        } else if exit.reason == ExitReason::TimedOut {
            format!("Install timed out after {} s", timeout.as_secs())
        } else {
            failure_message(exit.code, &output)
        };
        InstallOutcome {
            ok,
            message,
            stdout: output,
            stderr: String::new(),
            code: exit.code,
            bins: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// `Install failed (exit N): <the line that says what went wrong>`, as upstream words it: the
/// first line starting with "error", else one naming an error or failure, else the last.
pub(super) fn failure_message(code: Option<i32>, output: &str) -> String {
    let code = code.map_or_else(|| "killed".to_owned(), |c| format!("exit {c}"));
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let lower = |l: &&str| l.to_ascii_lowercase();
    let chosen = lines
        .iter()
        .find(|l| lower(l).starts_with("error"))
        .or_else(|| {
            lines.iter().find(|l| {
                let l = lower(l);
                l.contains("err!") || l.contains("error:") || l.contains("failed")
            })
        })
        .or(lines.last());
    match chosen {
        None => format!("Install failed ({code})"),
        Some(line) => {
            let line: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = line.chars().take(199).collect();
            let short = if short.len() < line.len() {
                format!("{short}…")
            } else {
                short
            };
            format!("Install failed ({code}): {short}")
        }
    }
}
