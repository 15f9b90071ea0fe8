//! `rustyclaw agent --local`, `models list` and `sessions show` against the fake LLM.

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn, Usage};
use serde_json::{Value, json};

use super::rc;

/// A config pointing the default agent at `fake`, with the API key from the environment.
fn write_config(dir: &TempStateDir, fake: &FakeLlm) {
    super::write_fake_model_config(dir, fake, "${FAKE_API_KEY}");
}

const KEY: &str = "sk-fake-cli-secret-1234567890";

#[tokio::test]
async fn a_multi_step_task_writes_reads_runs_and_is_stored() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake);
    fake.push(
        Turn::tool_calls([ToolCall::new(
            "call_1",
            "write",
            json!({"path": "plan.md", "content": "1. water plants\n2. call mum\n"}),
        )])
        .with_usage(Usage::new(900, 20)),
    );
    fake.push(
        Turn::tool_calls([ToolCall::new("call_2", "read", json!({"path": "plan.md"}))])
            .with_usage(Usage::new(950, 10)),
    );
    fake.push(
        Turn::tool_calls([ToolCall::new(
            "call_3",
            "exec",
            json!({"command": "grep -c . plan.md"}),
        )])
        .with_usage(Usage::new(990, 10)),
    );
    fake.push(Turn::text_deltas(["The plan ", "has 2 items."]).with_usage(Usage::new(1_020, 6)));

    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args([
            "agent",
            "--local",
            "-m",
            "make a plan file, check it, count its lines",
        ])
        .run()
        .await
        .unwrap();
    assert!(
        out.success(),
        "stdout: {}\nstderr: {}",
        out.stdout_str(),
        out.stderr_str()
    );
    assert_eq!(out.stdout_str().trim(), "The plan has 2 items.");
    let stderr = out.stderr_str();
    assert!(
        stderr.contains("→ write") && stderr.contains("→ exec"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.workspace().join("plan.md")).unwrap(),
        "1. water plants\n2. call mum\n"
    );
    fake.assert_no_violations().unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(
        requests[0]
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str()),
        Some(format!("Bearer {KEY}").as_str())
    );
    let last = requests[3].body.clone().unwrap().to_string();
    assert!(last.contains("water plants"), "read result fed back");

    // The transcript is stored and readable.
    let out = rc(&dir)
        .args(["sessions", "show", "agent:main:main", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let lines: Vec<Value> = serde_json::from_str(&out.stdout_str()).unwrap();
    let roles: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["message"]["role"].as_str())
        .collect();
    assert_eq!(
        roles,
        [
            "user",
            "assistant",
            "toolResult",
            "assistant",
            "toolResult",
            "assistant",
            "toolResult",
            "assistant"
        ]
    );
    assert_eq!(lines[0]["type"], "session");
    let results: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"]["role"] == "toolResult")
        .collect();
    assert!(results.iter().all(|r| r["message"]["isError"] == false));
    assert!(
        results[2]["message"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains('2')
    );

    let out = rc(&dir)
        .args(["sessions", "show", "agent:main:main"])
        .run()
        .await
        .unwrap();
    let text = out.stdout_str();
    assert!(
        text.contains("user: make a plan file") && text.contains("tool exec ok"),
        "{text}"
    );

    // The key never reaches the transcript, the logs or the output.
    let everything = format!(
        "{}{}{}",
        out.stdout_str(),
        out.stderr_str(),
        serde_json::to_string(&lines).unwrap()
    );
    assert!(!everything.contains(KEY));
    for entry in std::fs::read_dir(dir.state_dir().join("logs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(!log.contains(KEY), "key in {}", entry.path().display());
    }

    // A second turn continues the same session.
    fake.push(Turn::text("Still here."));
    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args(["agent", "--local", "-m", "still there?", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let result: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(result["status"], "done");
    assert_eq!(result["reply"], "Still here.");
    assert_eq!(result["sessionKey"], "agent:main:main");
    let history = fake.requests()[4].body.clone().unwrap();
    assert!(
        history["messages"].as_array().unwrap().len() > 8,
        "history sent"
    );
}

#[tokio::test]
async fn session_ids_and_failures_are_reported() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake);
    fake.push(Turn::text("Hi from a named session."));
    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args(["agent", "--local", "--session-id", "demo-1", "-m", "hello"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert_eq!(out.stdout_str().trim(), "Hi from a named session.");
    let out = rc(&dir)
        .args(["sessions", "list", "--json"])
        .run()
        .await
        .unwrap();
    let list: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(list["sessions"][0]["key"], "agent:main:explicit:demo-1");
    assert_eq!(list["sessions"][0]["entry"]["sessionId"], "demo-1");

    // A provider error: exit 1, one line naming what failed.
    fake.push(Turn::error(401).message("invalid api key"));
    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args(["agent", "--local", "--session-id", "demo-1", "-m", "again"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr_str().contains("invalid api key"),
        "{}",
        out.stderr_str()
    );

    // Bad flags are user errors.
    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args(["agent", "--local", "--thinking", "loud", "-m", "x"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(
        out.stderr_str().contains("--thinking"),
        "{}",
        out.stderr_str()
    );
}

#[tokio::test]
async fn models_list_merges_the_catalog_and_the_config() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake);
    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args(["models", "list", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let list: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let models = list["models"].as_array().unwrap();
    let fake_model = models
        .iter()
        .find(|m| m["key"] == "fake/fake-model")
        .unwrap();
    assert_eq!(fake_model["default"], true);
    assert_eq!(fake_model["available"], true);
    assert_eq!(fake_model["contextWindow"], 64000);
    let anthropic = models
        .iter()
        .find(|m| m["provider"] == "anthropic")
        .unwrap();
    assert_eq!(
        anthropic["available"], false,
        "no ANTHROPIC_API_KEY in the test env"
    );
    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args(["models", "list", "--provider", "fake"])
        .run()
        .await
        .unwrap();
    let text = out.stdout_str();
    assert!(
        text.contains("fake/fake-model") && text.contains("default") && !text.contains("anthropic"),
        "{text}"
    );
}
