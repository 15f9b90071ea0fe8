//! `rustyclaw gateway run` end to end: a real server process with the fake LLM, driven by a Rust
//! WebSocket client and by `rustyclaw gateway call` / `rustyclaw health`, then stopped with
//! SIGTERM.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{fake_llm_config, rc, start_gateway};

const TOKEN: &str = "e2e-gateway-token-123";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("no frame within 20 s")
            .expect("socket ended")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn gateway_run_serves_chat_and_stops_on_sigterm() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let config = fake_llm_config(&dir, &fake, TOKEN);
    dir.write_config(&config.to_string()).unwrap();
    fake.push(Turn::text_deltas(["Hello ", "from ", "rustyclaw."]));

    let (server, url) = start_gateway(&dir, &["--port", "0"]).await;

    // The Rust client: handshake as the CLI does, then one chat turn.
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["event"], "connect.challenge");
    let connect = json!({"type": "req", "id": "c", "method": "connect", "params": {
        "minProtocol": 4, "maxProtocol": 4,
        "client": {"id": "cli", "version": "e2e", "platform": "linux", "mode": "cli"},
        "role": "operator", "scopes": ["operator.read", "operator.write"], "auth": {"token": TOKEN}}});
    ws.send(Message::text(connect.to_string())).await.unwrap();
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["payload"]["type"], "hello-ok", "{hello}");
    let send = json!({"type": "req", "id": "s", "method": "chat.send", "params": {
        "sessionKey": "agent:main:e2e", "message": "hi", "idempotencyKey": "e2e-run"}});
    ws.send(Message::text(send.to_string())).await.unwrap();
    let mut final_text = None;
    let mut last_seq = 0;
    while final_text.is_none() {
        let frame = next_json(&mut ws).await;
        if frame["type"] == "event" {
            let seq = frame["seq"].as_u64().unwrap();
            assert!(seq > last_seq, "seq {seq} after {last_seq}");
            last_seq = seq;
        }
        if frame["event"] == "chat" && frame["payload"]["state"] == "final" {
            final_text = frame["payload"]["message"]["content"][0]["text"]
                .as_str()
                .map(str::to_owned);
        }
    }
    assert_eq!(final_text.as_deref(), Some("Hello from rustyclaw."));

    // The CLI client reads the same session back.
    let out = rc(&dir)
        .args([
            "gateway",
            "call",
            "chat.history",
            "--url",
            &url,
            "--token",
            TOKEN,
            "--params",
        ])
        .arg(json!({"sessionKey": "agent:main:e2e"}).to_string())
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let history: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(
        history["messages"][1]["content"][0]["text"],
        "Hello from rustyclaw."
    );

    // `health` takes the token from the environment, as OpenClaw's CLI does.
    let out = rc(&dir)
        .env("OPENCLAW_GATEWAY_TOKEN", TOKEN)
        .args(["health", "--url", &url])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str().starts_with("Gateway: ok"),
        "{}",
        out.stdout_str()
    );
    let out = rc(&dir)
        .args([
            "gateway", "call", "health", "--url", &url, "--token", "wrong",
        ])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(
        out.stderr_str().contains("gateway token mismatch"),
        "{}",
        out.stderr_str()
    );

    // SIGTERM: the client gets `shutdown`, the process exits 0 within a second.
    let pid = rustix::process::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap()).unwrap();
    let stopped_at = Instant::now();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    // The `gateway call`s above came and went: their presence events may arrive first.
    let mut shutdown = next_json(&mut ws).await;
    while shutdown["event"] == "presence" {
        shutdown = next_json(&mut ws).await;
    }
    assert_eq!(shutdown["event"], "shutdown", "{shutdown}");
    let output = server.wait().await.unwrap();
    assert!(output.success(), "{}", output.stderr_str());
    assert!(
        stopped_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        stopped_at.elapsed()
    );
}
