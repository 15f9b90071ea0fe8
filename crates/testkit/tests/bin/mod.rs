//! The binary runner, exercised with small system programs (this crate builds no binary).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use rustyclaw_testkit::bin::Stream;
use rustyclaw_testkit::{FakeLlm, RunError, RustyClaw, TempStateDir, Turn};

fn env_map(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_child_sees_only_path_the_state_dir_and_explicit_variables() {
    let dir = TempStateDir::new().unwrap();
    let output = RustyClaw::new("/usr/bin/env")
        .state_dir(&dir)
        .env("OPENCLAW_GATEWAY_TOKEN", "t0k3n")
        .run()
        .await
        .unwrap();
    assert!(output.success());

    let path = std::env::var("PATH").unwrap();
    let expected: BTreeMap<String, String> = [
        ("HOME", dir.home().to_str().unwrap()),
        ("OPENCLAW_CONFIG_PATH", dir.config_path().to_str().unwrap()),
        ("OPENCLAW_GATEWAY_TOKEN", "t0k3n"),
        ("OPENCLAW_STATE_DIR", dir.state_dir().to_str().unwrap()),
        ("PATH", path.as_str()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    assert_eq!(env_map(&output.stdout_str()), expected);
}

#[tokio::test]
async fn without_a_state_dir_each_run_gets_a_fresh_one_that_is_removed_after() {
    let runner = RustyClaw::new("/bin/sh").args(["-c", "echo \"$HOME\"; pwd"]);
    let first = runner.run().await.unwrap();
    let second = runner.run().await.unwrap();
    let first_lines: Vec<String> = first.stdout_str().lines().map(str::to_owned).collect();
    let second_home = second.stdout_str().lines().next().unwrap().to_owned();

    let home = Path::new(&first_lines[0]);
    assert!(
        home.ends_with("home"),
        "HOME is inside a temp state dir: {home:?}"
    );
    assert_eq!(
        Path::new(&first_lines[1]),
        home.parent().unwrap(),
        "cwd is the temp root"
    );
    assert_ne!(first_lines[0], second_home, "runs do not share state");
    assert!(!home.exists(), "the run's state dir is gone after the run");
}

#[tokio::test]
async fn stdin_is_fed_and_closed() {
    let output = RustyClaw::new("/bin/cat")
        .stdin("line one\nline two\n")
        .run()
        .await
        .unwrap();
    assert_eq!(output.stdout_str(), "line one\nline two\n");
    assert_eq!(output.stderr_str(), "");
}

#[tokio::test]
async fn without_input_stdin_is_empty_rather_than_inherited() {
    let output = RustyClaw::new("/bin/cat").run().await.unwrap();
    assert!(output.success());
    assert_eq!(output.stdout, b"");
}

#[tokio::test]
async fn a_failing_exit_is_reported_with_its_output() {
    let output = RustyClaw::new("/bin/sh")
        .args(["-c", "echo partial; echo 'bad flag' >&2; exit 3"])
        .run()
        .await
        .unwrap();
    assert!(!output.success());
    assert_eq!(output.code(), Some(3));
    assert_eq!(output.stdout_str(), "partial\n");
    let error = output.ensure_success().unwrap_err();
    assert_eq!(
        error.to_string(),
        "the process failed with exit status: 3\n--- stdout ---\npartial\n\n--- stderr ---\nbad flag\n"
    );
}

#[tokio::test]
async fn a_child_outliving_its_timeout_is_killed_with_an_error_saying_so() {
    let started = Instant::now();
    let error = RustyClaw::new("/bin/sh")
        .args(["-c", "echo started; exec sleep 30"])
        .timeout(Duration::from_millis(300))
        .run()
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    match error {
        RunError::Timeout { after, stdout, .. } => {
            assert_eq!(after, Duration::from_millis(300));
            assert_eq!(stdout, "started\n");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_program_fails_to_spawn() {
    let error = RustyClaw::new("/nonexistent/rustyclaw")
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RunError::Spawn { program, .. } if program == Path::new("/nonexistent/rustyclaw")),
        "{error:?}"
    );
}

fn process_is_gone(pid: u32) -> bool {
    // Reaped (no entry) or a zombie waiting to be reaped: either way it no longer runs.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn a_spawned_child_can_be_awaited_line_by_line_and_dies_with_its_handle() {
    let child = RustyClaw::new("/bin/sh")
        .args([
            "-c",
            "echo booting; sleep 0.1; echo 'listening on 127.0.0.1:4242' >&2; exec sleep 30",
        ])
        .spawn()
        .unwrap();
    let line = child
        .wait_for_line(
            Stream::Stderr,
            |line| line.starts_with("listening on"),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(line, "listening on 127.0.0.1:4242");
    assert_eq!(child.stdout(), "booting\n");

    let pid = child.id().unwrap();
    assert!(!process_is_gone(pid));
    drop(child);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !process_is_gone(pid) {
        assert!(
            Instant::now() < deadline,
            "child {pid} still runs after its handle was dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn waiting_for_a_line_that_never_comes_fails_clearly() {
    let child = RustyClaw::new("/bin/sh")
        .args(["-c", "echo nope"])
        .spawn()
        .unwrap();
    let error = child
        .wait_for_line(
            Stream::Stdout,
            |line| line == "ready",
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, RunError::StreamClosed { stream: Stream::Stdout, output, .. } if output == "nope\n"),
        "{error:?}"
    );

    let mut child = RustyClaw::new("/bin/sh")
        .args(["-c", "exec sleep 30"])
        .spawn()
        .unwrap();
    let error = child
        .wait_for_line(Stream::Stdout, |_| true, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(error, RunError::LineTimeout { .. }), "{error:?}");
    let output = child.kill().await.unwrap();
    assert_eq!(output.code(), None, "killed by a signal");
}

#[tokio::test]
async fn a_child_talks_to_the_fake_llm_while_the_test_waits() {
    // The runner is async so the server, on this same runtime, keeps answering meanwhile.
    // bash's /dev/tcp is the HTTP client, so the test needs nothing beyond Debian's essentials.
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("from the child"));
    let body = r#"{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}]}"#;
    let script = r#"exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nUser-Agent: bash-dev-tcp\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#BODY}" "$BODY" >&3
cat <&3"#;
    let output = RustyClaw::new("/bin/bash")
        .args(["-c", script])
        .env("PORT", llm.addr().port().to_string())
        .env("BODY", body)
        .timeout(Duration::from_secs(10))
        .run()
        .await
        .unwrap();
    output.ensure_success().unwrap();
    let response = output.stdout_str();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.contains(r#""content":"from the child""#),
        "{response}"
    );
    let request = &llm.requests()[0];
    assert_eq!(request.header("user-agent"), Some("bash-dev-tcp"));
    assert_eq!(
        request.body.as_ref().unwrap()["messages"][1]["content"],
        "hi"
    );
}
