//! The handshake: the captured OpenClaw error cases give the same codes, messages and close
//! codes; success gives a v4 hello-ok.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_protocol::gateway::{HelloOk, PROTOCOL_VERSION};
use serde_json::{Value, json};

use super::harness::{Client, Gateway, Read, TOKEN, captured_case, conformance, connect_params};

/// Replays a captured error case: sends the captured frame, expects the captured response
/// (same error, same id) and the captured close code and reason.
async fn replay(gateway: &Gateway, tag: &str) {
    let (sent, response, close) = captured_case(tag);
    let mut client = Client::open(gateway).await;
    match &sent {
        Value::String(text) => client.send_text(text.clone()).await,
        frame => client.send(frame.clone()).await,
    }
    if let Some(expected) = response {
        let Read::Frame(actual) = client.read().await else {
            panic!("{tag}: no response")
        };
        assert_eq!(actual, expected, "{tag}");
    }
    assert_eq!(client.read().await, Read::Closed(close.0, close.1), "{tag}");
}

#[tokio::test]
async fn captured_handshake_errors_are_reproduced() {
    let gateway = Gateway::start().await;
    for tag in [
        "err-bad-token",
        "err-no-auth",
        "err-first-not-connect",
        "err-protocol-3",
        "err-bad-client-id",
        "err-garbage",
    ] {
        replay(&gateway, tag).await;
    }
}

#[tokio::test]
async fn the_challenge_is_a_nonce_and_a_millisecond_time() {
    let gateway = Gateway::start().await;
    let client = Client::open(&gateway).await;
    let payload = &client.challenge["payload"];
    assert_eq!(payload["nonce"].as_str().unwrap().len(), 36);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(payload["ts"].as_u64().unwrap().abs_diff(now) < 5_000);
    assert!(client.challenge.get("seq").is_none());
}

#[tokio::test]
async fn a_successful_connect_returns_a_v4_hello_with_the_requested_scopes() {
    let gateway = Gateway::start_with(|o| o.tick_interval = Duration::from_millis(1234)).await;
    let mut client = Client::open(&gateway).await;
    let response = client
        .request(
            "connect",
            connect_params(TOKEN, &["operator.read", "operator.write"]),
        )
        .await;
    assert_eq!(response["ok"], true, "{response}");
    let hello: HelloOk = serde_json::from_value(response["payload"].clone()).unwrap();
    assert_eq!(hello.protocol, PROTOCOL_VERSION);
    assert_eq!(hello.auth.role, "operator");
    assert_eq!(hello.auth.scopes, vec!["operator.read", "operator.write"]);
    assert_eq!(hello.auth.method.as_deref(), Some("token"));
    assert_eq!(hello.policy.tick_interval_ms, 1234);
    for method in ["health", "status", "chat.send", "chat.history", "agent"] {
        assert!(
            hello.features.methods.iter().any(|m| m == method),
            "{method}"
        );
    }
    assert!(
        !hello.features.methods.iter().any(|m| m == "wizard.start"),
        "only what is implemented"
    );
    assert_eq!(
        hello.snapshot.health.default_agent_id.as_deref(),
        Some("main")
    );
    assert_eq!(hello.snapshot.auth_mode.as_deref(), Some("token"));
    assert_eq!(
        hello.snapshot.session_defaults.unwrap().main_session_key,
        "agent:main:main"
    );
    // Every field of the captured hello-ok that the CLI requires is present.
    let captured: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../../shared/conformance/openclaw-2026.9.6/hello-ok.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    for key in [
        "type", "protocol", "server", "features", "snapshot", "auth", "policy",
    ] {
        assert!(
            captured["payload"].get(key).is_some() && response["payload"].get(key).is_some(),
            "{key}"
        );
    }
}

#[tokio::test]
async fn unknown_methods_and_missing_scopes_are_refused_like_upstream() {
    let gateway = Gateway::start().await;
    let mut client = Client::open(&gateway).await;
    let response = client
        .request("connect", connect_params(TOKEN, &["operator.read"]))
        .await;
    assert_eq!(response["ok"], true);
    // The captured unknown-method exchange.
    let captured = conformance("py-client-methods.jsonl");
    let expected = captured
        .iter()
        .map(|l| &l["frame"])
        .find(|f| f["type"] == "res" && f["error"]["message"] == "unknown method: no.such.method")
        .unwrap();
    let actual = client.request("no.such.method", json!({})).await;
    assert_eq!(actual["error"], expected["error"]);
    let denied = client
        .request(
            "chat.send",
            json!({"sessionKey": "agent:main:x", "message": "hi", "idempotencyKey": "k"}),
        )
        .await;
    assert_eq!(denied["ok"], false);
    assert_eq!(denied["error"]["code"], "FORBIDDEN");
    assert_eq!(denied["error"]["message"], "missing scope: operator.write");
    assert_eq!(denied["error"]["details"]["code"], "MISSING_SCOPE");
    // Read methods work with the read scope.
    let health = client.request("health", json!({})).await;
    assert_eq!(health["payload"]["ok"], true);
}

#[tokio::test]
async fn a_password_gateway_checks_the_password() {
    let gateway = Gateway::start().await;
    // The harness gateway is in token mode: a password alone does not authenticate.
    let mut client = Client::open(&gateway).await;
    let mut params = connect_params(TOKEN, &["operator.read"]);
    params["auth"] = json!({"password": TOKEN});
    let response = client.request("connect", params).await;
    assert_eq!(response["error"]["code"], "NOT_PAIRED");
}

#[tokio::test]
async fn an_oversized_pre_auth_frame_closes_with_1009() {
    let gateway = Gateway::start().await;
    let mut client = Client::open(&gateway).await;
    client
        .send_text(format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024)))
        .await;
    assert_eq!(
        client.read().await,
        Read::Closed(1009, "preauth payload too large".into())
    );
}

#[tokio::test]
async fn a_first_frame_that_is_json_but_no_request_is_closed_with_a_reason() {
    let gateway = Gateway::start().await;
    // Upstream parses any depth and finds no request frame; ours stops at 128 levels and must
    // not mistake such a frame for one that is not JSON (closed 1000 without a reason).
    let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    for text in [r#"{"hello":1}"#.to_owned(), deep] {
        let mut client = Client::open(&gateway).await;
        client.send_text(text).await;
        // No response: upstream answers only a request.
        assert_eq!(
            client.read().await,
            Read::Closed(1008, "invalid request frame".into())
        );
    }
}

#[tokio::test]
async fn a_silent_client_is_closed_after_the_handshake_timeout() {
    let gateway = Gateway::start_with(|o| o.handshake_timeout = Duration::from_millis(200)).await;
    let mut client = Client::open(&gateway).await;
    let started = std::time::Instant::now();
    assert_eq!(
        client.read().await,
        Read::Closed(1008, "handshake timeout".into())
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn http_probes_answer_on_the_gateway_port() {
    let gateway = Gateway::start().await;
    for path in ["/healthz", "/readyz"] {
        let mut stream = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        assert!(text.starts_with("HTTP/1.1 200"), "{path}: {text}");
        assert!(text.contains("true"), "{path}: {text}");
    }
}
