//! `rustyclaw approvals get|allowlist add|remove`, and `agent --local` honouring the approvals
//! file when no terminal can answer.

use std::os::unix::fs::PermissionsExt;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::{Value, json};

use super::rc;

const HOST_ALLOWLIST: &str =
    r#"{ tools: { exec: { host: "gateway", security: "allowlist", ask: "on-miss" } } }"#;

fn approvals_file(dir: &TempStateDir) -> std::path::PathBuf {
    dir.state_dir().join("exec-approvals.json")
}

async fn get_json(dir: &TempStateDir) -> Value {
    let out = rc(dir)
        .args(["approvals", "get", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    serde_json::from_str(&out.stdout_str()).unwrap()
}

#[tokio::test]
async fn allowlist_entries_are_added_shown_and_removed() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(HOST_ALLOWLIST).unwrap();
    let state = get_json(&dir).await;
    assert_eq!(state["exists"], false);
    assert_eq!(
        state["requested"],
        json!({"host": "gateway", "security": "allowlist", "ask": "on-miss"})
    );
    assert_eq!(
        state["agents"]["main"],
        json!({"security": "allowlist", "ask": "on-miss", "askFallback": "deny", "allowlist": []})
    );

    let out = rc(&dir)
        .args(["approvals", "allowlist", "add", "/usr/bin/uname"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str()
            .starts_with("Added /usr/bin/uname for all agents (*)"),
        "{}",
        out.stdout_str()
    );
    let out = rc(&dir)
        .args([
            "approvals",
            "allowlist",
            "add",
            "~/.local/bin/*",
            "--agent",
            "main",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let mode = std::fs::metadata(approvals_file(&dir))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    let out = rc(&dir)
        .args(["approvals", "allowlist", "add", "uname"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    let err = out.stderr_str();
    assert!(
        err.contains("is a bare name") && err.contains("hint: "),
        "{err}"
    );

    let state = get_json(&dir).await;
    assert_eq!(state["exists"], true);
    let patterns: Vec<(&str, &str)> = state["agents"]["main"]["allowlist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["scope"].as_str().unwrap(), e["pattern"].as_str().unwrap()))
        .collect();
    assert_eq!(
        patterns,
        [("*", "/usr/bin/uname"), ("main", "~/.local/bin/*")]
    );
    assert_eq!(state["file"]["version"], 1);

    let out = rc(&dir).args(["approvals", "get"]).run().await.unwrap();
    let text = out.stdout_str();
    assert!(
        text.contains("Agent main: security=allowlist ask=on-miss askFallback=deny"),
        "{text}"
    );
    assert!(text.contains("/usr/bin/uname (all agents)"), "{text}");

    let out = rc(&dir)
        .args(["approvals", "allowlist", "remove", "/usr/bin/uname"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let out = rc(&dir)
        .args(["approvals", "allowlist", "remove", "/usr/bin/uname"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(
        out.stderr_str()
            .contains("has no allowlist entry /usr/bin/uname"),
        "{}",
        out.stderr_str()
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(approvals_file(&dir)).unwrap()).unwrap();
    assert!(file["agents"].get("*").is_none(), "{file}");
    assert_eq!(
        file["agents"]["main"]["allowlist"][0]["pattern"],
        "~/.local/bin/*"
    );
}

#[tokio::test]
async fn a_broken_approvals_file_is_reported_and_left_alone() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("{}").unwrap();
    let broken = r#"{"version": 1, "agents": {"main": {"allowlist": [{"id": "x"}]}}}"#;
    std::fs::write(approvals_file(&dir), broken).unwrap();
    let out = rc(&dir)
        .args(["approvals", "allowlist", "add", "/usr/bin/uname"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    let err = out.stderr_str();
    assert!(
        err.contains("exec-approvals.json is not a valid exec approvals file")
            && err.contains("agents.main.allowlist[0]"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(approvals_file(&dir)).unwrap(),
        broken
    );
}

#[tokio::test]
async fn agent_runs_allowlisted_host_commands_and_applies_the_fallback_without_a_terminal() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let config = json!({
        "models": {"providers": {"fake": {
            "baseUrl": fake.base_url(),
            "api": "openai-completions",
            "apiKey": "sk-fake-approvals-0000",
            "models": [{"id": "fake-model", "contextWindow": 64000}]
        }}},
        "agents": {"defaults": {
            "workspace": dir.workspace().display().to_string(),
            "model": {"primary": "fake/fake-model"}
        }},
        "tools": {"exec": {"host": "gateway", "security": "allowlist", "ask": "on-miss"}}
    });
    dir.write_config(&config.to_string()).unwrap();
    std::fs::create_dir_all(dir.workspace()).unwrap();
    let uname = std::fs::canonicalize("/usr/bin/uname").unwrap();
    let out = rc(&dir)
        .args(["approvals", "allowlist", "add"])
        .arg(uname.display().to_string())
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    fake.push(Turn::tool_calls([
        ToolCall::new("call_1", "exec", json!({"command": "uname -s"})),
        ToolCall::new("call_2", "exec", json!({"command": "id -u"})),
    ]));
    fake.push(Turn::text("One ran."));
    let out = rc(&dir)
        .args(["agent", "--local", "-m", "who and where am I"])
        .stdin("")
        .run()
        .await
        .unwrap();
    assert!(
        out.success(),
        "stdout: {}\nstderr: {}",
        out.stdout_str(),
        out.stderr_str()
    );
    let second = fake.requests()[1].body.clone().unwrap();
    let results: Vec<String> = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].to_string())
        .collect();
    assert_eq!(results.len(), 2, "{second}");
    assert!(results[0].contains("Linux"), "{}", results[0]);
    assert!(
        results[1].contains("no approver is available (askFallback=deny)"),
        "{}",
        results[1]
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(approvals_file(&dir)).unwrap()).unwrap();
    assert_eq!(
        file["agents"]["*"]["allowlist"][0]["lastUsedCommand"],
        "uname -s"
    );
    fake.assert_no_violations().unwrap();
}
