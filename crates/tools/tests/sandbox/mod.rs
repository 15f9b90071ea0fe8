#![cfg(test)]
//! The session's sandbox as the tools see it: exec runs at the session's level and says so,
//! a read-only workspace refuses the write tools, `workspaceAccess: "none"` gives the session a
//! scratch workspace, and `host=gateway` runs unsandboxed.

use std::net::TcpListener;

use rustyclaw_config::SandboxPolicy;
use rustyclaw_config::file::{
    ExecAsk, ExecHost, ExecSecurity, IsolationLevel, SandboxScope, WorkspaceAccess,
};
use rustyclaw_sandbox::{ResourceLimits, SandboxLevel};
use rustyclaw_tools::SessionSandbox;
use serde_json::json;

use crate::support::Harness;

fn session(level: SandboxLevel, workspace_access: WorkspaceAccess) -> SessionSandbox {
    SessionSandbox {
        level,
        workspace_access,
        limits: ResourceLimits::default(),
        require: false,
        host_network: false,
    }
}

#[tokio::test]
async fn exec_runs_at_the_sessions_level_and_reports_it() {
    let mut h = Harness::new();
    let (_, details) = h.ok("exec", json!({ "command": "true" })).await;
    assert_eq!(
        details.unwrap()["sandbox"],
        json!({"level": "off", "layers": []})
    );

    h.cx.sandbox = session(SandboxLevel::Strict, WorkspaceAccess::Rw);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let command = format!(
        "echo made > made.txt; exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected || echo offline"
    );
    let (text, details) = h.ok("exec", json!({ "command": command })).await;
    let details = details.unwrap();
    assert_eq!(details["sandbox"]["level"], "strict");
    assert!(
        details["sandbox"]["layers"]
            .as_array()
            .unwrap()
            .contains(&json!("net-namespace")),
        "CI hosts have bubblewrap: {details}"
    );
    assert!(text.contains("offline"), "{text}");
    assert_eq!(
        std::fs::read_to_string(h.ws().join("made.txt")).unwrap(),
        "made\n"
    );
}

#[tokio::test]
async fn a_read_only_workspace_refuses_the_write_tools() {
    let mut h = Harness::new();
    std::fs::write(h.ws().join("a.txt"), "alpha\n").unwrap();
    h.cx.sandbox = session(SandboxLevel::WorkspaceWrite, WorkspaceAccess::Ro);
    for (tool, args) in [
        ("write", json!({ "path": "b.txt", "content": "x" })),
        (
            "edit",
            json!({ "path": "a.txt", "oldText": "alpha", "newText": "beta" }),
        ),
        (
            "apply_patch",
            json!({ "input": "*** Begin Patch\n*** Add File: c.txt\n+c\n*** End Patch" }),
        ),
    ] {
        let message = h.fails(tool, args).await;
        assert!(
            message.starts_with(&format!("{tool} is not available")),
            "{message}"
        );
        assert!(message.contains("workspaceAccess is \"ro\""), "{message}");
    }
    let (text, _) = h.ok("read", json!({ "path": "a.txt" })).await;
    assert!(text.contains("alpha"));
    let (text, _) = h
        .ok(
            "exec",
            json!({ "command": "cat a.txt; touch new.txt || echo refused" }),
        )
        .await;
    assert!(text.contains("alpha") && text.contains("refused"), "{text}");
    assert!(!h.ws().join("new.txt").exists() && !h.ws().join("b.txt").exists());
    assert_eq!(
        std::fs::read_to_string(h.ws().join("a.txt")).unwrap(),
        "alpha\n"
    );
}

#[tokio::test]
async fn workspace_access_none_gives_the_scope_a_scratch_workspace() {
    let mut h = Harness::new();
    let policy = SandboxPolicy {
        workspace_access: WorkspaceAccess::None,
        scope: SandboxScope::Session,
        level: IsolationLevel::WorkspaceWrite,
        ..SandboxPolicy::default()
    };
    let (sandbox, workspace) = SessionSandbox::for_session(
        &policy,
        "main",
        h.cx.session_key.as_str(),
        h.ws(),
        h.cx.services.sandbox(),
    )
    .unwrap();
    assert_eq!(sandbox.level, SandboxLevel::WorkspaceWrite);
    assert!(
        workspace.starts_with(h.state.path().join("sandboxes")),
        "{workspace:?}"
    );
    h.cx.sandbox = sandbox;
    h.cx.workspace = workspace.clone();
    h.ok("write", json!({ "path": "note.txt", "content": "scratch" }))
        .await;
    let (text, _) = h
        .ok("exec", json!({ "command": "cat note.txt; pwd" }))
        .await;
    assert!(text.starts_with("scratch"), "{text}");
    assert!(workspace.join("note.txt").is_file());
    assert!(
        !h.ws().join("note.txt").exists(),
        "the agent workspace is untouched"
    );

    // The main session of a non-main policy is not sandboxed and keeps the real workspace.
    let non_main = SandboxPolicy {
        mode: rustyclaw_config::file::SandboxMode::NonMain,
        ..policy
    };
    let (sandbox, workspace) = SessionSandbox::for_session(
        &non_main,
        "main",
        "agent:main:main",
        h.ws(),
        h.cx.services.sandbox(),
    )
    .unwrap();
    assert_eq!(sandbox, SessionSandbox::off());
    assert_eq!(workspace, h.ws());
}

#[tokio::test]
async fn host_gateway_commands_run_unsandboxed() {
    let mut h = Harness::with(|exec, _| {
        exec.host = ExecHost::Gateway;
        exec.security = ExecSecurity::Full;
        exec.ask = ExecAsk::Off;
    });
    h.cx.sandbox = session(SandboxLevel::Strict, WorkspaceAccess::Rw);
    let (text, details) = h.ok("exec", json!({ "command": "echo host" })).await;
    assert_eq!(text, "host");
    assert_eq!(details.unwrap()["sandbox"]["level"], "off");
}
