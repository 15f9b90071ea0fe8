//! `rustyclaw devices`: a remote device asks a real gateway to pair, the CLI lists and approves
//! the request on the same files, and the device then connects.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use futures_util::{SinkExt, StreamExt};
use rustyclaw_testkit::TempStateDir;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{rc, start_gateway};

const TOKEN: &str = "devices-test-token";

/// Connects as a device signed with `key`, through a pretend proxy (so the gateway does not see
/// a local client), and returns the `connect` response.
async fn connect_as_device(url: &str, key: &SigningKey) -> Value {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-forwarded-for", "198.51.100.7".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let challenge = next_json(&mut ws).await;
    let nonce = challenge["payload"]["nonce"].as_str().unwrap().to_owned();
    let device_id = hex::encode(Sha256::digest(key.verifying_key().as_bytes()));
    let signed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let payload =
        format!("v3|{device_id}|cli|cli|operator|operator.read|{signed_at}|{TOKEN}|{nonce}|linux|");
    let connect = json!({"type": "req", "id": "c1", "method": "connect", "params": {
        "minProtocol": 4, "maxProtocol": 4,
        "client": {"id": "cli", "version": "test", "platform": "linux", "mode": "cli"},
        "role": "operator", "scopes": ["operator.read"], "auth": {"token": TOKEN},
        "device": {
            "id": device_id,
            "publicKey": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            "signature": URL_SAFE_NO_PAD.encode(key.sign(payload.as_bytes()).to_bytes()),
            "signedAt": signed_at,
            "nonce": nonce,
        }
    }});
    ws.send(Message::text(connect.to_string())).await.unwrap();
    loop {
        let frame = next_json(&mut ws).await;
        if frame["type"] == "res" {
            return frame;
        }
    }
}

async fn next_json(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn a_pending_device_is_listed_and_approved_from_the_cli() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(&json!({"gateway": {"auth": {"mode": "token", "token": TOKEN}}}).to_string())
        .unwrap();
    let (_server, url) = start_gateway(&dir, &["--port", "0"]).await;
    let key = SigningKey::from_bytes(&[9; 32]);
    let device_id = hex::encode(Sha256::digest(key.verifying_key().as_bytes()));

    let refused = connect_as_device(&url, &key).await;
    assert_eq!(
        refused["error"]["details"]["code"], "PAIRING_REQUIRED",
        "{refused}"
    );
    let request_id = refused["error"]["details"]["requestId"]
        .as_str()
        .unwrap()
        .to_owned();

    let out = rc(&dir).args(["devices", "list"]).run().await.unwrap();
    let text = out.stdout_str();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(text.contains("Pending (1)"), "{text}");
    assert!(text.contains(&request_id), "{text}");
    assert!(text.contains("from 127.0.0.1"), "{text}");
    assert!(text.contains("Paired (0)"), "{text}");

    let out = rc(&dir)
        .args(["devices", "list", "--json"])
        .run()
        .await
        .unwrap();
    let listed: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(listed["pending"][0]["deviceId"], device_id.as_str());

    let out = rc(&dir)
        .args(["devices", "approve", "no-such-request"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(
        out.stderr_str()
            .contains("no pending pairing request no-such-request"),
        "{}",
        out.stderr_str()
    );

    let out = rc(&dir)
        .args(["devices", "approve", &request_id])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str().contains(&device_id[..12]),
        "{}",
        out.stdout_str()
    );

    // The running gateway reads the files on each connect: the device is in now.
    let accepted = connect_as_device(&url, &key).await;
    assert_eq!(accepted["ok"], true, "{accepted}");
    assert!(accepted["payload"]["auth"]["deviceToken"].is_string());

    let out = rc(&dir).args(["devices", "list"]).run().await.unwrap();
    let text = out.stdout_str();
    assert!(
        text.contains("Paired (1)") && text.contains(&device_id),
        "{text}"
    );
    assert!(text.contains("operator token active"), "{text}");
    let token = accepted["payload"]["auth"]["deviceToken"].as_str().unwrap();
    assert!(
        !text.contains(token),
        "the token secret is never printed: {text}"
    );

    let out = rc(&dir)
        .args(["devices", "remove", &device_id])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let out = rc(&dir).args(["devices", "list"]).run().await.unwrap();
    assert!(
        out.stdout_str().contains("Paired (0)"),
        "{}",
        out.stdout_str()
    );
}
