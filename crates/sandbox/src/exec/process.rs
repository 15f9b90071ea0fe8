//! The handle of a running command: output, standard input, exit, kill.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::process::ChildStdin;
use tokio::sync::watch;

use super::buffer::OutputBuffer;
use super::{Cleanup, ExitInfo, ExitReason, OutputRead, OutputSnapshot, StdinError};
use crate::layers::Layer;
use crate::level::SandboxLevel;

/// A running (or finished) command. Cheap to clone; every clone controls the same process.
#[derive(Debug, Clone)]
pub struct SandboxedProcess {
    pub(super) shared: Arc<Shared>,
}

#[derive(Debug)]
pub(super) struct Shared {
    pub(super) pid: u32,
    pub(super) started_at: Instant,
    pub(super) level: SandboxLevel,
    pub(super) layers: Vec<Layer>,
    pub(super) output: Mutex<OutputBuffer>,
    pub(super) progress: watch::Sender<Progress>,
    pub(super) stdin: tokio::sync::Mutex<StdinState>,
    /// Set (under this lock) once the kernel has reaped the child; its pid may be reused after.
    pub(super) reaped: Mutex<bool>,
    pub(super) killed: AtomicBool,
    /// What to kill besides the process group, and what to remove at the end.
    pub(super) cleanup: Cleanup,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Progress {
    pub(super) total: u64,
    pub(super) exit: Option<ExitInfo>,
}

#[derive(Debug)]
pub(super) enum StdinState {
    NotPiped,
    Open(ChildStdin),
    Closed,
}

impl Shared {
    pub(super) fn push_output(&self, bytes: &[u8]) {
        let total = {
            let mut output = self.output.lock().unwrap_or_else(PoisonError::into_inner);
            output.push(bytes);
            output.total
        };
        self.progress.send_modify(|p| p.total = total);
    }

    /// Kills everything the command started: its process group and, when it has cgroups,
    /// every process in them (daemons that called `setsid` left the group).
    pub(super) fn kill_everything(&self) {
        super::kill_group(self.pid);
        if let Some(cgroups) = &self.cleanup.cgroups {
            cgroups.kill_all();
        }
    }
}

impl SandboxedProcess {
    /// The child's process id (also its process group id). At sandboxed levels this is the
    /// helper or bubblewrap, which stands for the whole sandbox.
    pub fn pid(&self) -> u32 {
        self.shared.pid
    }

    /// When the command was started.
    pub fn started_at(&self) -> Instant {
        self.shared.started_at
    }

    /// The isolation level it runs under.
    pub fn level(&self) -> SandboxLevel {
        self.shared.level
    }

    /// The isolation layers applied to it (empty at [`SandboxLevel::Off`]).
    pub fn layers(&self) -> &[Layer] {
        &self.shared.layers
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

    /// Kills the whole command with SIGKILL: its process group, and at sandboxed levels every
    /// process in its cgroups and PID namespace. Returns `false` when the command had already
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
        self.shared.kill_everything();
        true
    }
}
