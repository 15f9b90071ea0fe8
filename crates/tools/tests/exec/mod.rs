#![cfg(test)]
//! exec and process through the registry, with real child processes.

use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use rustyclaw_tools::{ExternalSource, Provenance, ToolError};
use serde_json::{Value, json};

use crate::support::Harness;

/// The session id in "Command still running (session <id>, pid <pid>). …".
fn session_id(text: &str) -> String {
    let rest = text
        .strip_prefix("Command still running (session ")
        .unwrap_or_else(|| panic!("not a running message: {text}"));
    rest.split(',').next().unwrap().to_owned()
}

/// Polls until the run has exited; returns all output seen and the final message.
async fn poll_to_end(h: &Harness, id: &str) -> (String, String) {
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (text, _) = h
            .ok(
                "process",
                json!({ "action": "poll", "sessionId": id, "timeout": 2000 }),
            )
            .await;
        let (body, status) = text.rsplit_once("\n\n").unwrap();
        if body != "(no new output)" {
            seen.push_str(body);
            seen.push('\n');
        }
        if status.starts_with("Process exited") {
            return (seen, status.to_owned());
        }
        assert_eq!(status, "Process still running.");
        assert!(Instant::now() < deadline, "run did not end; seen {seen:?}");
    }
}

#[tokio::test]
async fn foreground_commands_report_output_and_exit_code() {
    let h = Harness::new();
    let (text, details) = h
        .ok(
            "exec",
            json!({ "command": "echo hi; echo err >&2; exit 3" }),
        )
        .await;
    assert_eq!(text, "hi\nerr\n\n(Command exited with code 3)");
    let details = details.unwrap();
    assert_eq!(details["status"], "completed");
    assert_eq!(details["exitCode"], 3);
    let (text, _) = h.ok("exec", json!({ "command": "true" })).await;
    assert_eq!(text, "(no output)");
}

#[tokio::test]
async fn commands_run_in_the_workspace_with_extra_env() {
    let h = Harness::new();
    std::fs::create_dir(h.ws().join("sub")).unwrap();
    let (text, _) = h
        .ok(
            "exec",
            json!({ "command": "basename \"$(pwd)\"; echo \"$FOO\"", "workdir": "sub", "env": { "FOO": "bar" } }),
        )
        .await;
    assert_eq!(text, "sub\nbar");
    let message = h
        .fails("exec", json!({ "command": "pwd", "workdir": "../.." }))
        .await;
    assert!(message.contains("outside the workspace"), "{message}");
    let message = h
        .fails("exec", json!({ "command": "pwd", "workdir": "missing" }))
        .await;
    assert!(message.contains("does not exist"), "{message}");
}

#[tokio::test]
async fn foreground_stdin_is_closed() {
    let h = Harness::new();
    let started = Instant::now();
    let (text, _) = h.ok("exec", json!({ "command": "cat; echo ok" })).await;
    assert_eq!(text, "ok");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_slow_command_yields_to_the_background_and_can_be_polled() {
    let h = Harness::new();
    let (text, details) = h
        .ok(
            "exec",
            json!({ "command": "echo start; sleep 0.6; echo done", "yieldMs": 100 }),
        )
        .await;
    let id = session_id(&text);
    assert!(text.ends_with("Use process (list/poll/log/write/kill/clear/remove) for follow-up."));
    let details = details.unwrap();
    assert_eq!(details["status"], "running");
    assert_eq!(details["sessionId"], Value::from(id.clone()));

    let (list, _) = h.ok("process", json!({ "action": "list" })).await;
    assert!(list.starts_with(&format!("{id} running")), "{list}");

    let (seen, status) = poll_to_end(&h, &id).await;
    assert_eq!(seen, "start\ndone\n");
    assert_eq!(status, "Process exited with code 0.");

    let (log, details) = h
        .ok("process", json!({ "action": "log", "sessionId": id }))
        .await;
    assert_eq!(log, "start\ndone");
    assert_eq!(details.unwrap()["totalLines"], 2);
    let (log, _) = h
        .ok(
            "process",
            json!({ "action": "log", "sessionId": id, "offset": 1, "limit": 1 }),
        )
        .await;
    assert_eq!(log, "done");

    let (list, _) = h.ok("process", json!({ "action": "list" })).await;
    assert!(list.starts_with(&format!("{id} completed")), "{list}");
    let (text, _) = h
        .ok("process", json!({ "action": "clear", "sessionId": id }))
        .await;
    assert_eq!(text, format!("Cleared session {id}."));
    let (list, _) = h.ok("process", json!({ "action": "list" })).await;
    assert_eq!(list, "No running or recent sessions.");
}

#[tokio::test]
async fn background_runs_take_input_and_can_be_killed() {
    let h = Harness::new();
    let (text, _) = h
        .ok(
            "exec",
            json!({ "command": "read line; echo \"got:$line\"; sleep 30", "background": true }),
        )
        .await;
    let id = session_id(&text);
    let (text, _) = h
        .ok(
            "process",
            json!({ "action": "write", "sessionId": id, "data": "hello\n" }),
        )
        .await;
    assert_eq!(text, format!("Wrote 6 bytes to session {id}."));
    let (text, _) = h
        .ok(
            "process",
            json!({ "action": "poll", "sessionId": id, "timeout": 5000 }),
        )
        .await;
    assert_eq!(text, "got:hello\n\nProcess still running.");

    let message = h
        .fails("process", json!({ "action": "clear", "sessionId": id }))
        .await;
    assert_eq!(message, format!("No finished session found for {id}"));
    let message = h
        .fails(
            "process",
            json!({ "action": "send-keys", "sessionId": id, "keys": ["Enter"] }),
        )
        .await;
    assert!(message.contains("not supported"), "{message}");

    let (text, _) = h
        .ok("process", json!({ "action": "kill", "sessionId": id }))
        .await;
    assert_eq!(text, format!("Termination requested for session {id}."));
    let (_, status) = poll_to_end(&h, &id).await;
    assert_eq!(status, "Process exited with signal SIGKILL.");
    let message = h
        .fails("process", json!({ "action": "kill", "sessionId": id }))
        .await;
    assert_eq!(message, format!("No active session found for {id}"));
    let (text, _) = h
        .ok("process", json!({ "action": "remove", "sessionId": id }))
        .await;
    assert_eq!(text, format!("Removed session {id}."));
}

#[tokio::test]
async fn a_yielded_foreground_run_does_not_take_input() {
    let h = Harness::new();
    let (text, _) = h
        .ok("exec", json!({ "command": "sleep 30", "yieldMs": 10 }))
        .await;
    let id = session_id(&text);
    let message = h
        .fails(
            "process",
            json!({ "action": "write", "sessionId": id, "data": "x" }),
        )
        .await;
    assert!(message.contains("stdin is not writable"), "{message}");
    let (text, _) = h
        .ok("process", json!({ "action": "remove", "sessionId": id }))
        .await;
    assert_eq!(
        text,
        format!("Removed session {id} (termination requested).")
    );
}

#[tokio::test]
async fn timeouts_kill_the_command() {
    let h = Harness::new();
    let started = Instant::now();
    let err = h
        .call(
            "exec",
            json!({ "command": "echo before; sleep 30", "timeout": 1 }),
        )
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    let ToolError::Failed {
        message,
        details,
        provenance,
    } = err
    else {
        panic!("expected a failure, got {err:?}");
    };
    assert!(
        message.starts_with(
            "before\n\nCommand timed out after 1 seconds\n\nThe command was terminated"
        ),
        "{message}"
    );
    let details = details.unwrap();
    assert_eq!(details["timedOut"], true);
    assert_eq!(details["status"], "failed");
    assert_eq!(
        *provenance,
        Provenance::Untrusted(ExternalSource::CommandOutput),
        "the output inside the error is the command's"
    );
}

#[tokio::test]
async fn output_is_capped_to_its_tail() {
    let h = Harness::with(|exec, _| exec.output_cap = 1000);
    let (text, details) = h
        .ok(
            "exec",
            json!({ "command": "head -c 5000 /dev/zero | tr '\\0' a; echo; echo END" }),
        )
        .await;
    assert!(
        text.starts_with(
            "[earlier output was discarded at the retention cap and cannot be recovered]\n\n"
        ),
        "{}",
        &text[..100]
    );
    assert!(text.ends_with("aaa\nEND"));
    assert!(text.len() < 1200, "{} bytes", text.len());
    assert_eq!(details.unwrap()["truncated"], true);
}

#[tokio::test]
async fn runs_are_private_to_their_session_and_pruned_after_cleanup() {
    let h = Harness::with(|exec, _| exec.cleanup_after = Duration::from_millis(300));
    let (text, _) = h
        .ok(
            "exec",
            json!({ "command": "echo mine", "background": true }),
        )
        .await;
    let id = session_id(&text);
    let other = h.other_session();
    let out = h
        .call_in(&other, "process", json!({ "action": "list" }))
        .await
        .unwrap();
    assert_eq!(crate::support::text(&out), "No running or recent sessions.");
    let err = h
        .call_in(
            &other,
            "process",
            json!({ "action": "poll", "sessionId": id }),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), format!("No session found for {id}"));

    let (_, status) = poll_to_end(&h, &id).await;
    assert_eq!(status, "Process exited with code 0.");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (list, _) = h.ok("process", json!({ "action": "list" })).await;
    assert_eq!(list, "No running or recent sessions.");
}

#[tokio::test]
async fn unsupported_options_are_refused_with_a_reason() {
    let h = Harness::new();
    let message = h
        .fails("exec", json!({ "command": "ls", "pty": true }))
        .await;
    assert!(
        message.starts_with("pty=true is not supported yet"),
        "{message}"
    );
    let message = h
        .fails("exec", json!({ "command": "ls", "elevated": true }))
        .await;
    assert!(
        message.starts_with("elevated=true is not available"),
        "{message}"
    );
    let message = h
        .fails("exec", json!({ "command": "ls", "host": "node" }))
        .await;
    assert_eq!(
        message,
        "exec host not allowed (requested node; configure tools.exec.host=node to allow)"
    );
    let (text, _) = h
        .ok("exec", json!({ "command": "echo ok", "host": "sandbox" }))
        .await;
    assert_eq!(text, "ok");

    let gateway = Harness::with(|exec, _| {
        exec.host = rustyclaw_config::file::ExecHost::Gateway;
    });
    let message = gateway.fails("exec", json!({ "command": "ls" })).await;
    assert!(
        message.starts_with("exec denied: host=gateway with security=deny"),
        "{message}"
    );
    let full = Harness::with(|exec, _| {
        exec.host = rustyclaw_config::file::ExecHost::Gateway;
        exec.security = rustyclaw_config::file::ExecSecurity::Full;
    });
    let (text, _) = full.ok("exec", json!({ "command": "echo host" })).await;
    assert_eq!(text, "host");
    let message = full
        .fails("exec", json!({ "command": "ls", "ask": "always" }))
        .await;
    assert!(message.contains("needs an approval"), "{message}");
}

#[tokio::test]
async fn cancelling_the_run_kills_a_foreground_command() {
    let h = Harness::new();
    let cancel = h.cx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let err = h
        .call("exec", json!({ "command": "sleep 30" }))
        .await
        .unwrap_err();
    assert!(matches!(err, ToolError::Cancelled), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
