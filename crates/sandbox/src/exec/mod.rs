//! Agent commands: a shell script run in its own process group, with a bounded buffer of its
//! merged output that can be read while it runs, a writable standard input, a wall-clock limit
//! and a kill switch for the whole group.
//!
//! Standard output and standard error share one pipe, so the buffer holds them interleaved in
//! the order the program wrote them (two pipes read separately cannot recover that order). The
//! buffer keeps the *tail*: when a command prints more than the cap, the oldest bytes go, because
//! the end of a build log or a test run is what explains how it ended.
//!
//! Isolation is chosen per command by its [`Isolation`]; [`Sandbox::spawn`](crate::Sandbox::spawn)
//! turns it into a program line (the shell directly, or the helper and bubblewrap around it)
//! and the cgroups and scratch directories to clean up. This module runs that program line the
//! same way at every level.
//!
//! Everything here runs on the Tokio runtime: [`Sandbox::spawn`](crate::Sandbox::spawn) must be
//! called from inside one, and two tasks per process (an output pump and a supervisor that
//! enforces the deadline and reaps the child) live until the process is gone.

mod buffer;
mod process;

use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::Child;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cgroup::CommandCgroups;
use crate::layers::Layer;
use crate::level::{Isolation, SandboxLevel};
use buffer::OutputBuffer;
pub use process::SandboxedProcess;
use process::{Progress, Shared, StdinState};

/// `PATH` for commands when the operator configured none: the standard system directories.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How long output is still collected after the shell exits, for grandchildren that flush late.
/// A background daemon started with `&` keeps the pipe open for ever, so this cannot wait for EOF.
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// The base environment of every command; nothing else is inherited from the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecEnv {
    /// The shell that runs the script as `<shell> -c <script>`.
    pub shell: PathBuf,
    /// `PATH`.
    pub path: OsString,
    /// `HOME`.
    pub home: PathBuf,
    /// `LANG` (also the locale of `LC_ALL`-less programs).
    pub lang: OsString,
}

impl ExecEnv {
    /// The standard environment: bash when the host has it (models write bash), else `/bin/sh`;
    /// [`DEFAULT_PATH`]; `LANG=C.UTF-8`; `home` as `HOME`.
    pub fn standard(home: PathBuf) -> Self {
        let bash = PathBuf::from("/bin/bash");
        let shell = if bash.is_file() {
            bash
        } else {
            PathBuf::from("/bin/sh")
        };
        ExecEnv {
            shell,
            path: OsString::from(DEFAULT_PATH),
            home,
            lang: OsString::from("C.UTF-8"),
        }
    }
}

/// Where the command's standard input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdinMode {
    /// `/dev/null`: programs that read standard input when it is not a terminal (`rg`, `cat`)
    /// see end-of-file at once instead of waiting for ever.
    Null,
    /// A pipe the caller writes with [`SandboxedProcess::write_stdin`].
    Piped,
}

/// A command to run.
#[derive(Debug, Clone)]
pub struct ExecSpec {
    /// The shell script (one or more commands), run as `<shell> -c <script>`.
    pub script: String,
    /// Working directory; must exist.
    pub cwd: PathBuf,
    /// The base environment.
    pub env: ExecEnv,
    /// Variables added over the base environment (they may replace its entries).
    pub extra_env: Vec<(String, String)>,
    /// Standard input.
    pub stdin: StdinMode,
    /// Wall-clock limit after which everything the command started is killed; `None` for no
    /// limit.
    pub timeout: Option<Duration>,
    /// Bytes of merged output kept (the most recent ones).
    pub output_cap: usize,
    /// Isolation: level, workspace, limits.
    pub isolation: Isolation,
}

/// Why a command could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// An extra environment variable has an unusable name.
    #[error("invalid environment variable name {name:?}")]
    InvalidEnvName {
        /// The name as given.
        name: String,
    },
    /// An extra environment variable's value contains a NUL byte.
    #[error("environment variable {name} has a value containing a NUL byte")]
    InvalidEnvValue {
        /// The variable's name.
        name: String,
    },
    /// The script contains a NUL byte, which no shell can receive.
    #[error("the command contains a NUL byte")]
    NulInScript,
    /// The working directory does not exist or is not a directory.
    #[error("working directory {} does not exist or is not a directory", path.display())]
    Cwd {
        /// The directory.
        path: PathBuf,
    },
    /// The output pipe could not be set up.
    #[error("cannot create the output pipe: {source}")]
    Pipe {
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The program (the shell, the helper or bubblewrap) could not be started.
    #[error("cannot start {}: {source}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The level needs layers this host lacks, and the isolation requires them.
    #[error(
        "refusing to run at sandbox level {level}: missing {}; set agents.defaults.sandbox.require (or the agent's sandbox.require) to false to run with the layers available, or install what is missing",
        missing.iter().map(|(layer, why)| format!("{} ({why})", layer.label())).collect::<Vec<_>>().join("; ")
    )]
    LayersMissing {
        /// The level asked for.
        level: SandboxLevel,
        /// The missing layers with the reasons.
        missing: Vec<(Layer, String)>,
    },
    /// The workspace cannot be resolved.
    #[error("workspace {} is not usable: {source}", path.display())]
    Workspace {
        /// The workspace.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The workspace would expose what a sandbox must never see.
    #[error("refusing to sandbox with workspace {}: {reason}", path.display())]
    UnsafeWorkspace {
        /// The workspace.
        path: PathBuf,
        /// Why.
        reason: &'static str,
    },
    /// A further read-only directory would expose what a sandbox must never see.
    #[error("refusing to let sandboxed commands read {}: it contains the gateway's state directory or is the root", path.display())]
    UnsafeReadOnly {
        /// The directory.
        path: PathBuf,
    },
    /// The working directory lies outside the workspace, where a sandboxed command cannot go.
    #[error("working directory {} is outside the workspace {}", cwd.display(), workspace.display())]
    CwdOutsideWorkspace {
        /// The working directory.
        cwd: PathBuf,
        /// The workspace.
        workspace: PathBuf,
    },
    /// Setting up the sandbox (scratch directories, the private network) failed.
    #[error("cannot set up the sandbox: {reason}")]
    Setup {
        /// What failed.
        reason: String,
    },
    /// A layer that was active when the sandbox was set up could not be applied to this
    /// command: it is refused rather than run with less isolation than reported.
    #[error(
        "refused: a sandbox layer this host had is no longer available ({reason}); restart the \
         gateway and check `rustyclaw doctor`"
    )]
    LayerLost {
        /// What failed.
        reason: String,
    },
}

/// Why writing to a command's standard input failed.
#[derive(Debug, thiserror::Error)]
pub enum StdinError {
    /// The command was started with [`StdinMode::Null`].
    #[error("standard input is not a pipe")]
    NotPiped,
    /// Standard input was closed already, or the command has exited.
    #[error("standard input is closed")]
    Closed,
    /// The write failed (the command closed its end).
    #[error("writing standard input failed: {source}")]
    Io {
        /// The operating-system error.
        source: std::io::Error,
    },
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// It exited (or died of a signal) on its own.
    Exited,
    /// It ran past its timeout and its process group was killed.
    TimedOut,
    /// [`SandboxedProcess::kill`] killed it.
    Killed,
}

/// A finished command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    /// Why it ended.
    pub reason: ExitReason,
    /// From spawn to exit.
    pub duration: Duration,
}

/// Output read from a position of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRead {
    /// The bytes from `start` to `end`.
    pub bytes: Vec<u8>,
    /// Stream position of the first byte returned.
    pub start: u64,
    /// Stream position after the last byte returned (the total written so far).
    pub end: u64,
    /// Whether bytes between the requested position and `start` were discarded at the cap.
    pub dropped: bool,
}

/// Everything retained of a command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSnapshot {
    /// The retained bytes (the tail of the stream).
    pub bytes: Vec<u8>,
    /// Bytes written in total.
    pub total: u64,
    /// Bytes discarded from the head at the cap (`total - bytes.len()`).
    pub discarded: u64,
}

/// The program line that runs a command, and what it leaves to clean up. Built by
/// [`Sandbox::spawn`](crate::Sandbox::spawn).
#[derive(Debug)]
pub(crate) struct Launch {
    /// The program: the shell, the helper, or bubblewrap.
    pub program: PathBuf,
    /// Its arguments (ending with `<shell> -c <script>` or, for the shell itself, `-c <script>`).
    pub args: Vec<OsString>,
    /// Variables set over the command's environment (after the caller's extras, so the sandbox
    /// has the last word on `TMPDIR`).
    pub env: Vec<(OsString, OsString)>,
    /// The layers applied.
    pub layers: Vec<Layer>,
    /// What to kill and remove when the command ends.
    pub cleanup: Cleanup,
}

/// Resources of one command that outlive its main process.
#[derive(Debug, Default)]
pub(crate) struct Cleanup {
    /// Its cgroups (their process lists are the kill list).
    pub cgroups: Option<CommandCgroups>,
    /// A private temporary directory (used when bubblewrap cannot provide a private `/tmp`).
    pub scratch: Option<PathBuf>,
}

impl Cleanup {
    /// Kills what is left of the command and removes its scratch directory.
    fn end(&self) {
        if let Some(cgroups) = &self.cgroups {
            cgroups.kill_all();
        }
        if let Some(dir) = &self.scratch
            && let Err(e) = std::fs::remove_dir_all(dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), error = %e, "could not remove a command's scratch directory");
        }
    }

    /// Kills what is left of the command and removes everything. Removing a cgroup waits until
    /// its last process has been reaped, which is why this is separate from [`Cleanup::end`].
    async fn finish(&self) {
        self.end();
        if let Some(cgroups) = &self.cgroups {
            cgroups.remove().await;
        }
    }
}

/// Checks what can be checked before anything is created.
pub(crate) fn validate(spec: &ExecSpec) -> Result<(), ExecError> {
    for (name, value) in &spec.extra_env {
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            return Err(ExecError::InvalidEnvName { name: name.clone() });
        }
        if value.contains('\0') {
            return Err(ExecError::InvalidEnvValue { name: name.clone() });
        }
    }
    if spec.script.contains('\0') {
        return Err(ExecError::NulInScript);
    }
    if !spec.cwd.is_dir() {
        return Err(ExecError::Cwd {
            path: spec.cwd.clone(),
        });
    }
    Ok(())
}

/// The launch of an unsandboxed command: the shell itself.
pub(crate) fn direct(spec: &ExecSpec) -> Launch {
    Launch {
        program: spec.env.shell.clone(),
        args: vec!["-c".into(), spec.script.clone().into()],
        env: Vec::new(),
        layers: Vec::new(),
        cleanup: Cleanup::default(),
    }
}

/// Starts `launch` for `spec` (validated). Must be called from inside a Tokio runtime.
pub(crate) fn start(spec: &ExecSpec, launch: Launch) -> Result<SandboxedProcess, ExecError> {
    let (reader, writer) = std::io::pipe().map_err(|source| ExecError::Pipe { source })?;
    let writer_err = writer
        .try_clone()
        .map_err(|source| ExecError::Pipe { source })?;

    #[expect(
        clippy::disallowed_methods,
        reason = "rustyclaw-sandbox is the crate that owns process spawning"
    )]
    let mut command = tokio::process::Command::new(&launch.program);
    command
        .args(&launch.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .env("PATH", &spec.env.path)
        .env("HOME", &spec.env.home)
        .env("LANG", &spec.env.lang)
        .env("TERM", "dumb")
        .envs(spec.extra_env.iter().map(|(k, v)| (k, v)))
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .stdin(match spec.stdin {
            StdinMode::Null => Stdio::null(),
            StdinMode::Piped => Stdio::piped(),
        })
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer_err))
        // Its own process group, so a timeout or a kill reaches everything the script started
        // (at sandboxed levels the cgroups and the PID namespace also catch what left it).
        .process_group(0)
        .kill_on_drop(false);
    let spawned = command.spawn();
    // The command still holds our copies of the pipe's write end; until they are closed the
    // pump would never see end-of-file.
    drop(command);
    let mut child = match spawned {
        Ok(child) => child,
        Err(source) => {
            let cleanup = launch.cleanup;
            // Nothing runs in the cgroups yet; removing them must not wait for the runtime.
            tokio::spawn(async move { cleanup.finish().await });
            return Err(ExecError::Spawn {
                program: launch.program,
                source,
            });
        }
    };
    let receiver = tokio::net::unix::pipe::Receiver::from_owned_fd(OwnedFd::from(reader))
        .map_err(|source| ExecError::Pipe { source })?;

    let stdin = match child.stdin.take() {
        Some(pipe) => StdinState::Open(pipe),
        None => StdinState::NotPiped,
    };
    let (progress, _) = watch::channel(Progress {
        total: 0,
        exit: None,
    });
    let level = spec.isolation.level;
    let shared = Arc::new(Shared {
        pid: child.id().unwrap_or(0),
        started_at: Instant::now(),
        level,
        layers: launch.layers,
        output: Mutex::new(OutputBuffer::new(spec.output_cap)),
        progress,
        stdin: tokio::sync::Mutex::new(stdin),
        reaped: Mutex::new(false),
        killed: AtomicBool::new(false),
        cleanup: launch.cleanup,
    });
    let pump = tokio::spawn(pump_output(receiver, Arc::clone(&shared)));
    tokio::spawn(supervise(child, pump, Arc::clone(&shared), spec.timeout));
    tracing::debug!(
        pid = shared.pid,
        level = level.label(),
        "spawned agent command"
    );
    Ok(SandboxedProcess { shared })
}

async fn pump_output(mut receiver: tokio::net::unix::pipe::Receiver, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match receiver.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => shared.push_output(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::debug!(pid = shared.pid, error = %e, "output pipe read failed");
                break;
            }
        }
    }
}

/// Kills the command when dropped while armed: if the runtime shuts down while a command runs,
/// the command must not outlive the gateway.
struct KillGuard {
    shared: Arc<Shared>,
    armed: bool,
}

impl Drop for KillGuard {
    fn drop(&mut self) {
        if self.armed {
            self.shared.kill_everything();
        }
    }
}

async fn supervise(
    mut child: Child,
    mut pump: JoinHandle<()>,
    shared: Arc<Shared>,
    timeout: Option<Duration>,
) {
    let mut guard = KillGuard {
        shared: Arc::clone(&shared),
        armed: true,
    };
    let deadline = timeout.map(|t| tokio::time::Instant::from_std(shared.started_at) + t);
    let mut timed_out = false;
    let status = loop {
        let expiry = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            status = child.wait() => break status,
            () = expiry, if !timed_out => {
                timed_out = true;
                tracing::debug!(pid = shared.pid, "agent command timed out; killing it");
                shared.kill_everything();
            }
        }
    };
    *shared.reaped.lock().unwrap_or_else(PoisonError::into_inner) = true;
    let duration = shared.started_at.elapsed();
    // At sandboxed levels nothing outlives the command: what it left running in its cgroups is
    // killed now (bubblewrap already tore its PID namespace down), which also lets the output
    // pipe reach end-of-file. The cgroups themselves are removed after the exit is reported.
    shared.cleanup.end();
    guard.armed = false;

    if tokio::time::timeout(DRAIN_GRACE, &mut pump).await.is_err() {
        pump.abort();
    }
    // A writer blocked on a full pipe (a grandchild still holds the read end) must not stall
    // the exit report, so the pipe is only closed here when nobody is writing.
    if let Ok(mut stdin) = shared.stdin.try_lock()
        && matches!(*stdin, StdinState::Open(_))
    {
        *stdin = StdinState::Closed;
    }

    let (code, signal) = match &status {
        Ok(status) => (status.code(), status.signal()),
        Err(e) => {
            tracing::warn!(pid = shared.pid, error = %e, "waiting for agent command failed");
            (None, None)
        }
    };
    let reason = if timed_out {
        ExitReason::TimedOut
    } else if shared.killed.load(Ordering::SeqCst) {
        ExitReason::Killed
    } else {
        ExitReason::Exited
    };
    let info = ExitInfo {
        code,
        signal,
        reason,
        duration,
    };
    shared.progress.send_modify(|p| p.exit = Some(info));
    shared.cleanup.finish().await;
}

fn kill_group(pid: u32) {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        // ESRCH (the group is gone) is the only expected failure and needs no handling.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}
