//! The agent's commands through the real binary, which is its own sandbox helper: escape
//! attempts fail at `strict` with every layer required, and succeed with the sandbox off.

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::{Value, json};

use super::rc;

fn write_config(dir: &TempStateDir, fake: &FakeLlm, sandbox: Value) {
    let config = json!({
        "models": {"providers": {"fake": {
            "baseUrl": fake.base_url(),
            "api": "openai-completions",
            "apiKey": "sk-fake",
            "models": [{"id": "fake-model", "contextWindow": 64000}]
        }}},
        "agents": {"defaults": {
            "workspace": dir.workspace().display().to_string(),
            "model": {"primary": "fake/fake-model"},
            "sandbox": sandbox
        }},
        // These tests run hostile commands on purpose to show the sandbox contains them; the
        // risk guards would stop them first.
        "tools": {"guards": {"mode": "off"}}
    });
    dir.write_config(&config.to_string()).unwrap();
    std::fs::create_dir_all(dir.workspace()).unwrap();
}

/// Runs one exec call through `rustyclaw agent` and returns the tool result fed back.
async fn exec_through_agent(sandbox: Value, command: &str) -> (TempStateDir, String) {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake, sandbox);
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_1",
        "exec",
        json!({ "command": command }),
    )]));
    fake.push(Turn::text("done"));
    let out = rc(&dir)
        .args(["agent", "--local", "-m", "try it"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let requests = fake.requests();
    let result = requests[1].body.clone().unwrap().to_string();
    (dir, result)
}

#[tokio::test]
async fn strict_commands_cannot_escape_and_off_commands_can() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "TOP-SECRET-VALUE").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let command = format!(
        "echo inside > made.txt; cat '{0}/secret.txt' || echo no-secret; \
         (echo pwned > '{0}/pwned.txt') 2>/dev/null && echo wrote-outside || echo no-write; \
         (exec 3<>/dev/tcp/127.0.0.1/{port}) && echo connected || echo no-network; \
         kill -0 {1} && echo reached || echo unreachable",
        outside.path().display(),
        std::process::id()
    );

    let strict = json!({"level": "strict", "require": true});
    let (dir, result) = exec_through_agent(strict, &command).await;
    for expected in ["no-secret", "no-write", "no-network", "unreachable"] {
        assert!(result.contains(expected), "{expected}: {result}");
    }
    assert!(!outside.path().join("pwned.txt").exists());
    assert!(!result.contains("TOP-SECRET-VALUE"), "{result}");
    assert_eq!(
        std::fs::read_to_string(dir.workspace().join("made.txt")).unwrap(),
        "inside\n"
    );

    let (_, result) = exec_through_agent(json!({"mode": "off"}), &command).await;
    for expected in ["TOP-SECRET-VALUE", "wrote-outside", "connected", "reached"] {
        assert!(result.contains(expected), "{expected}: {result}");
    }
    assert!(outside.path().join("pwned.txt").exists());
}

#[tokio::test]
async fn a_fork_bomb_is_contained_and_the_agent_carries_on() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake, json!({"limits": {"maxProcesses": 64}}));
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_1",
        "exec",
        json!({ "command": "bomb() { bomb | bomb & }; bomb; sleep 10", "timeout": 3 }),
    )]));
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_2",
        "exec",
        json!({ "command": "echo still-alive" }),
    )]));
    fake.push(Turn::text("done"));
    let started = std::time::Instant::now();
    let out = rc(&dir)
        .args(["agent", "--local", "-m", "try it"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(out.stdout_str().trim(), "done");
    let requests = fake.requests();
    let bomb = requests[1].body.clone().unwrap().to_string();
    assert!(bomb.contains("Resource temporarily unavailable"), "{bomb}");
    let last = requests[2].body.clone().unwrap().to_string();
    assert!(last.contains("still-alive"), "{last}");
    // Nothing of the bomb is left running on the host.
    let survivors = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|cmdline| String::from_utf8_lossy(cmdline).contains("bomb()"))
        .count();
    assert_eq!(survivors, 0);
}

#[tokio::test]
async fn doctor_lists_the_layers_of_each_level() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir).args(["doctor", "--json"]).run().await.unwrap();
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let sandbox = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sandbox")
        .unwrap();
    assert_eq!(
        sandbox["status"], "ok",
        "CI hosts have every layer: {sandbox}"
    );
    let details: Vec<&str> = sandbox["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(details.contains(
        &"strict: active bubblewrap, pid-namespace, net-namespace, landlock-fs, landlock-net, seccomp, rlimits, cgroup-pids, cgroup-memory"
    ), "{details:?}");
}
