//! Agent commands: a shell script run in its own process group, with a bounded buffer of its
//! merged output that can be read while it runs, a writable standard input, a wall-clock limit
//! and a kill switch for the whole group.
//!
//! Standard output and standard error share one pipe, so the buffer holds them interleaved in
//! the order the program wrote them (two pipes read separately cannot recover that order). The
//! buffer keeps the *tail*: when a command prints more than the cap, the oldest bytes go, because
//! the end of a build log or a test run is what explains how it ended.
//!
//! Isolation is chosen by [`SandboxLevel`]. Only [`SandboxLevel::Off`] exists today; the
//! bubblewrap, Landlock and seccomp levels will wrap the same spawn (a different program line and
//! pre-exec policy) behind this API, so callers never change when they arrive.
//!
//! Everything here runs on the Tokio runtime: [`spawn`] must be called from inside one, and two
//! tasks per process (an output pump and a supervisor that enforces the deadline and reaps the
//! child) live until the process is gone.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// `PATH` for commands when the operator configured none: the standard system directories.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How long output is still collected after the shell exits, for grandchildren that flush late.
/// A background daemon started with `&` keeps the pipe open for ever, so this cannot wait for EOF.
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// How strongly a command is isolated from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SandboxLevel {
    /// No isolation: the command runs as the gateway's user. The limits of this module (process
    /// group, timeout, output cap, minimal environment) still apply.
    Off,
}

impl SandboxLevel {
    /// A short name for logs and status output (`off`).
    pub fn label(self) -> &'static str {
        match self {
            SandboxLevel::Off => "off",
        }
    }
}

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
    /// Wall-clock limit after which the whole process group is killed; `None` for no limit.
    pub timeout: Option<Duration>,
    /// Bytes of merged output kept (the most recent ones).
    pub output_cap: usize,
    /// Isolation.
    pub level: SandboxLevel,
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
    /// The shell could not be started.
    #[error("cannot start {}: {source}", shell.display())]
    Spawn {
        /// The shell.
        shell: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
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

/// A running (or finished) command. Cheap to clone; every clone controls the same process.
#[derive(Debug, Clone)]
pub struct SandboxedProcess {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    pid: u32,
    started_at: Instant,
    level: SandboxLevel,
    output: Mutex<OutputBuffer>,
    progress: watch::Sender<Progress>,
    stdin: tokio::sync::Mutex<StdinState>,
    /// Set (under this lock) once the kernel has reaped the shell; its pid may be reused after.
    reaped: Mutex<bool>,
    killed: AtomicBool,
}

#[derive(Debug, Clone, Copy)]
struct Progress {
    total: u64,
    exit: Option<ExitInfo>,
}

#[derive(Debug)]
enum StdinState {
    NotPiped,
    Open(ChildStdin),
    Closed,
}

/// The tail of the merged output, at most `cap` bytes.
#[derive(Debug)]
struct OutputBuffer {
    data: VecDeque<u8>,
    cap: usize,
    total: u64,
}

impl OutputBuffer {
    fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let keep = bytes.len().min(self.cap);
        self.data.extend(&bytes[bytes.len() - keep..]);
        let excess = self.data.len().saturating_sub(self.cap);
        self.data.drain(..excess);
    }

    fn retained_start(&self) -> u64 {
        self.total - self.data.len() as u64
    }

    fn read_from(&self, offset: u64) -> OutputRead {
        let retained_start = self.retained_start();
        let start = offset.clamp(retained_start, self.total);
        let skip = usize::try_from(start - retained_start).unwrap_or(usize::MAX);
        OutputRead {
            bytes: self.data.iter().skip(skip).copied().collect(),
            start,
            end: self.total,
            dropped: offset < retained_start,
        }
    }
}

/// Starts `spec`. Must be called from inside a Tokio runtime.
pub fn spawn(spec: ExecSpec) -> Result<SandboxedProcess, ExecError> {
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
        return Err(ExecError::Cwd { path: spec.cwd });
    }
    let (reader, writer) = std::io::pipe().map_err(|source| ExecError::Pipe { source })?;
    let writer_err = writer
        .try_clone()
        .map_err(|source| ExecError::Pipe { source })?;

    let mut command = match spec.level {
        SandboxLevel::Off => {
            #[expect(
                clippy::disallowed_methods,
                reason = "rustyclaw-sandbox is the crate that owns process spawning"
            )]
            let command = tokio::process::Command::new(&spec.env.shell);
            command
        }
    };
    command
        .arg("-c")
        .arg(&spec.script)
        .current_dir(&spec.cwd)
        .env_clear()
        .env("PATH", &spec.env.path)
        .env("HOME", &spec.env.home)
        .env("LANG", &spec.env.lang)
        .env("TERM", "dumb")
        .envs(spec.extra_env.iter().map(|(k, v)| (k, v)))
        .stdin(match spec.stdin {
            StdinMode::Null => Stdio::null(),
            StdinMode::Piped => Stdio::piped(),
        })
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer_err))
        // Its own process group, so a timeout or a kill reaches everything the script started.
        .process_group(0)
        .kill_on_drop(false);
    let mut child = command.spawn().map_err(|source| ExecError::Spawn {
        shell: spec.env.shell.clone(),
        source,
    })?;
    // The command still holds our copies of the pipe's write end; until they are closed the
    // pump would never see end-of-file.
    drop(command);
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
    let shared = Arc::new(Shared {
        pid: child.id().unwrap_or(0),
        started_at: Instant::now(),
        level: spec.level,
        output: Mutex::new(OutputBuffer {
            data: VecDeque::new(),
            cap: spec.output_cap,
            total: 0,
        }),
        progress,
        stdin: tokio::sync::Mutex::new(stdin),
        reaped: Mutex::new(false),
        killed: AtomicBool::new(false),
    });
    let pump = tokio::spawn(pump_output(receiver, Arc::clone(&shared)));
    tokio::spawn(supervise(child, pump, Arc::clone(&shared), spec.timeout));
    tracing::debug!(
        pid = shared.pid,
        level = spec.level.label(),
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

/// Kills the process group when dropped while armed: if the runtime shuts down while a command
/// runs, the command must not outlive the gateway.
struct GroupGuard {
    pid: u32,
    armed: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            kill_group(self.pid);
        }
    }
}

async fn supervise(
    mut child: Child,
    mut pump: JoinHandle<()>,
    shared: Arc<Shared>,
    timeout: Option<Duration>,
) {
    let mut guard = GroupGuard {
        pid: shared.pid,
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
                tracing::debug!(pid = shared.pid, "agent command timed out; killing its group");
                kill_group(shared.pid);
            }
        }
    };
    *shared.reaped.lock().unwrap_or_else(PoisonError::into_inner) = true;
    guard.armed = false;
    let duration = shared.started_at.elapsed();

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

impl Shared {
    fn push_output(&self, bytes: &[u8]) {
        let total = {
            let mut output = self.output.lock().unwrap_or_else(PoisonError::into_inner);
            output.push(bytes);
            output.total
        };
        self.progress.send_modify(|p| p.total = total);
    }
}

impl SandboxedProcess {
    /// The shell's process id (also the process group id).
    pub fn pid(&self) -> u32 {
        self.shared.pid
    }

    /// When the command was started.
    pub fn started_at(&self) -> Instant {
        self.shared.started_at
    }

    /// The isolation it runs under.
    pub fn level(&self) -> SandboxLevel {
        self.shared.level
    }

    /// Output from stream position `offset` (0 is the first byte ever written) to now.
    pub fn output_since(&self, offset: u64) -> OutputRead {
        self.shared
            .output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .read_from(offset)
    }

    /// Everything retained so far.
    pub fn output(&self) -> OutputSnapshot {
        let output = self
            .shared
            .output
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let bytes: Vec<u8> = output.data.iter().copied().collect();
        OutputSnapshot {
            discarded: output.total - bytes.len() as u64,
            total: output.total,
            bytes,
        }
    }

    /// How the command ended, or `None` while it runs.
    pub fn exit(&self) -> Option<ExitInfo> {
        self.shared.progress.borrow().exit
    }

    /// Waits until the command has ended (including the short collection of late output).
    pub async fn wait(&self) -> ExitInfo {
        let mut rx = self.shared.progress.subscribe();
        match rx.wait_for(|p| p.exit.is_some()).await {
            Ok(progress) => progress.exit.unwrap_or_else(|| self.lost_exit()),
            // The sender lives in `shared`, which `self` keeps alive, so the channel cannot close.
            Err(_) => self.lost_exit(),
        }
    }

    fn lost_exit(&self) -> ExitInfo {
        ExitInfo {
            code: None,
            signal: None,
            reason: ExitReason::Killed,
            duration: self.shared.started_at.elapsed(),
        }
    }

    /// Waits up to `timeout` for output past stream position `after` or for the end.
    pub async fn wait_for_output(&self, after: u64, timeout: Duration) {
        let mut rx = self.shared.progress.subscribe();
        let _ = tokio::time::timeout(
            timeout,
            rx.wait_for(|p| p.total > after || p.exit.is_some()),
        )
        .await;
    }

    /// Whether standard input is an open pipe.
    pub async fn stdin_writable(&self) -> bool {
        matches!(*self.shared.stdin.lock().await, StdinState::Open(_))
    }

    /// Writes `data` to standard input.
    pub async fn write_stdin(&self, data: &[u8]) -> Result<(), StdinError> {
        let mut stdin = self.shared.stdin.lock().await;
        let pipe = match &mut *stdin {
            StdinState::Open(pipe) => pipe,
            StdinState::NotPiped => return Err(StdinError::NotPiped),
            StdinState::Closed => return Err(StdinError::Closed),
        };
        let written = match pipe.write_all(data).await {
            Ok(()) => pipe.flush().await,
            Err(e) => Err(e),
        };
        written.map_err(|source| {
            *stdin = StdinState::Closed;
            StdinError::Io { source }
        })
    }

    /// Closes standard input, so the command reads end-of-file.
    pub async fn close_stdin(&self) -> Result<(), StdinError> {
        let mut stdin = self.shared.stdin.lock().await;
        match std::mem::replace(&mut *stdin, StdinState::Closed) {
            StdinState::Open(mut pipe) => {
                // Dropping the pipe closes it; shutting down first reports a failed flush.
                pipe.shutdown()
                    .await
                    .map_err(|source| StdinError::Io { source })
            }
            StdinState::NotPiped => {
                *stdin = StdinState::NotPiped;
                Err(StdinError::NotPiped)
            }
            StdinState::Closed => Err(StdinError::Closed),
        }
    }

    /// Kills the whole process group with SIGKILL. Returns `false` when the command had already
    /// exited (nothing was signalled).
    pub fn kill(&self) -> bool {
        let reaped = self
            .shared
            .reaped
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *reaped {
            return false;
        }
        self.shared.killed.store(true, Ordering::SeqCst);
        kill_group(self.shared.pid);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_keeps_the_tail_and_tracks_positions() {
        let mut buf = OutputBuffer {
            data: VecDeque::new(),
            cap: 4,
            total: 0,
        };
        buf.push(b"ab");
        assert_eq!(buf.read_from(0).bytes, b"ab");
        buf.push(b"cdef");
        assert_eq!(buf.total, 6);
        let read = buf.read_from(0);
        assert_eq!(read.bytes, b"cdef");
        assert_eq!((read.start, read.end, read.dropped), (2, 6, true));
        let read = buf.read_from(4);
        assert_eq!(read.bytes, b"ef");
        assert!(!read.dropped);
        assert!(buf.read_from(6).bytes.is_empty());
        buf.push(b"0123456789");
        assert_eq!(buf.read_from(0).bytes, b"6789");
    }
}
