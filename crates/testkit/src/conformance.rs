//! Runs the official OpenClaw CLI (`openclaw`, a Node program) against a gateway under test.
//!
//! The CLI and a Node new enough for it are installed outside the repository by
//! `scripts/conformance-deps.sh`, which writes their paths to an env file that `scripts/test.sh`
//! exports as `NODE` and `OPENCLAW_CLI`. When they are missing, [`OfficialCli::from_env`] fails
//! with an error naming the script: CI always installs them, so a conformance test that cannot
//! find the client must fail rather than silently pass.
//!
//! Each run is isolated like [`crate::RustyClaw`]'s: a cleared environment, a fresh temporary
//! `HOME`/`OPENCLAW_STATE_DIR` holding a config that turns off everything that would reach the
//! network on its own (update checks, mDNS), and a hard timeout. The CLI may re-execute itself
//! (its compile-cache and runtime respawns), so the child leads its own process group and a
//! timeout kills the whole group, never leaving an orphaned `node` behind.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::bin::Output;
use crate::state_dir::{StateDirError, TempStateDir};

/// Environment variable naming the Node binary the official CLI runs on.
pub const ENV_NODE: &str = "NODE";
/// Environment variable naming the official CLI's JavaScript entry point (`openclaw.mjs`).
pub const ENV_OPENCLAW_CLI: &str = "OPENCLAW_CLI";
/// The `openclaw` version the conformance tests pin (and the captures come from).
pub const PINNED_OPENCLAW_VERSION: &str = "2026.9.6";

/// Variables that keep the official CLI non-interactive, offline and single-process. Names
/// checked against the `openclaw@2026.9.6` bundle: `OPENCLAW_NO_RESPAWN` stops the start-up
/// re-execution, `OPENCLAW_NO_AUTO_UPDATE` the update check, `OPENCLAW_DISABLE_BONJOUR` mDNS.
const QUIET_ENV: [(&str, &str); 6] = [
    ("OPENCLAW_NO_RESPAWN", "1"),
    ("OPENCLAW_NO_AUTO_UPDATE", "1"),
    ("OPENCLAW_DISABLE_BONJOUR", "1"),
    ("OPENCLAW_SUPPRESS_HELP_BANNER", "1"),
    ("NO_COLOR", "1"),
    ("CI", "1"),
];

/// The config written into each run's state dir: the keys the captures' gateway used to stay
/// offline, so the CLI's own start-up checks stay on loopback too.
const OFFLINE_CONFIG: &str =
    r#"{ "update": { "checkOnStart": false }, "discovery": { "mdns": { "mode": "off" } } }"#;

/// How long to keep reading output after the process group was killed or the child exited.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Errors locating or running the official CLI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConformanceError {
    /// An environment variable the harness needs is not set.
    #[error(
        "{var} is not set: the official-client conformance harness is not installed. Run \
         `scripts/conformance-deps.sh` and export its env file \
         (`set -a; . ~/.cache/rustyclaw-conformance/env; set +a`), as scripts/test.sh does"
    )]
    MissingEnv {
        /// The variable.
        var: &'static str,
    },
    /// A path named by the environment does not exist.
    #[error(
        "{var} points at {}, which does not exist; rerun `scripts/conformance-deps.sh`",
        path.display()
    )]
    MissingFile {
        /// The variable.
        var: &'static str,
        /// The path it named.
        path: PathBuf,
    },
    /// The temporary state dir could not be prepared.
    #[error(transparent)]
    StateDir(#[from] StateDirError),
    /// The process could not be started.
    #[error("could not start {}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for the process failed.
    #[error("could not wait for {}", program.display())]
    Wait {
        /// The program.
        program: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The CLI outlived its timeout; its process group was killed.
    #[error(
        "the official CLI ({args}) did not exit within {after:?} and was killed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    )]
    Timeout {
        /// The CLI arguments, space-separated.
        args: String,
        /// The timeout that expired.
        after: Duration,
        /// Standard output up to the kill.
        stdout: String,
        /// Standard error up to the kill.
        stderr: String,
    },
}

/// The installed official `openclaw` CLI: a Node binary and the CLI's entry script.
#[derive(Debug, Clone)]
pub struct OfficialCli {
    node: PathBuf,
    cli: PathBuf,
}

impl OfficialCli {
    /// The CLI named by `NODE` and `OPENCLAW_CLI`; fails (telling to run
    /// `scripts/conformance-deps.sh`) when either is unset or missing on disk.
    pub fn from_env() -> Result<Self, ConformanceError> {
        let node = path_from_env(ENV_NODE)?;
        let cli = path_from_env(ENV_OPENCLAW_CLI)?;
        Ok(Self { node, cli })
    }

    /// The Node binary.
    pub fn node(&self) -> &Path {
        &self.node
    }

    /// The CLI's entry script.
    pub fn cli(&self) -> &Path {
        &self.cli
    }

    /// The directory of the package `name` that OpenClaw was installed with (its
    /// `node_modules/<name>`), for differential tests against the very library it uses.
    pub fn dependency(&self, name: &str) -> Option<PathBuf> {
        let modules = self.cli.parent()?.parent()?;
        let dir = modules.join(name);
        dir.is_dir().then_some(dir)
    }

    /// Runs `script` (CommonJS) with this Node, `args` after it, and returns its standard
    /// output; fails with its standard error when it exits unsuccessfully.
    pub async fn run_node(&self, script: &str, args: &[String]) -> Result<String, String> {
        #[expect(
            clippy::disallowed_methods,
            reason = "differential tests run the JavaScript libraries OpenClaw uses"
        )]
        let mut command = tokio::process::Command::new(&self.node);
        command
            .arg("-e")
            .arg(script)
            .arg("--")
            .args(args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(60), command.output())
            .await
            .map_err(|_| "node did not finish within 60 s".to_owned())?
            .map_err(|e| format!("cannot run {}: {e}", self.node.display()))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// A command running the CLI with `args` in the isolated environment of `state` (which the
    /// caller keeps alive while the command runs): cleared environment, `PATH` led by Node's
    /// directory, the state dir's `HOME`/`OPENCLAW_STATE_DIR`/`OPENCLAW_CONFIG_PATH`, the
    /// variables that keep the CLI offline, and its own process group. Output is piped and
    /// stdin is `/dev/null`, so a prompt can never wait for a human.
    pub fn command<I, S>(&self, state: &TempStateDir, args: I) -> tokio::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        #[expect(
            clippy::disallowed_methods,
            reason = "the test kit runs the official client the gateway must interoperate with"
        )]
        let mut command = tokio::process::Command::new(&self.node);
        command.arg(&self.cli).args(args).env_clear();
        // The CLI's own children (npm, a respawned node) must find this Node, not the system's.
        let mut path = self
            .node
            .parent()
            .map(Path::as_os_str)
            .unwrap_or_default()
            .to_os_string();
        if let Some(system) = std::env::var_os("PATH") {
            path.push(":");
            path.push(system);
        }
        command
            .env("PATH", path)
            .envs(state.env())
            .envs(QUIET_ENV)
            .current_dir(state.root())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs the CLI with `args` and the extra variables `env` in a fresh isolated state dir and
    /// returns its exit status and output; a non-zero exit is an `Ok`. After `timeout` the
    /// CLI's whole process group is killed and [`ConformanceError::Timeout`] returned.
    pub async fn run(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Output, ConformanceError> {
        let state = TempStateDir::new()?;
        state.write_config(OFFLINE_CONFIG)?;
        let mut command = self.command(&state, args);
        command.envs(env.iter().copied());
        let child = command.spawn().map_err(|source| ConformanceError::Spawn {
            program: self.node.clone(),
            source,
        })?;
        let (output, timed_out) =
            wait_bounded(child, timeout)
                .await
                .map_err(|source| ConformanceError::Wait {
                    program: self.node.clone(),
                    source,
                })?;
        if timed_out {
            return Err(ConformanceError::Timeout {
                args: args.join(" "),
                after: timeout,
                stdout: output.stdout_str().into_owned(),
                stderr: output.stderr_str().into_owned(),
            });
        }
        Ok(output)
    }
}

/// A path from the environment that must exist.
fn path_from_env(var: &'static str) -> Result<PathBuf, ConformanceError> {
    let path = std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .ok_or(ConformanceError::MissingEnv { var })?;
    if path.exists() {
        Ok(path)
    } else {
        Err(ConformanceError::MissingFile { var, path })
    }
}

/// Waits at most `timeout` for `child`, which leads its own process group (`process_group(0)`)
/// and pipes its stdout and stderr; after that the whole group is killed. Returns what it
/// printed and whether it timed out.
pub(crate) async fn wait_bounded(
    mut child: tokio::process::Child,
    timeout: Duration,
) -> std::io::Result<(Output, bool)> {
    let stdout = child.stdout.take().map(|out| tokio::spawn(read_all(out)));
    let stderr = child.stderr.take().map(|err| tokio::spawn(read_all(err)));
    let waited = tokio::time::timeout(timeout, child.wait()).await;
    let timed_out = waited.is_err();
    let status = match waited {
        Ok(status) => status?,
        Err(_elapsed) => {
            kill_group(child.id());
            child.wait().await?
        }
    };
    let output = Output {
        status,
        stdout: collect(stdout).await,
        stderr: collect(stderr).await,
    };
    Ok((output, timed_out))
}

/// Kills the process group led by `pid`. The child was started with `process_group(0)`, so its
/// id is the group's; a group that is already gone is not an error.
fn kill_group(pid: Option<u32>) {
    let group = pid
        .and_then(|pid| i32::try_from(pid).ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(group) = group {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
}

/// Reads a pipe to its end; a read error ends it like end of file.
async fn read_all(mut reader: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = reader.read_to_end(&mut bytes).await;
    bytes
}

/// What a reader task collected, waiting briefly: a grandchild outside the killed group could
/// hold the pipe open forever.
async fn collect(task: Option<tokio::task::JoinHandle<Vec<u8>>>) -> Vec<u8> {
    match task {
        Some(task) => match tokio::time::timeout(DRAIN_GRACE, task).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) | Err(_) => Vec::new(),
        },
        None => Vec::new(),
    }
}
