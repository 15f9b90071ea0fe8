#![cfg(test)]
//! The agent command API against real shells.

use std::path::Path;
use std::time::{Duration, Instant};

use rustyclaw_sandbox::{
    ExecError, ExecSpec, ExitReason, SandboxLevel, SandboxedProcess, StdinError, StdinMode,
};

fn spec(dir: &Path, script: &str) -> ExecSpec {
    crate::support::spec(dir, SandboxLevel::Off, script)
}

/// Starts `spec` on a sandbox whose state lives in a directory of its own (unsandboxed
/// commands do not touch it).
fn spawn(spec: ExecSpec) -> Result<SandboxedProcess, ExecError> {
    let state = tempfile::tempdir().unwrap();
    crate::support::sandbox(state.path()).spawn(spec)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn merges_stdout_and_stderr_in_order_and_reports_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let proc = spawn(spec(
        dir.path(),
        "echo one; echo two >&2; echo three; exit 7",
    ))
    .unwrap();
    let exit = proc.wait().await;
    assert_eq!(exit.code, Some(7));
    assert_eq!(exit.reason, ExitReason::Exited);
    assert_eq!(text(&proc.output().bytes), "one\ntwo\nthree\n");
}

#[tokio::test]
async fn runs_in_cwd_with_a_minimal_environment_plus_extras() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(
        dir.path(),
        "pwd; echo \"$HOME|$TERM|$LANG|${CARGO:-unset}|$EXTRA\"",
    );
    s.extra_env = vec![("EXTRA".into(), "yes".into())];
    let proc = spawn(s).unwrap();
    assert_eq!(proc.wait().await.code, Some(0));
    let out = text(&proc.output().bytes);
    let canonical = dir.path().canonicalize().unwrap();
    let mut lines = out.lines();
    assert_eq!(
        Path::new(lines.next().unwrap()).canonicalize().unwrap(),
        canonical
    );
    assert_eq!(
        lines.next().unwrap(),
        format!("{}|dumb|C.UTF-8|unset|yes", dir.path().display())
    );
}

#[tokio::test]
async fn piped_stdin_is_writable_and_closable() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(dir.path(), "tr a-z A-Z");
    s.stdin = StdinMode::Piped;
    let proc = spawn(s).unwrap();
    assert!(proc.stdin_writable().await);
    proc.write_stdin(b"hello ").await.unwrap();
    proc.write_stdin(b"world\n").await.unwrap();
    proc.close_stdin().await.unwrap();
    assert_eq!(proc.wait().await.code, Some(0));
    assert_eq!(text(&proc.output().bytes), "HELLO WORLD\n");
    assert!(matches!(
        proc.write_stdin(b"late").await,
        Err(StdinError::Closed)
    ));
}

#[tokio::test]
async fn null_stdin_reads_end_of_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let proc = spawn(spec(dir.path(), "cat; echo done")).unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(5), proc.wait())
        .await
        .expect("cat must not wait for input");
    assert_eq!(exit.code, Some(0));
    assert_eq!(text(&proc.output().bytes), "done\n");
    assert!(matches!(
        proc.write_stdin(b"x").await,
        Err(StdinError::NotPiped)
    ));
}

fn is_gone(pid: &str) -> bool {
    // A killed process may linger as a zombie until its new parent reaps it.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn eventually_gone(pid: &str) -> bool {
    for _ in 0..100 {
        if is_gone(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(
        dir.path(),
        "sleep 30 & echo $! > bg.pid; echo started; wait",
    );
    s.timeout = Some(Duration::from_millis(300));
    let started = Instant::now();
    let proc = spawn(s).unwrap();
    let exit = proc.wait().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(exit.reason, ExitReason::TimedOut);
    assert_eq!(exit.signal, Some(9));
    assert_eq!(text(&proc.output().bytes), "started\n");
    let bg = std::fs::read_to_string(dir.path().join("bg.pid")).unwrap();
    assert!(
        eventually_gone(bg.trim()).await,
        "background sleep survived"
    );
}

#[tokio::test]
async fn kill_stops_a_running_command_once() {
    let dir = tempfile::tempdir().unwrap();
    let proc = spawn(spec(dir.path(), "echo ready; sleep 30")).unwrap();
    proc.wait_for_output(0, Duration::from_secs(5)).await;
    assert!(proc.exit().is_none());
    assert!(proc.kill());
    let exit = proc.wait().await;
    assert_eq!(exit.reason, ExitReason::Killed);
    assert_eq!(exit.code, None);
    assert!(!proc.kill(), "a finished command cannot be killed again");
}

#[tokio::test]
async fn a_signal_ends_the_command_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let proc = spawn(spec(dir.path(), "kill -TERM $$")).unwrap();
    let exit = proc.wait().await;
    assert_eq!(exit.signal, Some(15));
    assert_eq!(exit.reason, ExitReason::Exited);
}

#[tokio::test]
async fn output_is_readable_while_running_and_capped_to_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(
        dir.path(),
        "echo first; read line; echo \"$line\"; head -c 5000 /dev/zero | tr '\\0' x; echo; echo last",
    );
    s.stdin = StdinMode::Piped;
    s.output_cap = 100;
    let proc = spawn(s).unwrap();
    proc.wait_for_output(0, Duration::from_secs(5)).await;
    let early = proc.output_since(0);
    assert_eq!(text(&early.bytes), "first\n");
    assert!(proc.exit().is_none());
    proc.write_stdin(b"second\n").await.unwrap();
    let exit = proc.wait().await;
    assert_eq!(exit.code, Some(0));
    let snapshot = proc.output();
    assert_eq!(snapshot.bytes.len(), 100);
    assert_eq!(snapshot.total, 6 + 7 + 5000 + 1 + 5);
    assert_eq!(snapshot.discarded, snapshot.total - 100);
    assert!(text(&snapshot.bytes).ends_with("xxx\nlast\n"));
    let later = proc.output_since(early.end);
    assert!(
        later.dropped,
        "the bytes after the first read were partly discarded"
    );
    assert_eq!(later.end, snapshot.total);
}

#[tokio::test]
async fn refuses_bad_specs_before_spawning() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(dir.path(), "true");
    s.extra_env = vec![("A=B".into(), "x".into())];
    assert!(matches!(
        spawn(s).unwrap_err(),
        ExecError::InvalidEnvName { name } if name == "A=B"
    ));
    let s = spec(&dir.path().join("missing"), "true");
    assert!(matches!(spawn(s).unwrap_err(), ExecError::Cwd { .. }));
    let mut s = spec(dir.path(), "true");
    s.env.shell = dir.path().join("no-shell");
    assert!(matches!(spawn(s).unwrap_err(), ExecError::Spawn { .. }));
    let mut s = spec(dir.path(), "true");
    s.isolation.level = SandboxLevel::WorkspaceWrite;
    s.cwd = std::env::temp_dir();
    assert!(matches!(
        spawn(s).unwrap_err(),
        ExecError::CwdOutsideWorkspace { .. }
    ));
}
