//! Bounded execution of operator-configured programs (secret resolvers and similar).
//!
//! The program runs directly (no shell) with an explicit environment, a wall-clock timeout and a
//! cap on captured output. It is synchronous on purpose: its callers (config loading) run before
//! or outside the async runtime, and a blocking call is simpler to reason about there.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A program to run with explicit bounds.
#[derive(Debug, Clone)]
pub struct TrustedCommand {
    /// Absolute path of the executable.
    pub program: PathBuf,
    /// Arguments, passed without any shell interpretation.
    pub args: Vec<OsString>,
    /// The complete environment of the child; nothing is inherited.
    pub env: Vec<(OsString, OsString)>,
    /// Bytes written to the child's standard input, which is then closed.
    pub stdin: Vec<u8>,
    /// Wall-clock limit; the child is killed when it is exceeded.
    pub timeout: Duration,
    /// Largest standard output kept; more is an error (a resolver must not flood memory).
    pub max_output_bytes: usize,
}

/// What a finished program produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedOutput {
    /// Exit code, `None` when killed by a signal.
    pub exit_code: Option<i32>,
    /// Captured standard output.
    pub stdout: Vec<u8>,
    /// The first bytes of standard error (at most 4 KiB), for diagnostics.
    pub stderr_head: Vec<u8>,
}

/// Why a trusted program could not be run to completion.
#[derive(Debug, thiserror::Error)]
pub enum TrustedError {
    /// The program could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program path.
        program: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The program ran longer than allowed and was killed.
    #[error("{program} did not finish within {timeout_ms} ms and was killed")]
    Timeout {
        /// The program path.
        program: PathBuf,
        /// The limit that was exceeded.
        timeout_ms: u128,
    },
    /// The program wrote more than the output cap.
    #[error("{program} wrote more than {limit} bytes to stdout")]
    OutputTooLarge {
        /// The program path.
        program: PathBuf,
        /// The cap.
        limit: usize,
    },
    /// Waiting for or talking to the program failed.
    #[error("i/o with {program} failed: {source}")]
    Io {
        /// The program path.
        program: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
}

const STDERR_HEAD: usize = 4096;

impl TrustedCommand {
    /// Runs the program to completion within its bounds.
    pub fn run(&self) -> Result<TrustedOutput, TrustedError> {
        #[expect(
            clippy::disallowed_methods,
            reason = "rustyclaw-sandbox is the crate that owns process spawning"
        )]
        let mut command = std::process::Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so a timeout kills grandchildren that still hold the pipes.
            .process_group(0);
        let mut child = command.spawn().map_err(|source| TrustedError::Spawn {
            program: self.program.clone(),
            source,
        })?;
        let io_err = |source| TrustedError::Io {
            program: self.program.clone(),
            source,
        };

        let stdin = child.stdin.take();
        let input = self.stdin.clone();
        let writer = std::thread::spawn(move || {
            if let Some(mut pipe) = stdin {
                // A child that exits without reading its input closes the pipe; that is its choice.
                let _ = pipe.write_all(&input);
            }
        });
        let limit = self.max_output_bytes;
        let stdout = child.stdout.take();
        let reader = std::thread::spawn(move || read_capped(stdout, limit + 1));
        let stderr = child.stderr.take();
        let err_reader = std::thread::spawn(move || read_capped(stderr, STDERR_HEAD));

        let status = wait_with_deadline(&mut child, self.timeout).map_err(io_err)?;
        let _ = writer.join();
        let stdout = reader.join().unwrap_or_default();
        let stderr_head = err_reader.join().unwrap_or_default();
        let Some(status) = status else {
            return Err(TrustedError::Timeout {
                program: self.program.clone(),
                timeout_ms: self.timeout.as_millis(),
            });
        };
        if stdout.len() > limit {
            return Err(TrustedError::OutputTooLarge {
                program: self.program.clone(),
                limit,
            });
        }
        Ok(TrustedOutput {
            exit_code: status.code(),
            stdout,
            stderr_head,
        })
    }
}

/// Reads at most `limit` bytes, then drains (and discards) the rest so the child never blocks.
fn read_capped(pipe: Option<impl Read>, limit: usize) -> Vec<u8> {
    let Some(mut pipe) = pipe else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = limit.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    kept
}

/// Waits for the child; kills it and returns `None` when the deadline passes.
fn wait_with_deadline(
    child: &mut Child,
    timeout: Duration,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            kill_group(child);
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Kills the child's whole process group (the child is its leader, see `process_group(0)`).
fn kill_group(child: &Child) {
    let pid = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pid) = pid {
        // ESRCH (already gone) is the only expected failure and needs no handling.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> TrustedCommand {
        TrustedCommand {
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".into(), script.into()],
            env: vec![("GREETING".into(), "hello".into())],
            stdin: b"from-stdin".to_vec(),
            timeout: Duration::from_secs(5),
            max_output_bytes: 1024,
        }
    }

    #[test]
    fn passes_stdin_env_and_captures_output() {
        let out = sh("printf '%s ' \"$GREETING\"; cat; echo oops >&2; exit 3")
            .run()
            .unwrap();
        assert_eq!(out.stdout, b"hello from-stdin");
        assert_eq!(out.stderr_head, b"oops\n");
        assert_eq!(out.exit_code, Some(3));
    }

    #[test]
    fn environment_is_not_inherited() {
        let out = sh("printf '%s' \"${HOME:-unset}\"").run().unwrap();
        assert_eq!(out.stdout, b"unset");
    }

    #[test]
    fn kills_on_timeout() {
        let mut cmd = sh("sleep 5");
        cmd.timeout = Duration::from_millis(100);
        let started = Instant::now();
        let err = cmd.run().unwrap_err();
        assert!(matches!(err, TrustedError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn refuses_oversized_output() {
        let mut cmd = sh("head -c 5000 /dev/zero");
        cmd.max_output_bytes = 100;
        assert!(matches!(
            cmd.run().unwrap_err(),
            TrustedError::OutputTooLarge { limit: 100, .. }
        ));
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let mut cmd = sh("true");
        cmd.program = PathBuf::from("/nonexistent/resolver");
        assert!(matches!(cmd.run().unwrap_err(), TrustedError::Spawn { .. }));
    }
}
