//! Conformance with OpenClaw's own CLI: `rustyclaw gateway run` with the fake LLM, driven by the
//! pinned official `openclaw` (installed by `scripts/conformance-deps.sh`), each command checked
//! on its output.

use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::conformance::OfficialCli;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::{Value, json};

use super::{fake_llm_config, rc, start_gateway};

const TOKEN: &str = "conformance-token-4242";

#[tokio::test]
async fn the_official_cli_drives_the_gateway() {
    let cli = OfficialCli::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text_deltas(["Conformance ", "reply."]));
    let (_server, url) = serve(&dir, &fake).await;
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

/// `rustyclaw gateway run --port 0` over `dir` with the fake LLM; returns the server and its URL.
async fn serve(
    dir: &TempStateDir,
    fake: &FakeLlm,
) -> (rustyclaw_testkit::bin::RunningChild, String) {
    let config = fake_llm_config(dir, fake, TOKEN);
    dir.write_config(&config.to_string()).unwrap();
    start_gateway(dir, &["--port", "0"]).await
}

/// `openclaw tui … --message …` in a pseudo-terminal until its screen shows the fake's reply
/// (or `timeout`); the screen then.
async fn tui(cli: &OfficialCli, url: &str, message: &str, timeout: Duration) -> String {
    let state = TempStateDir::new().unwrap();
    state
        .write_config(r#"{ "update": { "checkOnStart": false }, "discovery": { "mdns": { "mode": "off" } } }"#)
        .unwrap();
    let tui = rustyclaw_testkit::Tui::start(
        cli,
        &state,
        ["tui", "--url", url, "--token", TOKEN, "--message", message],
    )
    .unwrap();
    let screen = match tui
        .wait_for("the reply", timeout, |s| {
            s.contains("TUI reply from the fake")
        })
        .await
    {
        Ok(screen) => screen,
        Err(error) => error.to_string(),
    };
    tui.close().await;
    screen
}

#[tokio::test]
async fn the_official_cli_runs_turns_lists_models_and_reports_status() {
    let cli = OfficialCli::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let (_server, url) = serve(&dir, &fake).await;
    let env = [
        ("OPENCLAW_GATEWAY_URL", url.as_str()),
        ("OPENCLAW_GATEWAY_TOKEN", TOKEN),
    ];
    let run = |args: &'static [&'static str]| {
        let cli = &cli;
        let env = &env;
        async move {
            let out = cli.run(args, env, Duration::from_secs(90)).await.unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                out.status.success(),
                "openclaw {args:?}: {stdout}\n{stderr}"
            );
            stdout
        }
    };

    // gateway call status --json: our version; the CLI asks with read scope, so session
    // details are redacted as upstream's are.
    let status: Value =
        serde_json::from_str(&run(&["gateway", "call", "status", "--json"]).await).unwrap();
    assert_eq!(
        status["runtimeVersion"],
        env!("CARGO_PKG_VERSION"),
        "{status}"
    );
    assert_eq!(
        status["sessions"]["byAgent"][0]["path"], "[redacted]",
        "{status}"
    );
    assert_eq!(status["heartbeat"]["defaultAgentId"], "main", "{status}");

    // openclaw agent: one turn through the `agent` method, the reply printed.
    fake.push(Turn::text_deltas(["Official ", "agent reply."]));
    let out = run(&[
        "agent",
        "--message",
        "hello from the official agent",
        "--session-id",
        "official-1",
    ])
    .await;
    assert!(out.contains("Official agent reply."), "{out}");
    // The gateway stored the turn under the session id's explicit key.
    let history = run(&[
        "gateway",
        "call",
        "chat.history",
        "--json",
        "--params",
        r#"{"sessionKey":"agent:main:explicit:official-1"}"#,
    ])
    .await;
    assert!(
        history.contains("hello from the official agent")
            && history.contains("Official agent reply."),
        "{history}"
    );
    let sessions = rc(&dir)
        .args(["sessions", "list", "--json"])
        .run()
        .await
        .unwrap();
    assert!(
        sessions
            .stdout_str()
            .contains("agent:main:explicit:official-1"),
        "{}",
        sessions.stdout_str()
    );

    // openclaw logs: the gateway's log lines, parsed as OpenClaw parses its own: connections
    // and runs with their ids and durations, never the text of a turn or a credential.
    let logs = run(&["logs", "--plain", "--utc", "--limit", "200"]).await;
    for expected in [
        "client connected",
        "client disconnected",
        "run started",
        "run finished",
        "status=done",
        "model=fake/fake-model",
    ] {
        assert!(logs.contains(expected), "{expected:?} missing from: {logs}");
    }
    for leaked in [
        "hello from the official agent",
        "Official agent reply",
        TOKEN,
        "{\"time\"",
    ] {
        assert!(!logs.contains(leaked), "{leaked:?} in: {logs}");
    }

    // openclaw models list: asks models.list of a gateway announcing `published-model-catalog`.
    let models = run(&["models", "list"]).await;
    assert!(
        models
            .lines()
            .any(|l| l.starts_with("fake/fake-model") && l.contains("64k")),
        "{models}"
    );

    // openclaw status: the gateway is reachable at our URL with token auth.
    let status = run(&["status"]).await;
    let gateway_row = status
        .lines()
        .find(|l| l.contains("│ Gateway ") && l.contains(url.as_str()))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(
        gateway_row.contains("reachable") && gateway_row.contains("auth token"),
        "{status}"
    );
    assert!(
        status
            .lines()
            .any(|l| l.contains("│ Agents ") && l.contains("default main")),
        "{status}"
    );
    // openclaw status --json: the agents' session counts come from `status.sessions.byAgent`
    // (one session so far: the `openclaw agent` turn above).
    let json: Value = serde_json::from_str(&run(&["status", "--json"]).await).unwrap();
    let text = json.to_string();
    assert!(text.contains("\"sessionsCount\":1"), "{json:#}");

    // openclaw tui --message: the fake's reply appears on its screen.
    fake.push(Turn::text_deltas(["TUI reply ", "from the fake."]));
    let screen = tui(&cli, &url, "hello from the tui", Duration::from_secs(60)).await;
    assert!(screen.contains("hello from the tui"), "{screen}");
    assert!(screen.contains("TUI reply from the fake."), "{screen}");
}
