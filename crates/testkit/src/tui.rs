//! The official `openclaw tui` in a pseudo-terminal, driven as a person would: keys typed, the
//! screen read.
//!
//! The pseudo-terminal comes from `script` (util-linux), sized 120×40 with `stty` before the
//! TUI starts. What the TUI draws goes through a terminal emulator (`vt100`), so
//! [`Tui::screen`] is the screen a user sees now — the TUI redraws only the cells that changed,
//! so the raw stream alone does not hold its text — and [`Tui::transcript`] everything written,
//! control sequences stripped (for lines that flashed by). Killing `script` closes the terminal:
//! the TUI gets SIGHUP and exits.

use std::ffi::OsStr;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};
use tokio::task::JoinHandle;

use crate::TempStateDir;
use crate::conformance::OfficialCli;

/// Errors driving the TUI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TuiError {
    /// `script` could not be started.
    #[error("could not start the TUI under `script` (util-linux): {0}")]
    Spawn(#[source] std::io::Error),
    /// Typing into the terminal failed (the TUI is gone).
    #[error("could not type into the TUI: {0}")]
    Type(#[source] std::io::Error),
    /// What was waited for did not appear in time.
    #[error("{what} did not appear within {timeout:?}; the screen so far:\n{screen}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        timeout: Duration,
        /// The screen then.
        screen: String,
    },
}

/// A running TUI.
pub struct Tui {
    child: Child,
    stdin: ChildStdin,
    drawn: Arc<Mutex<Drawn>>,
    reader: JoinHandle<()>,
}

impl std::fmt::Debug for Tui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tui").finish_non_exhaustive()
    }
}

/// What the TUI wrote: the raw bytes, and the terminal they were written to.
struct Drawn {
    raw: Vec<u8>,
    terminal: vt100::Parser,
}

/// The terminal's size.
const ROWS: std::num::NonZeroU16 = std::num::NonZeroU16::new(40).unwrap();
const COLS: std::num::NonZeroU16 = std::num::NonZeroU16::new(120).unwrap();

impl Tui {
    /// Starts `openclaw <args>` (e.g. `tui --url … --token …`) in a pseudo-terminal, with the
    /// official CLI's isolated environment over `state`.
    pub fn start<I, S>(cli: &OfficialCli, state: &TempStateDir, args: I) -> Result<Self, TuiError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let official = cli.command(state, args);
        let std = official.as_std();
        Self::start_program(
            std.get_program(),
            std.get_args(),
            std.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))),
            state.root(),
        )
    }

    /// Starts `program <args>` in a pseudo-terminal with exactly `envs` (and `TERM`), in `cwd`:
    /// any interactive program (rustyclaw's own wizard and chat included).
    pub fn start_program<A, E, K, V>(
        program: impl AsRef<OsStr>,
        args: A,
        envs: E,
        cwd: &std::path::Path,
    ) -> Result<Self, TuiError>
    where
        A: IntoIterator,
        A::Item: AsRef<OsStr>,
        E: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let quote = |arg: &OsStr| format!("'{}'", arg.to_string_lossy().replace('\'', r"'\''"));
        let line = std::iter::once(quote(program.as_ref()))
            .chain(args.into_iter().map(|a| quote(a.as_ref())))
            .collect::<Vec<_>>()
            .join(" ");
        #[expect(
            clippy::disallowed_methods,
            reason = "interactive programs need a pseudo-terminal, which `script` provides"
        )]
        let mut command = tokio::process::Command::new("script");
        command
            .args([
                "-q",
                "-e",
                "-c",
                &format!("stty cols {COLS} rows {ROWS}; exec {line}"),
                "/dev/null",
            ])
            .env_clear()
            .envs(envs)
            .env("TERM", "xterm-256color")
            .current_dir(cwd)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(TuiError::Spawn)?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| TuiError::Spawn(std::io::Error::other("no stdin")))?;
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| TuiError::Spawn(std::io::Error::other("no stdout")))?;
        let drawn = Arc::new(Mutex::new(Drawn {
            raw: Vec::new(),
            terminal: vt100::Parser::new(ROWS, COLS, 0),
        }));
        let sink = drawn.clone();
        let reader = tokio::spawn(async move {
            let mut buffer = [0_u8; 8192];
            loop {
                match stdout.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut drawn = sink.lock().unwrap_or_else(PoisonError::into_inner);
                        drawn.raw.extend_from_slice(&buffer[..n]);
                        drawn.terminal.process(&buffer[..n]);
                    }
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            drawn,
            reader,
        })
    }

    /// The screen as a user sees it now, one line per row.
    pub fn screen(&self) -> String {
        self.lock().terminal.screen().contents()
    }

    /// Everything written so far, control sequences stripped.
    pub fn transcript(&self) -> String {
        strip_ansi(&String::from_utf8_lossy(&self.lock().raw))
    }

    /// Every byte written to the terminal so far, control sequences included.
    pub fn raw(&self) -> Vec<u8> {
        self.lock().raw.clone()
    }

    /// Waits until the program exits (within `timeout`); returns its exit code.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let status = tokio::time::timeout(timeout, self.child.wait())
            .await
            .ok()?
            .ok()?;
        // The last output is read by the reader task; give it a moment to drain.
        for _ in 0..40 {
            if self.reader.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        status.code()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Drawn> {
        self.drawn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Types `text` and presses Enter.
    pub async fn submit(&mut self, text: &str) -> Result<(), TuiError> {
        self.type_keys(text.as_bytes()).await?;
        // Some editors take a paste-like burst with the Enter in it as a newline: a pause.
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.type_keys(b"\r").await
    }

    /// Sends raw key bytes (`\x1b` is Escape, `\x03` Ctrl-C).
    pub async fn type_keys(&mut self, keys: &[u8]) -> Result<(), TuiError> {
        self.stdin.write_all(keys).await.map_err(TuiError::Type)?;
        self.stdin.flush().await.map_err(TuiError::Type)
    }

    /// Waits until the screen satisfies `done`; returns it.
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> Result<String, TuiError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return Ok(screen);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(TuiError::Timeout {
                    what: what.to_owned(),
                    timeout,
                    screen,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Closes the terminal (the TUI exits on SIGHUP); returns the transcript.
    pub async fn close(mut self) -> String {
        let _ = self.child.kill().await;
        let _ = (&mut self.reader).await;
        self.transcript()
    }
}

/// `raw` without terminal control sequences (CSI, OSC) and carriage returns.
pub fn strip_ansi(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.peek() == Some(&'\\')) {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}
