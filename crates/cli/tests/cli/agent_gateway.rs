//! `rustyclaw agent` through a running `rustyclaw gateway run` (the default), its in-process
//! fallback when no gateway listens, and `rustyclaw gateway status` both ways.

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::{Value, json};

use super::{fake_llm_config, free_port, rc, start_gateway};

const TOKEN: &str = "agent-gateway-token-777";

/// A config with the fake LLM, a token and the gateway on `port`.
fn write_config(dir: &TempStateDir, fake: &FakeLlm, port: u16) {
    let mut config = fake_llm_config(dir, fake, TOKEN);
    config["gateway"]["port"] = json!(port);
    dir.write_config(&config.to_string()).unwrap();
}

#[tokio::test]
async fn agent_runs_through_the_gateway_and_the_gateway_stores_the_turn() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    write_config(&dir, &fake, port);
    let mut server = start_gateway(&dir, &[]).await.0;
    fake.push(Turn::text_deltas(["Streamed ", "through ", "the gateway."]));
    fake.push(Turn::text_deltas(["Second ", "answer."]));

    let out = rc(&dir)
        .args(["agent", "-m", "hello gateway", "--session-id", "gw-1"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}\n{}", out.stdout_str(), out.stderr_str());
    assert_eq!(out.stdout_str().trim(), "Streamed through the gateway.");
    assert!(
        !out.stderr_str().contains("no gateway"),
        "{}",
        out.stderr_str()
    );

    // --json reports the run as the gateway's, in the same session.
    let out = rc(&dir)
        .args(["agent", "-m", "again", "--session-id", "gw-1", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(report["via"], "gateway", "{report}");
    assert_eq!(report["status"], "done", "{report}");
    assert_eq!(report["reply"], "Second answer.", "{report}");
    assert_eq!(report["sessionKey"], "agent:main:explicit:gw-1", "{report}");

    // The gateway process holds both turns: its chat.history shows them.
    let out = rc(&dir)
        .args([
            "gateway",
            "call",
            "chat.history",
            "--params",
            r#"{"sessionKey":"agent:main:explicit:gw-1"}"#,
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let history = out.stdout_str();
    for text in [
        "hello gateway",
        "Streamed through the gateway.",
        "again",
        "Second answer.",
    ] {
        assert!(history.contains(text), "{text} missing from {history}");
    }

    // gateway status sees it, with the sessions it stored.
    let out = rc(&dir)
        .args(["gateway", "status", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let status: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(status["reachable"], true, "{status}");
    assert_eq!(status["url"], format!("ws://127.0.0.1:{port}"), "{status}");
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"), "{status}");
    assert!(status["uptimeMs"].as_u64().is_some(), "{status}");
    assert!(status["clients"].as_u64().unwrap() >= 1, "{status}");
    assert_eq!(status["sessions"], 1, "{status}");

    let out = rc(&dir).args(["gateway", "status"]).run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let text = out.stdout_str();
    assert!(
        text.contains(&format!("Gateway: reachable at ws://127.0.0.1:{port}")),
        "{text}"
    );
    assert!(text.contains("Sessions: 1"), "{text}");
    server.kill().await.unwrap();
}

#[tokio::test]
async fn without_a_gateway_agent_runs_in_process_and_status_says_unreachable() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    write_config(&dir, &fake, port);
    fake.push(Turn::text_deltas(["Local ", "fallback."]));

    let out = rc(&dir).args(["agent", "-m", "hi"]).run().await.unwrap();
    assert!(out.success(), "{}\n{}", out.stdout_str(), out.stderr_str());
    assert_eq!(out.stdout_str().trim(), "Local fallback.");
    let stderr = out.stderr_str();
    assert!(
        stderr.contains(&format!("no gateway at ws://127.0.0.1:{port}"))
            && stderr.contains("in this process"),
        "{stderr}"
    );
    // The in-process run stored the turn in the state dir.
    let out = rc(&dir)
        .args(["sessions", "list", "--json"])
        .run()
        .await
        .unwrap();
    assert!(
        out.stdout_str().contains("agent:main:main"),
        "{}",
        out.stdout_str()
    );

    let out = rc(&dir)
        .args(["gateway", "status", "--json"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1), "{}", out.stderr_str());
    let status: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(status["reachable"], false, "{status}");
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("refused"),
        "{status}"
    );
    let out = rc(&dir).args(["gateway", "status"]).run().await.unwrap();
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stdout_str()
            .contains(&format!("Gateway: unreachable at ws://127.0.0.1:{port}")),
        "{}",
        out.stdout_str()
    );
}
