//! Conformance with OpenClaw's own CLI: `rustyclaw gateway run` with the fake LLM, driven by the
//! pinned official `openclaw` (installed by `scripts/conformance-deps.sh`), each command checked
//! on its output.

use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::bin::Stream;
use rustyclaw_testkit::conformance::OfficialCli;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::{Value, json};

use super::rc;

const TOKEN: &str = "conformance-token-4242";

#[tokio::test]
async fn the_official_cli_drives_the_gateway() {
    let cli = OfficialCli::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    std::fs::create_dir_all(dir.workspace()).unwrap();
    let config = json!({
        "gateway": {"auth": {"mode": "token", "token": TOKEN}},
        "models": {"providers": {"fake": {
            "baseUrl": fake.base_url(),
            "api": "openai-completions",
            "apiKey": "sk-fake-conformance",
            "models": [{"id": "fake-model", "contextWindow": 64000}]
        }}},
        "agents": {"defaults": {
            "workspace": dir.workspace().display().to_string(),
            "model": {"primary": "fake/fake-model"}
        }}
    });
    dir.write_config(&config.to_string()).unwrap();
    fake.push(Turn::text_deltas(["Conformance ", "reply."]));

    let _server_guard;
    let url = {
        let server = rc(&dir)
            .args(["gateway", "run", "--port", "0"])
            .spawn()
            .unwrap();
        let line = server
            .wait_for_line(
                Stream::Stdout,
                |l| l.contains("gateway listening on ws://"),
                Duration::from_secs(20),
            )
            .await
            .unwrap();
        _server_guard = server;
        line.split_whitespace().last().unwrap().to_owned()
    };
    let env = [
        ("OPENCLAW_GATEWAY_URL", url.as_str()),
        ("OPENCLAW_GATEWAY_TOKEN", TOKEN),
    ];
    let call = |method: &'static str, params: Option<Value>| {
        let cli = &cli;
        let env = &env;
        async move {
            let params = params.map(|p| p.to_string());
            let mut args = vec!["gateway", "call", method, "--json"];
            if let Some(p) = params.as_deref() {
                args.extend(["--params", p]);
            }
            let out = cli.run(&args, env, Duration::from_secs(60)).await.unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "openclaw gateway call {method}: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_str::<Value>(&stdout)
                .unwrap_or_else(|e| panic!("{method}: {e}: {stdout}"))
        }
    };

    let health = call("health", None).await;
    assert_eq!(health["ok"], true, "{health}");
    assert_eq!(health["defaultAgentId"], "main", "{health}");

    let models = call("models.list", None).await;
    let ids: Vec<&str> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.contains(&"fake-model"), "{models}");

    let sent = call(
        "chat.send",
        Some(json!({"sessionKey": "agent:main:main", "message": "hello", "idempotencyKey": "conf-1"})),
    )
    .await;
    assert!(sent["runId"].is_string(), "{sent}");
    // The reply lands in the transcript; chat.history shows it once the run is over.
    let mut history = Value::Null;
    for _ in 0..50 {
        history = call(
            "chat.history",
            Some(json!({"sessionKey": "agent:main:main"})),
        )
        .await;
        if history["messages"].as_array().is_some_and(|m| m.len() >= 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        history.to_string().contains("Conformance reply."),
        "{history}"
    );

    let sessions = call("sessions.list", None).await;
    assert!(
        sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["key"] == "agent:main:main"),
        "{sessions}"
    );

    let out = cli
        .run(&["health"], &env, Duration::from_secs(60))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Agents: main (default)"), "{text}");
}
