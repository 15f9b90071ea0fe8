//! Runs the built `rustyclaw` binary as a child process, isolated from the developer's machine.
//!
//! The child gets a cleared environment: only `PATH`, the variables of a temporary state dir
//! (one is created per run when the test passes none) and what the test adds explicitly, so the
//! user's real config, tokens and home never leak into a test. Output is drained into memory by
//! background tasks as it arrives, so a chatty child never blocks on a full pipe, and every wait
//! is bounded by a timeout that kills the child.
//!
//! The runner is async: a test usually runs a fake server on the same runtime, and that server
//! must keep answering while the test waits for the child.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::state_dir::{StateDirError, TempStateDir};

/// The binary's name, as in `CARGO_BIN_EXE_rustyclaw`.
pub const BIN_NAME: &str = "rustyclaw";

/// How long a run may take when the test sets no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long to keep reading output after the child exited: a grandchild that inherited the pipes
/// may keep them open forever, and the test should not wait for it.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// One of the child's output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        })
    }
}

/// Errors running the binary under test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The runner was used outside a tokio runtime.
    #[error("the binary runner needs a tokio runtime (use #[tokio::test])")]
    NoRuntime,
    /// [`RustyClaw::locate`] found no binary.
    #[error(
        "no rustyclaw binary at {}; build it first (`cargo build -p rustyclaw-cli`) or pass \
         env!(\"CARGO_BIN_EXE_rustyclaw\") to RustyClaw::new",
        path.display()
    )]
    NotFound {
        /// Where the binary was expected.
        path: PathBuf,
    },
    /// [`RustyClaw::locate`] could not find the running test executable to search from.
    #[error("could not find the running test executable to locate rustyclaw from")]
    CurrentExe {
        /// The OS error.
        #[source]
        source: std::io::Error,
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
    /// Waiting for or killing the process failed.
    #[error("could not wait for {}", program.display())]
    Wait {
        /// The program.
        program: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The process outlived its timeout and was killed.
    #[error(
        "{} did not exit within {after:?} and was killed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        program.display()
    )]
    Timeout {
        /// The program.
        program: PathBuf,
        /// The timeout that expired.
        after: Duration,
        /// Standard output up to the kill.
        stdout: String,
        /// Standard error up to the kill.
        stderr: String,
    },
    /// No line matching the test's predicate appeared before the timeout.
    #[error(
        "no matching line on {stream} of {} within {waited:?}; {stream} so far:\n{output}",
        program.display()
    )]
    LineTimeout {
        /// The program.
        program: PathBuf,
        /// The stream searched.
        stream: Stream,
        /// How long the search lasted.
        waited: Duration,
        /// The stream's content so far.
        output: String,
    },
    /// The stream closed (usually: the process exited) without a matching line.
    #[error(
        "{stream} of {} closed without a matching line; it said:\n{output}",
        program.display()
    )]
    StreamClosed {
        /// The program.
        program: PathBuf,
        /// The stream searched.
        stream: Stream,
        /// The stream's whole content.
        output: String,
    },
    /// [`Output::ensure_success`] found a failed exit.
    #[error("the process failed with {status}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}")]
    Unsuccessful {
        /// The exit status.
        status: ExitStatus,
        /// Standard output.
        stdout: String,
        /// Standard error.
        stderr: String,
    },
}

/// A command line for the binary under test: program, arguments, environment, input, timeout.
///
/// Build it once and [`run`](Self::run) or [`spawn`](Self::spawn) it as often as needed.
#[derive(Debug, Clone)]
pub struct RustyClaw {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    state_env: Option<Vec<(OsString, OsString)>>,
    current_dir: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
}

impl RustyClaw {
    /// A runner for the binary at `program`; integration tests of the crate that builds it
    /// pass `env!("CARGO_BIN_EXE_rustyclaw")`.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            state_env: None,
            current_dir: None,
            stdin: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A runner for the binary found without compile-time help, for tests in crates that do not
    /// build it: `CARGO_BIN_EXE_rustyclaw` from the environment if set, else `rustyclaw` in the
    /// target directory the running test executable was built into (`target/<profile>/`).
    pub fn locate() -> Result<Self, RunError> {
        if let Some(path) = std::env::var_os(format!("CARGO_BIN_EXE_{BIN_NAME}")) {
            return Ok(Self::new(path));
        }
        let current = std::env::current_exe().map_err(|source| RunError::CurrentExe { source })?;
        // Test executables live in `target/<profile>/deps/`; binaries one level up.
        let profile_dir = current
            .parent()
            .filter(|dir| dir.ends_with("deps"))
            .and_then(Path::parent)
            .or_else(|| current.parent());
        let path = profile_dir.map_or_else(|| PathBuf::from(BIN_NAME), |dir| dir.join(BIN_NAME));
        if path.is_file() {
            Ok(Self::new(path))
        } else {
            Err(RunError::NotFound { path })
        }
    }

    /// The program this runner starts.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable; it overrides the state dir's and `PATH`.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Points the child at `dir` (its variables, and its root as the working directory unless
    /// [`current_dir`](Self::current_dir) says otherwise). Without this each run gets a fresh
    /// temporary state dir of its own.
    pub fn state_dir(mut self, dir: &TempStateDir) -> Self {
        self.state_env = Some(
            dir.env()
                .iter()
                .map(|(key, value)| (OsString::from(key), value.to_os_string()))
                .collect(),
        );
        if self.current_dir.is_none() {
            self.current_dir = Some(dir.root().to_owned());
        }
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Feeds `input` to the child's stdin, then closes it. Without input stdin is `/dev/null`,
    /// so a child that prompts never waits for a human.
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Bounds [`run`](Self::run) and [`RunningChild::wait`]; the child is killed when it
    /// expires. Default: 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the child to completion and returns its exit status and output. A non-zero exit is
    /// an `Ok`; check it with [`Output::success`] or [`Output::ensure_success`].
    pub async fn run(&self) -> Result<Output, RunError> {
        self.spawn()?.wait().await
    }

    /// Starts the child and returns a handle to it; dropping the handle kills the child.
    pub fn spawn(&self) -> Result<RunningChild, RunError> {
        tokio::runtime::Handle::try_current().map_err(|_| RunError::NoRuntime)?;
        let (own_state, state_env) = match &self.state_env {
            Some(env) => (None, env.clone()),
            None => {
                let dir = TempStateDir::new()?;
                let env = dir
                    .env()
                    .iter()
                    .map(|(key, value)| (OsString::from(key), value.to_os_string()))
                    .collect();
                (Some(dir), env)
            }
        };
        let current_dir = self
            .current_dir
            .clone()
            .or_else(|| own_state.as_ref().map(|dir| dir.root().to_owned()));

        #[expect(
            clippy::disallowed_methods,
            reason = "the test kit runs the binary under test"
        )]
        let mut command = tokio::process::Command::new(&self.program);
        command.args(&self.args).env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command.envs(state_env).envs(self.env.iter().cloned());
        if let Some(dir) = &current_dir {
            command.current_dir(dir);
        }
        command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|source| RunError::Spawn {
            program: self.program.clone(),
            source,
        })?;

        if let (Some(input), Some(mut stdin)) = (self.stdin.clone(), child.stdin.take()) {
            // Written from a task so a child that produces output before reading its input
            // cannot deadlock against us. A child that exits without reading breaks the pipe,
            // which is its business, not an error of the test.
            tokio::spawn(async move {
                let _ = stdin.write_all(&input).await;
                let _ = stdin.shutdown().await;
            });
        }
        let stdout = Arc::new(Pipe::default());
        let stderr = Arc::new(Pipe::default());
        let mut drains = Vec::new();
        if let Some(out) = child.stdout.take() {
            drains.push(tokio::spawn(drain(out, Arc::clone(&stdout))));
        }
        if let Some(err) = child.stderr.take() {
            drains.push(tokio::spawn(drain(err, Arc::clone(&stderr))));
        }
        Ok(RunningChild {
            program: self.program.clone(),
            child,
            stdout,
            stderr,
            drains,
            timeout: self.timeout,
            _state: own_state,
        })
    }
}

/// What a finished child produced.
#[derive(Debug, Clone)]
pub struct Output {
    /// How the process ended.
    pub status: ExitStatus,
    /// Everything written to standard output.
    pub stdout: Vec<u8>,
    /// Everything written to standard error.
    pub stderr: Vec<u8>,
}

impl Output {
    /// Whether the process exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The exit code, or `None` when a signal ended the process.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Standard output as text (invalid UTF-8 replaced).
    pub fn stdout_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.stdout)
    }

    /// Standard error as text (invalid UTF-8 replaced).
    pub fn stderr_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.stderr)
    }

    /// Fails with the status and both streams unless the process exited with status 0.
    pub fn ensure_success(&self) -> Result<&Self, RunError> {
        if self.success() {
            Ok(self)
        } else {
            Err(RunError::Unsuccessful {
                status: self.status,
                stdout: self.stdout_str().into_owned(),
                stderr: self.stderr_str().into_owned(),
            })
        }
    }
}

/// A child started by [`RustyClaw::spawn`]. Dropping it kills the child.
#[derive(Debug)]
pub struct RunningChild {
    program: PathBuf,
    child: Child,
    stdout: Arc<Pipe>,
    stderr: Arc<Pipe>,
    drains: Vec<JoinHandle<()>>,
    timeout: Duration,
    /// The state dir created for this child, kept alive as long as it runs.
    _state: Option<TempStateDir>,
}

impl RunningChild {
    /// The OS process id, while the child has not been reaped.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Standard output received so far.
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// Standard error received so far.
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Waits for a complete line on `stream` for which `matches` holds (a line already received
    /// counts) and returns it without its newline. Fails when `timeout` expires or the stream
    /// closes first.
    pub async fn wait_for_line(
        &self,
        stream: Stream,
        matches: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, RunError> {
        let pipe = match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        };
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before looking, so output arriving in between still wakes us.
            let grew = pipe.grew.notified();
            let closed = pipe.closed.load(Ordering::Acquire);
            let text = pipe.text();
            // A final line without a newline only counts once nothing more can follow it.
            let complete = if closed {
                text.as_str()
            } else {
                text.rfind('\n').map_or("", |end| &text[..end])
            };
            if let Some(line) = complete.lines().find(|line| matches(line)) {
                return Ok(line.to_owned());
            }
            if closed {
                return Err(RunError::StreamClosed {
                    program: self.program.clone(),
                    stream,
                    output: text,
                });
            }
            if tokio::time::timeout_at(deadline, grew).await.is_err() {
                return Err(RunError::LineTimeout {
                    program: self.program.clone(),
                    stream,
                    waited: timeout,
                    output: pipe.text(),
                });
            }
        }
    }

    /// Waits for the child to exit, within the runner's timeout (killing it when the timeout
    /// expires), and returns its output.
    pub async fn wait(mut self) -> Result<Output, RunError> {
        match tokio::time::timeout(self.timeout, self.child.wait()).await {
            Ok(Ok(status)) => Ok(self.collect(status).await),
            Ok(Err(source)) => Err(RunError::Wait {
                program: self.program.clone(),
                source,
            }),
            Err(_elapsed) => {
                let after = self.timeout;
                let output = self.kill().await?;
                Err(RunError::Timeout {
                    program: self.program,
                    after,
                    stdout: output.stdout_str().into_owned(),
                    stderr: output.stderr_str().into_owned(),
                })
            }
        }
    }

    /// Kills the child (SIGKILL), reaps it and returns what it wrote.
    pub async fn kill(&mut self) -> Result<Output, RunError> {
        let status = match self.child.kill().await {
            Ok(()) => self.child.wait().await,
            Err(error) => Err(error),
        }
        .map_err(|source| RunError::Wait {
            program: self.program.clone(),
            source,
        })?;
        Ok(self.collect(status).await)
    }

    /// Lets the drain tasks read what is left in the pipes, briefly, and assembles the output.
    async fn collect(&mut self, status: ExitStatus) -> Output {
        for drain in self.drains.drain(..) {
            let _ = tokio::time::timeout(DRAIN_GRACE, drain).await;
        }
        Output {
            status,
            stdout: self.stdout.bytes(),
            stderr: self.stderr.bytes(),
        }
    }
}

/// Output of one stream, filled by a background task as the child writes.
#[derive(Debug, Default)]
struct Pipe {
    bytes: Mutex<Vec<u8>>,
    closed: AtomicBool,
    grew: Notify,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.bytes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bytes(&self) -> Vec<u8> {
        self.lock().clone()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }
}

/// Copies `reader` into `pipe` until end of file. A read error ends the copy like end of file:
/// the output so far is what the test gets, and the exit status tells the rest.
async fn drain(mut reader: impl AsyncRead + Unpin, pipe: Arc<Pipe>) {
    let mut buffer = vec![0; 8192];
    while let Ok(read @ 1..) = reader.read(&mut buffer).await {
        pipe.lock().extend_from_slice(&buffer[..read]);
        pipe.grew.notify_waiters();
    }
    pipe.closed.store(true, Ordering::Release);
    pipe.grew.notify_waiters();
}
