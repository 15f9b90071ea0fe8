//! The gateway against a local attacker, end to end on `rustyclaw gateway run`: guessing the
//! token from loopback is budgeted without ever locking the owner out, local sockets cannot
//! keep the owner's CLI out of the per-address budget, and a config change that switches the
//! sandbox off is announced to the connected operators (who stay connected) and audited.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::FakeLlm;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{fake_llm_config, rc, start_gateway};

const TOKEN: &str = "e2e-hardening-token-0123456789abcdef";

/// Wrong secrets from loopback answered at once (`LOOPBACK_FAILURE_BURST`).
const BURST: usize = 10;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn connect_frame(token: &str) -> Message {
    let frame = json!({"type": "req", "id": "c", "method": "connect", "params": {
        "minProtocol": 4, "maxProtocol": 4,
        "client": {"id": "cli", "version": "e2e", "platform": "linux", "mode": "cli"},
        "role": "operator", "scopes": ["operator.read"], "auth": {"token": token}}});
    Message::text(frame.to_string())
}

/// The next JSON frame, or `None` when the socket closed first.
async fn next_json(ws: &mut Socket) -> Option<Value> {
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(text) => return serde_json::from_str(&text).ok(),
            Message::Close(_) => return None,
            _ => {}
        }
    }
    None
}

/// Opens a socket and reads the challenge; `Err` when the upgrade is refused (with the HTTP
/// status) or the socket is closed first (evicted: `None`).
async fn open(url: &str) -> Result<Socket, Option<u16>> {
    match tokio_tungstenite::connect_async(url).await {
        Ok((mut ws, _)) => match next_json(&mut ws).await {
            Some(challenge) => {
                assert_eq!(challenge["event"], "connect.challenge", "{challenge}");
                Ok(ws)
            }
            None => Err(None),
        },
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(Some(response.status().as_u16()))
        }
        Err(error) => panic!("cannot open {url}: {error}"),
    }
}

/// How one guess ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// The gateway answered with this error detail code.
    Answered(String),
    /// Closed without an answer (evicted, or timed out waiting for the budget).
    Closed,
    /// The upgrade was refused with this HTTP status.
    Refused(u16),
}

async fn guess(url: &str, token: &str) -> Outcome {
    let mut ws = match open(url).await {
        Ok(ws) => ws,
        Err(Some(status)) => return Outcome::Refused(status),
        Err(None) => return Outcome::Closed,
    };
    if ws.send(connect_frame(token)).await.is_err() {
        return Outcome::Closed;
    }
    match next_json(&mut ws).await {
        Some(res) if res["type"] == "res" => Outcome::Answered(
            res["error"]["details"]["code"]
                .as_str()
                .unwrap_or("ok")
                .to_owned(),
        ),
        _ => Outcome::Closed,
    }
}

/// Connects with the right token and returns the `hello-ok` and the open socket.
async fn connect(url: &str) -> (Value, Socket) {
    let mut ws = open(url).await.expect("the owner's socket was refused");
    ws.send(connect_frame(TOKEN)).await.unwrap();
    let hello = next_json(&mut ws).await.expect("closed before hello-ok");
    assert_eq!(hello["payload"]["type"], "hello-ok", "{hello}");
    (hello, ws)
}

async fn start(dir: &TempStateDir) -> (rustyclaw_testkit::bin::RunningChild, String, FakeLlm) {
    let fake = FakeLlm::start().await.unwrap();
    let config = fake_llm_config(dir, &fake, TOKEN);
    dir.write_config(&config.to_string()).unwrap();
    let (server, url) = start_gateway(dir, &["--port", "0"]).await;
    (server, url, fake)
}

async fn stop(server: rustyclaw_testkit::bin::RunningChild) {
    let pid = rustix::process::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let output = server.wait().await.unwrap();
    assert!(output.success(), "{}", output.stderr_str());
}

#[tokio::test]
async fn loopback_guessing_is_budgeted_and_the_owner_still_connects_at_once() {
    let dir = TempStateDir::new().unwrap();
    let (server, url, _fake) = start(&dir).await;

    // 200 wrong tokens from 40 parallel connections, each guessing again as soon as it has
    // its answer, as the sandboxed command of the finding did (which got 3,400 answers a
    // second: every one of these would be answered within a second).
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let workers: Vec<_> = (0..40)
        .map(|worker| {
            let (url, answers) = (url.clone(), answers.clone());
            tokio::spawn(async move {
                for attempt in 0..5 {
                    let outcome = guess(&url, &format!("guess-{worker}-{attempt}")).await;
                    let _ = answers.send((outcome, started.elapsed()));
                }
            })
        })
        .collect();
    drop(answers);

    // Two seconds in, the owner connects with the right token: at once, not after the queue.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let owner = Instant::now();
    let (hello, owner_socket) = connect(&url).await;
    let owner_took = owner.elapsed();
    assert!(
        owner_took < Duration::from_secs(3),
        "{owner_took:?} {hello}"
    );
    // And the real CLI too, through its ordinary connect.
    let out = rc(&dir)
        .args(["gateway", "call", "health", "--url", &url, "--token", TOKEN])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    drop(owner_socket);

    // Let the attack run for six seconds in all, then count what it learned from answers.
    tokio::time::sleep(Duration::from_secs(6).saturating_sub(started.elapsed())).await;
    let window = started.elapsed();
    for worker in &workers {
        worker.abort();
    }
    let mut outcomes = Vec::new();
    while let Ok((outcome, at)) = answered.try_recv() {
        if at <= window {
            outcomes.push(outcome);
        }
    }
    let mismatches = outcomes
        .iter()
        .filter(|o| **o == Outcome::Answered("AUTH_TOKEN_MISMATCH".into()))
        .count();
    // The budget: the burst, then one answer a second (plus one for the timer's slack).
    let budget = BURST + usize::try_from(window.as_secs()).unwrap() + 2;
    assert!(
        mismatches <= budget,
        "{mismatches} wrong tokens answered in {window:?}; the budget allows {budget}"
    );
    assert!(mismatches >= BURST, "{mismatches} answered: {outcomes:?}");
    let rate = f64::from(u32::try_from(mismatches - BURST).unwrap()) / window.as_secs_f64();
    assert!(rate <= 1.5, "{rate:.2} answers a second after the burst");

    // Never locked out (no AUTH_RATE_LIMITED, no 429) and, on loopback, never refused (503).
    assert!(
        outcomes.iter().all(|o| matches!(o, Outcome::Closed)
            || *o == Outcome::Answered("AUTH_TOKEN_MISMATCH".into())),
        "{outcomes:?}"
    );
    stop(server).await;
}

#[tokio::test]
async fn local_sockets_cannot_keep_the_owners_cli_out_of_the_loopback_budget() {
    let dir = TempStateDir::new().unwrap();
    let (server, url, _fake) = start(&dir).await;
    // Spend the burst, so the next guesses wait for their answers.
    for attempt in 0..BURST {
        let outcome = guess(&url, &format!("guess-{attempt}")).await;
        assert_eq!(outcome, Outcome::Answered("AUTH_TOKEN_MISMATCH".into()));
    }
    // 40 guesses waiting for their answers, then 40 silent sockets: 80 unauthenticated
    // sockets from 127.0.0.1, where the per-address budget is 32.
    let mut held = Vec::new();
    for attempt in 0..40 {
        let mut ws = open(&url).await.expect("a guess was refused on loopback");
        ws.send(connect_frame(&format!("held-{attempt}")))
            .await
            .unwrap();
        held.push(ws);
    }
    for _ in 0..40 {
        held.push(
            open(&url)
                .await
                .expect("a silent socket was refused on loopback"),
        );
    }
    // The owner's CLI is not refused with 503 ("Too many unauthenticated sockets").
    let started = Instant::now();
    let out = rc(&dir)
        .args(["gateway", "call", "health", "--url", &url, "--token", TOKEN])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let (hello, _owner) = connect(&url).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?} {hello}",
        started.elapsed()
    );
    drop(held);
    stop(server).await;
}

/// The next event named `name`, skipping others; `None` when the socket closed first.
async fn next_event(ws: &mut Socket, name: &str, seen: &mut Vec<String>) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), next_json(ws))
            .await
            .expect("no frame within 20 s")?;
        if let Some(event) = frame["event"].as_str() {
            seen.push(event.to_owned());
        }
        if frame["event"] == name {
            return Some(frame);
        }
    }
}

async fn call(dir: &TempStateDir, url: &str, method: &str, params: Value) -> Value {
    super::gateway_call(dir, url, TOKEN, method, params).await
}

#[tokio::test]
async fn turning_the_sandbox_off_is_announced_to_operators_and_audited() {
    let dir = TempStateDir::new().unwrap();
    let (server, url, _fake) = start(&dir).await;
    let (_, mut operator) = connect(&url).await;

    // Another client switches the sandbox off, as the sandboxed command of the finding did.
    let snapshot = call(&dir, &url, "config.get", json!({})).await;
    let written = call(
        &dir,
        &url,
        "config.patch",
        json!({"raw": r#"{agents:{defaults:{sandbox:{mode:"off"}}}}"#, "baseHash": snapshot["hash"]}),
    )
    .await;
    // Applied in place: no restart.
    assert!(written["restart"].is_null(), "{written}");

    // The connected operator hears of it before it applies, and stays connected.
    let mut seen = Vec::new();
    let event = next_event(&mut operator, "config.weakened", &mut seen)
        .await
        .unwrap_or_else(|| panic!("closed without the announcement; saw {seen:?}"));
    let payload = &event["payload"];
    assert_eq!(payload["applied"], false, "{payload}");
    assert_eq!(payload["reason"], "config.patch");
    assert_eq!(payload["actors"], json!(["gateway:cli"]));
    assert_eq!(
        payload["changes"],
        json!([{"path": "agents.defaults.sandbox.mode", "from": "all", "to": "off",
                "summary": "sandbox mode lowered from all to off: commands of every session run on the host, unsandboxed"}])
    );
    assert!(!seen.contains(&"shutdown".to_owned()), "{seen:?}");

    // An operator connecting afterwards is told too, now that it applies.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, mut later) = connect(&url).await;
        let event = next_event(&mut later, "config.weakened", &mut Vec::new())
            .await
            .expect("no announcement for a later operator");
        assert_eq!(event["payload"]["changes"], payload["changes"]);
        if event["payload"]["applied"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "never marked applied: {event}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        server
            .stdout()
            .matches("gateway listening on ws://")
            .count(),
        1,
        "restarted for a change applied in place"
    );

    // The audit log lists it, next to the write itself; the log has a warning.
    let out = rc(&dir).args(["audit", "--json"]).run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let audit: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let records = audit["records"].as_array().unwrap();
    let weakened = records
        .iter()
        .find(|r| r["action"] == "config.weakened")
        .unwrap_or_else(|| panic!("no config.weakened record: {audit}"));
    assert_eq!(weakened["actor"], "gateway:cli");
    assert_eq!(weakened["detail"]["reason"], "config.patch");
    assert_eq!(
        weakened["detail"]["weakens"][0]["path"],
        "agents.defaults.sandbox.mode"
    );
    assert!(
        records.iter().any(|r| r["action"] == "config.patch"),
        "{audit}"
    );
    assert!(!audit.to_string().contains(TOKEN));
    let stderr = server.stderr();
    assert!(
        stderr.contains("WARN") && stderr.contains("lowers isolation or widens the tool policy"),
        "{stderr}"
    );
    stop(server).await;
}

/// `rustyclaw gateway call health` with `token`, run as the unprivileged user `nobody` (uid
/// 65534) in a home of its own; returns whether it succeeded and its stderr.
async fn call_as_nobody(home: &std::path::Path, url: &str, token: &str) -> (bool, String) {
    let out = rustyclaw_testkit::RustyClaw::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_rustyclaw"))
        .args(["gateway", "call", "health", "--url", url, "--token", token])
        .env("HOME", home)
        .env("OPENCLAW_STATE_DIR", home.join(".openclaw"))
        .current_dir(home)
        .run()
        .await
        .expect("setpriv runs (the tests run as root)");
    (out.success(), out.stderr_str().into_owned())
}

#[tokio::test]
async fn another_local_user_guessing_is_locked_out_without_touching_the_owner() {
    let dir = TempStateDir::new().unwrap();
    let (server, url, _fake) = start(&dir).await;
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        home.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();

    // Another user's wrong tokens are answered at once and lock that user out after
    // gateway.auth.rateLimit.maxAttempts (10): no budget to wait for, no way to go on.
    let started = Instant::now();
    for attempt in 0..10 {
        let (ok, stderr) = call_as_nobody(home.path(), &url, &format!("guess-{attempt}")).await;
        assert!(!ok, "a wrong token was accepted: {stderr}");
        assert!(
            stderr.contains("token") && !stderr.contains("too many failed"),
            "{stderr}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(30));
    let (ok, stderr) = call_as_nobody(home.path(), &url, TOKEN).await;
    assert!(
        !ok && stderr.contains("too many failed authentication attempts"),
        "the locked-out user got in with the right token: {stderr}"
    );

    // The owner (the gateway's user) is neither locked out nor slowed down.
    let owner_started = Instant::now();
    let (hello, _owner) = connect(&url).await;
    assert!(owner_started.elapsed() < Duration::from_secs(3), "{hello}");
    let out = rc(&dir)
        .args(["gateway", "call", "health", "--url", &url, "--token", TOKEN])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    stop(server).await;
}

#[tokio::test]
async fn stalled_requests_are_timed_out_and_oversized_frames_closed_with_1009_by_the_binary() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = TempStateDir::new().unwrap();
    let (server, url, _fake) = start(&dir).await;
    let addr = url.trim_start_matches("ws://").to_owned();

    // Half a request, then silence: closed by the header deadline (10 s), not held for ever.
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    // Meanwhile the gateway answers others.
    let out = rc(&dir)
        .args(["gateway", "call", "health", "--url", &url, "--token", TOKEN])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let mut rest = Vec::new();
    // Ends (EOF, or a reset) instead of waiting for the rest of the request.
    let _ended = tokio::time::timeout(Duration::from_secs(30), stalled.read_to_end(&mut rest))
        .await
        .expect("a stalled request was held open for 30 s");
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // A first frame over the pre-auth cap (64 KiB) is closed with 1009, as upstream.
    let mut ws = open(&url).await.expect("refused");
    ws.send(Message::text("x".repeat(100 * 1024)))
        .await
        .unwrap();
    let code = loop {
        match ws.next().await {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    assert_eq!(code, Some(1009));
    stop(server).await;
}
