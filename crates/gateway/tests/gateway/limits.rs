//! Abuse protections of the handshake: the failed-auth lockout (shared with HTTP), the shared
//! failure budget of the loopback clients it exempts, the per-IP budget of unauthenticated
//! sockets, and the browser `Origin` allowlist.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::harness::{Client, Gateway, Read, TOKEN, connect_params};

fn rate_limit(max_attempts: u32, lockout_ms: u64, exempt_loopback: bool) -> Value {
    json!({"auth": {"mode": "token", "token": TOKEN, "rateLimit": {
        "maxAttempts": max_attempts, "windowMs": 60000, "lockoutMs": lockout_ms,
        "exemptLoopback": exempt_loopback
    }}})
}

/// Opens a socket and sends `connect` with `token`; returns the response and the close frame.
async fn try_connect(gateway: &Gateway, token: &str) -> (Value, Option<(u16, String)>) {
    let mut client = Client::open(gateway).await;
    let response = client
        .request("connect", connect_params(token, &["operator.read"]))
        .await;
    if response["ok"] == true {
        return (response, None);
    }
    let closed = loop {
        match client.read().await {
            Read::Closed(code, reason) => break Some((code, reason)),
            Read::Gone => break None,
            Read::Frame(_) => {}
        }
    };
    (response, closed)
}

#[tokio::test]
async fn brute_force_is_locked_out_then_allowed_after_the_lockout() {
    let gateway = Gateway::start_configured(rate_limit(10, 1500, false), |_| {}).await;
    for attempt in 0..10 {
        let (response, closed) = try_connect(&gateway, &format!("guess-{attempt}")).await;
        assert_eq!(
            response["error"]["details"]["code"], "AUTH_TOKEN_MISMATCH",
            "{response}"
        );
        assert_eq!(closed.map(|c| c.0), Some(1008));
    }
    // The right token is refused while locked out, before it is even checked.
    let (response, closed) = try_connect(&gateway, TOKEN).await;
    let error = &response["error"];
    assert_eq!(error["code"], "INVALID_REQUEST");
    assert_eq!(
        error["message"],
        "unauthorized: too many failed authentication attempts (retry later)"
    );
    assert_eq!(error["retryable"], true);
    let retry_after = error["retryAfterMs"].as_u64().unwrap();
    assert!(retry_after > 0 && retry_after <= 1500, "{retry_after}");
    assert_eq!(
        error["details"],
        json!({"code": "AUTH_RATE_LIMITED", "authReason": "rate_limited",
               "canRetryWithDeviceToken": false, "recommendedNextStep": "wait_then_retry"})
    );
    assert_eq!(closed.map(|c| c.0), Some(1008));
    // HTTP bearer auth shares the lockout.
    let http = reqwest::Client::new()
        .get(format!("http://{}/v1/models", gateway.addr))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(http.status(), 429);

    tokio::time::sleep(Duration::from_millis(retry_after + 100)).await;
    let (response, _) = try_connect(&gateway, TOKEN).await;
    assert_eq!(response["ok"], true, "{response}");
}

#[tokio::test]
async fn loopback_clients_are_exempt_by_default() {
    let gateway = Gateway::start_configured(rate_limit(3, 60000, true), |_| {}).await;
    for attempt in 0..5 {
        let (response, _) = try_connect(&gateway, &format!("guess-{attempt}")).await;
        assert_eq!(response["error"]["details"]["code"], "AUTH_TOKEN_MISMATCH");
    }
    let (response, _) = try_connect(&gateway, TOKEN).await;
    assert_eq!(response["ok"], true, "{response}");
}

/// A raw socket with an `Origin` header; the first frame (the challenge) is read.
async fn open_with_origin(
    gateway: &Gateway,
    origin: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = gateway.url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_str(origin).unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let Some(Ok(Message::Text(challenge))) = ws.next().await else {
        panic!("no challenge")
    };
    assert!(challenge.contains("connect.challenge"));
    ws
}

/// Sends `connect` with `token` and returns the response and the close code.
async fn raw_connect(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    token: &str,
) -> (Value, Option<u16>) {
    let frame = json!({"type": "req", "id": "c1", "method": "connect",
                       "params": connect_params(token, &["operator.read"])});
    ws.send(Message::text(frame.to_string())).await.unwrap();
    let mut response = Value::Null;
    let mut close = None;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await
    {
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "res" {
                    response = value;
                    if response["ok"] == true {
                        break;
                    }
                }
            }
            Message::Close(frame) => {
                close = frame.map(|f| u16::from(f.code));
                break;
            }
            _ => {}
        }
    }
    (response, close)
}

#[tokio::test]
async fn foreign_browser_origins_are_refused_and_local_ones_accepted() {
    let gateway = Gateway::start().await;
    let mut evil = open_with_origin(&gateway, "http://evil.example").await;
    let (response, close) = raw_connect(&mut evil, TOKEN).await;
    assert_eq!(response["ok"], false);
    assert_eq!(response["error"]["code"], "INVALID_REQUEST");
    assert_eq!(
        response["error"]["message"],
        "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)"
    );
    assert_eq!(
        response["error"]["details"],
        json!({"code": "CONTROL_UI_ORIGIN_NOT_ALLOWED", "reason": "origin not allowed"})
    );
    assert_eq!(close, Some(1008));

    let local = format!("http://127.0.0.1:{}", gateway.addr.port());
    let mut page = open_with_origin(&gateway, &local).await;
    let (response, _) = raw_connect(&mut page, TOKEN).await;
    assert_eq!(response["ok"], true, "{response}");
    assert_eq!(response["payload"]["type"], "hello-ok");
}

#[tokio::test]
async fn allowed_origins_admit_listed_pages() {
    let gateway = Gateway::start_configured(
        json!({"controlUi": {"allowedOrigins": ["https://ui.example.com"]}}),
        |_| {},
    )
    .await;
    let mut listed = open_with_origin(&gateway, "https://ui.example.com").await;
    let (response, _) = raw_connect(&mut listed, TOKEN).await;
    assert_eq!(response["ok"], true, "{response}");
}

#[tokio::test]
async fn browser_pages_on_loopback_are_throttled_even_when_loopback_is_exempt() {
    let gateway = Gateway::start_configured(rate_limit(3, 60000, true), |_| {}).await;
    let origin = format!("http://localhost:{}", gateway.addr.port());
    for attempt in 0..3 {
        let mut ws = open_with_origin(&gateway, &origin).await;
        let (response, _) = raw_connect(&mut ws, &format!("guess-{attempt}")).await;
        assert_eq!(response["error"]["details"]["code"], "AUTH_TOKEN_MISMATCH");
    }
    let mut ws = open_with_origin(&gateway, &origin).await;
    let (response, close) = raw_connect(&mut ws, TOKEN).await;
    assert_eq!(response["error"]["details"]["code"], "AUTH_RATE_LIMITED");
    assert_eq!(close, Some(1008));
    // A non-browser client on loopback is a different key and stays exempt.
    let (response, _) = try_connect(&gateway, TOKEN).await;
    assert_eq!(response["ok"], true, "{response}");
}

#[tokio::test]
async fn unauthenticated_sockets_per_ip_are_capped() {
    // Loopback counts as any address once it is not exempt (a remote client's budget).
    let gateway = Gateway::start_configured(rate_limit(10, 60000, false), |o| {
        o.max_preauth_sockets_per_ip = 3;
    })
    .await;
    let mut waiting = Vec::new();
    for _ in 0..3 {
        waiting.push(Client::open(&gateway).await);
    }
    let refused = tokio_tungstenite::connect_async(gateway.url()).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("the fourth unauthenticated socket was accepted")
    };
    assert_eq!(response.status(), 503);
    let body = response.body().clone().unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&body),
        "Too many unauthenticated sockets"
    );
    // Completing a handshake frees its slot: another socket is admitted again.
    let first = waiting.first_mut().unwrap();
    let hello = first
        .request("connect", connect_params(TOKEN, &["operator.read"]))
        .await;
    assert_eq!(hello["ok"], true, "{hello}");
    let again = Client::open(&gateway).await;
    assert_eq!(again.challenge["event"], "connect.challenge");
    let refused = tokio_tungstenite::connect_async(gateway.url()).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 503),
        "the budget is full again"
    );
}

/// Wrong secrets from loopback answered at once before the shared budget spaces them out.
const LOOPBACK_BURST: usize = 10;

#[tokio::test]
async fn loopback_failures_share_one_budget_and_the_right_secret_is_never_held_up() {
    let gateway = Gateway::start().await;
    // One client for every request (building one loads the TLS roots, which takes a while on
    // the test's single thread), and one handshake first, which loads the schema frames are
    // checked against: neither belongs in the owner's time below.
    let http = reqwest::Client::new();
    let (response, _) = try_connect(&gateway, TOKEN).await;
    assert_eq!(response["ok"], true, "{response}");
    let guess_over_http = |token: String| {
        let (http, addr) = (http.clone(), gateway.addr);
        tokio::spawn(async move {
            let status = bearer_status(&http, addr, &token).await;
            (status, Instant::now())
        })
    };
    // The burst, over HTTP, in parallel: every one answered 401 at once.
    let started = Instant::now();
    let burst: Vec<_> = (0..LOOPBACK_BURST)
        .map(|i| guess_over_http(format!("guess-{i}")))
        .collect();
    for answer in burst {
        assert_eq!(answer.await.unwrap().0, 401);
    }
    // Then the budget is spent for WebSocket and HTTP alike: three more guesses, in parallel,
    // are answered one per second (not all at once, and never locked out: no 429).
    let waiting: Vec<_> = (0..3)
        .map(|i| guess_over_http(format!("late-{i}")))
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Meanwhile the owner gets in at once, over HTTP and WebSocket.
    let owner = Instant::now();
    assert_eq!(bearer_status(&http, gateway.addr, TOKEN).await, 200);
    let (response, _) = try_connect(&gateway, TOKEN).await;
    assert_eq!(response["ok"], true, "{response}");
    assert!(
        owner.elapsed() < Duration::from_secs(1),
        "{:?}",
        owner.elapsed()
    );
    let mut answered_at = Vec::new();
    for answer in waiting {
        let (status, at) = answer.await.unwrap();
        assert_eq!(status, 401);
        answered_at.push(at.duration_since(started));
    }
    answered_at.sort();
    // One second apart: the last of the three no sooner than 3 s after the burst (minus the
    // timer's slack), however many connections asked at once.
    assert!(
        answered_at[2] >= Duration::from_millis(2900),
        "{answered_at:?}"
    );
    // A WebSocket guess now waits its turn too (the fourth after the burst), and gets its
    // answer, not a lockout.
    let (response, closed) = try_connect(&gateway, "ws-guess").await;
    assert_eq!(response["error"]["details"]["code"], "AUTH_TOKEN_MISMATCH");
    assert_eq!(closed.map(|c| c.0), Some(1008));
    assert!(
        started.elapsed() >= Duration::from_millis(3900),
        "{:?}",
        started.elapsed()
    );
}

/// The status of `GET /v1/models` with bearer `token`.
async fn bearer_status(http: &reqwest::Client, addr: std::net::SocketAddr, token: &str) -> u16 {
    http.get(format!("http://{addr}/v1/models"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Sends `connect` with a wrong token on a fresh socket without waiting for the answer.
async fn guess(gateway: &Gateway, token: &str) -> Client {
    let mut client = Client::open(gateway).await;
    client
        .send(json!({"type": "req", "id": "c", "method": "connect",
                     "params": connect_params(token, &["operator.read"])}))
        .await;
    client
}

#[tokio::test]
async fn waiting_guesses_do_not_hold_the_loopback_budget_and_silent_sockets_are_evicted() {
    let gateway = Gateway::start_with(|o| o.max_preauth_sockets_per_ip = 3).await;
    for attempt in 0..LOOPBACK_BURST {
        let (response, _) = try_connect(&gateway, &format!("guess-{attempt}")).await;
        assert_eq!(response["error"]["details"]["code"], "AUTH_TOKEN_MISMATCH");
    }
    // Five guesses wait for their answers: more than the address's budget of three.
    let mut waiting = Vec::new();
    for attempt in 0..5 {
        waiting.push(guess(&gateway, &format!("waiting-{attempt}")).await);
    }
    // Let the gateway judge them (a socket still unjudged holds its slot).
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Three silent sockets fill the budget; a fourth evicts the oldest silent one (loopback:
    // no 503), and the owner's CLI, newest of all, connects.
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(Client::open(&gateway).await);
    }
    assert_eq!(
        silent[0].read().await,
        Read::Closed(1013, "too many unauthenticated connections".into())
    );
    let (response, _) = try_connect(&gateway, TOKEN).await;
    assert_eq!(response["ok"], true, "{response}");
    // The waiting guesses were never evicted: each gets its answer.
    for mut client in waiting {
        let answer = loop {
            match client.read().await {
                Read::Frame(frame) if frame["type"] == "res" => break frame,
                Read::Frame(_) => {}
                other => panic!("a waiting guess was closed without its answer: {other:?}"),
            }
        };
        assert_eq!(answer["error"]["details"]["code"], "AUTH_TOKEN_MISMATCH");
    }
}
