//! A run whose gateway dies, hangs or goes mute is never a silent loss: `rustyclaw agent`
//! fails with the run's id and how to find its outcome, the next gateway reports the run as
//! interrupted (`agent.wait`), a retried key restarts an interrupted run, a finished run's key
//! replayed after a restart is answered from the run ledger instead of running twice, and the
//! CLI never falls back to running the turn itself while a gateway may own the session.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{fake_llm_config, free_port, rc, start_gateway};

const TOKEN: &str = "lost-runs-token-4242";

fn write_config(dir: &TempStateDir, fake: &FakeLlm, port: u16) {
    let mut config = fake_llm_config(dir, fake, TOKEN);
    config["gateway"]["port"] = json!(port);
    dir.write_config(&config.to_string()).unwrap();
}

/// `rustyclaw gateway call <method> --params <params>`, parsed.
async fn call(dir: &TempStateDir, method: &str, params: Value) -> Value {
    let out = rc(dir)
        .args(["gateway", "call", method, "--params", &params.to_string()])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{method}: {}", out.stderr_str());
    serde_json::from_str(&out.stdout_str()).unwrap()
}

/// The run id `rustyclaw agent` named in its error.
fn run_id_in(stderr: &str) -> String {
    let start = stderr.find("run ").expect(stderr) + 4;
    stderr[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_run_in_flight_when_the_gateway_is_killed_is_reported_interrupted_and_can_be_retried() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    write_config(&dir, &fake, port);
    let mut server = start_gateway(&dir, &[]).await.0;
    // The model takes long enough for the gateway to be killed mid-turn.
    fake.push(Turn::text("too late").response_delay(Duration::from_secs(60)));

    let agent = rc(&dir)
        .args(["agent", "-m", "a question in flight"])
        .spawn()
        .unwrap();
    fake.wait_for_requests(1, Duration::from_secs(30))
        .await
        .unwrap();
    server.kill().await.unwrap();

    let out = tokio::time::timeout(Duration::from_secs(30), agent.wait())
        .await
        .expect("rustyclaw agent hung after its gateway was killed")
        .unwrap();
    let stderr = out.stderr_str().into_owned();
    assert_eq!(out.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("lost the gateway while run") && stderr.contains("agent.wait"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("in this process"),
        "fell back to a local run: {stderr}"
    );
    let run_id = run_id_in(&stderr);

    // The next gateway knows the run ended without a reply.
    let mut server = start_gateway(&dir, &[]).await.0;
    let waited = call(
        &dir,
        "agent.wait",
        json!({"runId": run_id, "timeoutMs": 5000}),
    )
    .await;
    assert_eq!(waited["status"], "error", "{waited}");
    assert!(
        waited["error"].as_str().unwrap().contains("interrupted"),
        "{waited}"
    );

    // Retrying the same key runs the turn again: it never answered.
    fake.push(Turn::text("answered on retry"));
    let answered = call(
        &dir,
        "agent",
        json!({"message": "a question in flight", "idempotencyKey": run_id, "agentId": "main"}),
    )
    .await;
    assert_eq!(answered["status"], "ok", "{answered}");
    assert_eq!(
        answered.pointer("/result/payloads/0/text"),
        Some(&json!("answered on retry")),
        "{answered}"
    );
    let waited = call(
        &dir,
        "agent.wait",
        json!({"runId": run_id, "timeoutMs": 20000}),
    )
    .await;
    assert_eq!(waited["status"], "ok", "{waited}");
    assert_eq!(fake.request_count(), 2);
    server.kill().await.unwrap();
}

#[tokio::test]
async fn a_finished_run_replayed_after_a_restart_is_answered_not_run_again() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    write_config(&dir, &fake, port);
    let mut server = start_gateway(&dir, &[]).await.0;
    fake.push(Turn::text("the only answer"));
    let accepted = call(
        &dir,
        "chat.send",
        json!({"sessionKey": "agent:main:main", "message": "once", "idempotencyKey": "key-1"}),
    )
    .await;
    assert_eq!(accepted["status"], "started", "{accepted}");
    let waited = call(
        &dir,
        "agent.wait",
        json!({"runId": "key-1", "timeoutMs": 20000}),
    )
    .await;
    assert_eq!(waited["status"], "ok", "{waited}");
    server.kill().await.unwrap();

    let mut server = start_gateway(&dir, &[]).await.0;
    let waited = call(
        &dir,
        "agent.wait",
        json!({"runId": "key-1", "timeoutMs": 5000}),
    )
    .await;
    assert_eq!(waited["status"], "ok", "{waited}");
    let replayed = call(
        &dir,
        "chat.send",
        json!({"sessionKey": "agent:main:main", "message": "once", "idempotencyKey": "key-1"}),
    )
    .await;
    assert_eq!(replayed["status"], "ok", "{replayed}");
    let replayed = call(
        &dir,
        "agent",
        json!({"message": "once", "idempotencyKey": "key-1", "agentId": "main"}),
    )
    .await;
    assert_eq!(replayed["status"], "ok", "{replayed}");
    assert_eq!(
        replayed.pointer("/result/payloads/0/text"),
        Some(&json!("the only answer")),
        "{replayed}"
    );
    assert_eq!(
        fake.request_count(),
        1,
        "the replayed key ran a second turn"
    );
    server.kill().await.unwrap();
}

#[tokio::test]
async fn agent_gives_up_on_a_gateway_that_accepts_but_never_answers() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    // A socket that is listened on but never accepted: the TCP handshake completes in the
    // kernel, nothing ever answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    write_config(&dir, &fake, listener.local_addr().unwrap().port());

    let started = Instant::now();
    let out = rc(&dir)
        .args(["agent", "-m", "anyone there?"])
        .timeout(Duration::from_secs(60))
        .run()
        .await
        .unwrap();
    let stderr = out.stderr_str();
    assert!(!out.success(), "{stderr}");
    assert!(stderr.contains("no answer from"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(40), "{stderr}");
    assert_eq!(
        fake.request_count(),
        0,
        "ran the turn in-process beside a gateway that may own the session"
    );
    drop(listener);
}

/// A gateway that completes the handshake (announcing a half-second tick) and then never
/// sends another frame.
async fn mute_gateway() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let challenge = json!({"type": "event", "event": "connect.challenge",
                    "payload": {"nonce": "n-1", "ts": 1}});
                let _ = ws.send(Message::text(challenge.to_string())).await;
                while let Some(Ok(message)) = ws.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                    if frame["method"] == "connect" {
                        let hello = json!({"type": "res", "id": frame["id"], "ok": true,
                            "payload": {"type": "hello-ok", "protocol": 4,
                                "policy": {"tickIntervalMs": 500}}});
                        let _ = ws.send(Message::text(hello.to_string())).await;
                    }
                    // Every other request is read and never answered.
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn agent_gives_up_on_a_gateway_that_goes_mute_after_the_handshake() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = mute_gateway().await;
    write_config(&dir, &fake, port);

    let started = Instant::now();
    let out = rc(&dir)
        .args(["agent", "-m", "hello?"])
        .timeout(Duration::from_secs(60))
        .run()
        .await
        .unwrap();
    let stderr = out.stderr_str();
    assert!(!out.success(), "{stderr}");
    assert!(
        stderr.contains("stopped answering") && stderr.contains("agent.wait"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30), "{stderr}");
    assert_eq!(fake.request_count(), 0, "ran the turn in-process");
}
