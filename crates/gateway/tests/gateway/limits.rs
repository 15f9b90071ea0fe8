//! Abuse protections of the handshake: the failed-auth lockout (shared with HTTP), the per-IP
//! budget of unauthenticated sockets, and the browser `Origin` allowlist.

use std::time::Duration;

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
    let gateway = Gateway::start_with(|o| o.max_preauth_sockets_per_ip = 3).await;
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
