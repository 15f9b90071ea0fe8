//! `rustyclaw gateway run` applies a config written over the protocol or edited on disk: a
//! change to models or agents applies to the next turn with every client still connected; a
//! change to the listener restarts the gateway in-process, telling its clients first.
//! `logs.tail` reads the gateway's own log file.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{FAKE_API_KEY, fake_llm_config, free_port, rc, start_gateway, wait_for_starts};

const TOKEN: &str = "e2e-restart-token-456";

async fn call(dir: &TempStateDir, url: &str, method: &str, params: Value) -> Value {
    super::gateway_call(dir, url, TOKEN, method, params).await
}

/// `config.patch` with `patch`, based on the config as it is now; the write's answer.
async fn patch_config(dir: &TempStateDir, url: &str, patch: &Value) -> Value {
    let snapshot = call(dir, url, "config.get", json!({})).await;
    assert!(!snapshot.to_string().contains(TOKEN), "{snapshot}");
    call(
        dir,
        url,
        "config.patch",
        json!({"raw": patch.to_string(), "baseHash": snapshot["hash"]}),
    )
    .await
}

fn model_ids(list: &Value) -> Vec<String> {
    list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An operator connected over WebSocket, as the Control UI or the TUI stays connected.
async fn operator(url: &str) -> Socket {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let challenge = next_json(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(challenge["event"], "connect.challenge", "{challenge}");
    let frame = json!({"type": "req", "id": "c", "method": "connect", "params": {
        "minProtocol": 4, "maxProtocol": 4,
        "client": {"id": "cli", "version": "e2e", "platform": "linux", "mode": "cli"},
        "role": "operator", "scopes": ["operator.read"], "auth": {"token": TOKEN}}});
    ws.send(Message::text(frame.to_string())).await.unwrap();
    let hello = next_json(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(hello["payload"]["type"], "hello-ok", "{hello}");
    ws
}

/// The next JSON frame within `limit`; `None` when the socket closed or nothing came.
async fn next_json(ws: &mut Socket, limit: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).ok(),
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) | Err(_) => return None,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Every event the socket received until it was quiet for `quiet`, and whether it is still
/// open (a `health` request on it is answered).
async fn drain_and_ping(ws: &mut Socket, quiet: Duration) -> (Vec<String>, bool) {
    let mut events = Vec::new();
    while let Some(frame) = next_json(ws, quiet).await {
        if let Some(event) = frame["event"].as_str() {
            events.push(event.to_owned());
        }
    }
    let ping = json!({"type": "req", "id": "ping", "method": "health", "params": {}});
    if ws.send(Message::text(ping.to_string())).await.is_err() {
        return (events, false);
    }
    while let Some(frame) = next_json(ws, Duration::from_secs(5)).await {
        if frame["id"] == "ping" {
            return (events, frame["ok"] == true);
        }
        if let Some(event) = frame["event"].as_str() {
            events.push(event.to_owned());
        }
    }
    (events, false)
}

#[tokio::test]
async fn a_config_patch_applies_to_the_next_turn_with_clients_still_connected() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["models"]["mode"] = json!("replace");
    config["gateway"]["port"] = json!(port);
    dir.write_config(&config.to_string()).unwrap();
    let (server, url) = start_gateway(&dir, &[]).await;
    let mut watching = operator(&url).await;

    let before = call(&dir, &url, "models.list", json!({})).await;
    assert!(
        !model_ids(&before).contains(&"second-model".to_owned()),
        "{before}"
    );

    // A model added and made the default: agents and models apply without a restart.
    // Object arrays merge by `id`: this adds a model and keeps `fake-model`.
    let patch = json!({
        "models": {"providers": {"fake": {
            "models": [{"id": "second-model", "contextWindow": 8000}]
        }}},
        "agents": {"defaults": {"model": {"primary": "fake/second-model"}}}
    });
    let written = patch_config(&dir, &url, &patch).await;
    assert_eq!(written["changed"], true, "{written}");
    assert!(written["restart"].is_null(), "{written}");

    // The next turn runs on the new default model.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let after = call(&dir, &url, "models.list", json!({})).await;
        if model_ids(&after).contains(&"second-model".to_owned()) {
            assert!(
                model_ids(&after).contains(&"fake-model".to_owned()),
                "{after}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the patch never applied: {after}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fake.push(Turn::text("answered by the second model"));
    let out = rc(&dir)
        .args(["agent", "-m", "which model?"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert_eq!(out.stdout_str().trim(), "answered by the second model");
    let asked = fake.requests();
    assert_eq!(asked.last().unwrap().model(), Some("second-model"));

    // The operator connected before the change is still connected, and was never told to go.
    let (events, open) = drain_and_ping(&mut watching, Duration::from_millis(500)).await;
    assert!(open, "the operator's socket closed: {events:?}");
    assert!(!events.iter().any(|e| e == "shutdown"), "{events:?}");
    assert_eq!(
        server
            .stdout()
            .matches("gateway listening on ws://")
            .count(),
        1,
        "the gateway restarted for a change that needs no restart"
    );
    let file = std::fs::read_to_string(dir.config_path()).unwrap();
    assert!(file.contains(FAKE_API_KEY) && file.contains(TOKEN));

    // The gateway's log file records how the change was applied, and `logs.tail` reads it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tail = call(&dir, &url, "logs.tail", json!({"limit": 200})).await;
        let file = tail["file"].as_str().unwrap().to_owned();
        assert!(
            file.starts_with(&dir.state_dir().join("logs").display().to_string()),
            "{file}"
        );
        let lines = tail["lines"].as_array().unwrap();
        if lines.iter().any(|l| {
            l.as_str()
                .unwrap()
                .contains("config applied without a restart")
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing applied in the log: {tail}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Moving the listener restarts the gateway: clients are told, and it listens anew.
    let moved = free_port();
    let patch = json!({"gateway": {"port": moved}});
    let written = patch_config(&dir, &url, &patch).await;
    assert_eq!(written["restart"]["reason"], "config.patch", "{written}");
    let mut told = None;
    while let Some(frame) = next_json(&mut watching, Duration::from_secs(10)).await {
        if frame["event"] == "shutdown" {
            told = Some(frame);
            break;
        }
    }
    let told = told.expect("no shutdown event before the restart");
    assert!(
        told["payload"]["restartExpectedMs"].as_u64().is_some(),
        "{told}"
    );
    wait_for_starts(&server, 2).await;
    assert!(
        server
            .stdout()
            .contains(&format!("gateway listening on ws://127.0.0.1:{moved}")),
        "{}",
        server.stdout()
    );

    let pid = rustix::process::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let output = server.wait().await.unwrap();
    assert!(output.success(), "{}", output.stderr_str());
}

#[tokio::test]
async fn an_edit_of_the_config_file_is_applied_and_a_loosening_announced() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["models"]["mode"] = json!("replace");
    config["gateway"]["reload"] = json!({"debounceMs": 50});
    dir.write_config(&config.to_string()).unwrap();
    let (server, url) = start_gateway(&dir, &["--port", "0"]).await;

    // Saved the way editors do: a new file renamed over the old one.
    config["models"]["providers"]["fake"]["models"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "edited-model", "contextWindow": 8000}));
    config["agents"]["defaults"]["sandbox"] = json!({"mode": "off"});
    let staged = dir.config_path().with_extension("json.tmp");
    std::fs::write(&staged, config.to_string()).unwrap();
    std::fs::rename(&staged, dir.config_path()).unwrap();

    // Applied in place: no restart.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let after = call(&dir, &url, "models.list", json!({})).await;
        if model_ids(&after).contains(&"edited-model".to_owned()) {
            break;
        }
        assert!(Instant::now() < deadline, "the edit never applied: {after}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = rc(&dir).args(["audit", "--json"]).run().await.unwrap();
    assert!(
        out.stdout_str().contains("config.weakened") && out.stdout_str().contains("file"),
        "{}",
        out.stdout_str()
    );

    // gateway.reload.mode "off" (itself applied in place) leaves later edits for the next start.
    config["gateway"]["reload"] = json!({"mode": "off"});
    std::fs::write(dir.config_path(), config.to_string()).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    config["models"]["providers"]["fake"]["models"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "ignored-model", "contextWindow": 8000}));
    std::fs::write(dir.config_path(), config.to_string()).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = call(&dir, &url, "models.list", json!({})).await;
    assert!(
        !model_ids(&after).contains(&"ignored-model".to_owned()),
        "an edit applied with reload off: {after}"
    );
    assert_eq!(
        server
            .stdout()
            .matches("gateway listening on ws://")
            .count(),
        1,
        "restarted for edits that need no restart"
    );

    let pid = rustix::process::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let output = server.wait().await.unwrap();
    assert!(output.success(), "{}", output.stderr_str());
}

#[tokio::test]
async fn a_restart_the_new_config_cannot_make_keeps_the_gateway_serving() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(free_port());
    dir.write_config(&config.to_string()).unwrap();
    let (server, url) = start_gateway(&dir, &[]).await;
    let mut watching = operator(&url).await;

    // Another program holds the port the gateway is moved to.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let patch = json!({"gateway": {"port": taken_port}});
    let written = patch_config(&dir, &url, &patch).await;
    assert_eq!(written["restart"]["reason"], "config.patch", "{written}");

    // The gateway says why and goes on serving its clients with the running config.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .stderr()
        .contains("the gateway cannot restart with the new config")
    {
        assert!(Instant::now() < deadline, "{}", server.stderr());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (events, open) = drain_and_ping(&mut watching, Duration::from_millis(300)).await;
    assert!(open, "the operator's socket closed: {events:?}");
    assert!(!events.iter().any(|e| e == "shutdown"), "{events:?}");
    assert_eq!(
        server
            .stdout()
            .matches("gateway listening on ws://")
            .count(),
        1
    );
    // Still answering where it was (the CLI's own config now names the taken port).
    let health = call(&dir, &url, "health", json!({})).await;
    assert_eq!(health["ok"], true, "{health}");
    drop(taken);

    let pid = rustix::process::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let output = server.wait().await.unwrap();
    assert!(output.success(), "{}", output.stderr_str());
}
