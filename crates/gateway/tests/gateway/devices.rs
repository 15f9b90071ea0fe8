//! Device identity, pairing and device tokens against a real gateway, with real Ed25519 keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::harness::{Client, Gateway, Read, TOKEN};

const FORWARDED: &[(&str, &str)] = &[("x-forwarded-for", "203.0.113.9")];

/// A client device with a fixed key.
struct Device {
    key: SigningKey,
}

/// What to change in an otherwise valid proof.
#[derive(Default, Clone)]
struct Proof {
    version: u8,
    signed_at_offset_ms: i64,
    nonce: Option<Option<String>>,
    device_id: Option<String>,
    tamper: bool,
}

impl Device {
    fn new(seed: u8) -> Self {
        Self {
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    fn id(&self) -> String {
        hex::encode(Sha256::digest(self.key.verifying_key().as_bytes()))
    }

    fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes())
    }

    /// Connect params signed for `client`'s challenge.
    fn params(&self, client: &Client, auth: Value, scopes: &[&str], proof: Proof) -> Value {
        let challenge_nonce = client.challenge["payload"]["nonce"].as_str().unwrap();
        let nonce = match &proof.nonce {
            Some(n) => n.clone(),
            None => Some(challenge_nonce.to_owned()),
        };
        let signed_at = rustyclaw_support::now_ms_i64() + proof.signed_at_offset_ms;
        let token = ["token", "deviceToken", "bootstrapToken"]
            .iter()
            .find_map(|k| auth[*k].as_str())
            .unwrap_or_default();
        let id = self.id();
        let base = format!(
            "{}|{}|cli|cli|operator|{}|{signed_at}|{token}|{}",
            if proof.version == 2 { "v2" } else { "v3" },
            id,
            scopes.join(","),
            nonce.clone().unwrap_or_default(),
        );
        let payload = if proof.version == 2 {
            base
        } else {
            format!("{base}|linux|")
        };
        let mut signature = self.key.sign(payload.as_bytes()).to_bytes();
        if proof.tamper {
            signature[0] ^= 1;
        }
        let mut device = json!({
            "id": proof.device_id.clone().unwrap_or(id),
            "publicKey": self.public_key(),
            "signature": URL_SAFE_NO_PAD.encode(signature),
            "signedAt": signed_at,
        });
        if let Some(nonce) = nonce {
            device["nonce"] = json!(nonce);
        }
        json!({
            "minProtocol": 4, "maxProtocol": 4,
            "client": {"id": "cli", "version": "test", "platform": "Linux", "mode": "cli"},
            "caps": [], "role": "operator", "scopes": scopes, "auth": auth, "device": device,
        })
    }

    /// Opens a socket (with `headers`) and sends a signed connect; returns the client and the
    /// response.
    async fn connect(
        &self,
        gateway: &Gateway,
        headers: &[(&'static str, &str)],
        auth: Value,
        scopes: &[&str],
        proof: Proof,
    ) -> (Client, Value) {
        let mut client = Client::open_with(gateway, headers).await;
        let params = self.params(&client, auth, scopes, proof);
        let response = client.request("connect", params).await;
        (client, response)
    }
}

async fn closed(client: &mut Client) -> (u16, String) {
    loop {
        match client.read().await {
            Read::Closed(code, reason) => return (code, reason),
            Read::Frame(_) => continue,
            Read::Gone => panic!("no close frame"),
        }
    }
}

fn paired_file(gateway: &Gateway) -> Value {
    let path = gateway._dir.path().join("devices/paired.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn valid_v3_and_v2_proofs_pair_local_devices_and_issue_tokens() {
    let gateway = Gateway::start().await;
    for (seed, version) in [(1u8, 3u8), (2, 2)] {
        let device = Device::new(seed);
        let proof = Proof {
            version,
            ..Proof::default()
        };
        let (_client, response) = device
            .connect(
                &gateway,
                &[],
                json!({"token": TOKEN}),
                &["operator.admin"],
                proof,
            )
            .await;
        assert_eq!(response["ok"], true, "v{version}: {response}");
        let auth = &response["payload"]["auth"];
        assert_eq!(auth["role"], "operator");
        assert_eq!(auth["scopes"], json!(["operator.admin"]));
        assert_eq!(auth["method"], "token");
        let token = auth["deviceToken"].as_str().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(token).unwrap().len(), 32);
        assert!(auth["issuedAtMs"].as_u64().unwrap() > 0);
        let paired = paired_file(&gateway);
        let entry = &paired[device.id()];
        assert_eq!(entry["publicKey"], device.public_key());
        assert_eq!(entry["tokens"]["operator"]["token"], token);
        assert_eq!(entry["clientId"], "cli");
    }
    let path = gateway._dir.path().join("devices/paired.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn bad_proofs_are_rejected_with_upstream_codes() {
    let gateway = Gateway::start().await;
    let device = Device::new(3);
    let cases = [
        (
            Proof {
                signed_at_offset_ms: -10 * 60 * 1000,
                ..Proof::default()
            },
            "DEVICE_AUTH_SIGNATURE_EXPIRED",
            "device-signature-stale",
            "device signature expired",
        ),
        (
            Proof {
                nonce: Some(Some("not-the-challenge".into())),
                ..Proof::default()
            },
            "DEVICE_AUTH_NONCE_MISMATCH",
            "device-nonce-mismatch",
            "device nonce mismatch",
        ),
        (
            Proof {
                nonce: Some(None),
                ..Proof::default()
            },
            "DEVICE_AUTH_NONCE_REQUIRED",
            "device-nonce-missing",
            "device nonce required",
        ),
        (
            Proof {
                device_id: Some("ab".repeat(32)),
                ..Proof::default()
            },
            "DEVICE_AUTH_DEVICE_ID_MISMATCH",
            "device-id-mismatch",
            "device identity mismatch",
        ),
        (
            Proof {
                tamper: true,
                ..Proof::default()
            },
            "DEVICE_AUTH_SIGNATURE_INVALID",
            "device-signature",
            "device signature invalid",
        ),
    ];
    for (proof, code, reason, message) in cases {
        let (mut client, response) = device
            .connect(
                &gateway,
                &[],
                json!({"token": TOKEN}),
                &["operator.read"],
                proof,
            )
            .await;
        assert_eq!(response["ok"], false, "{code}: {response}");
        assert_eq!(response["error"]["code"], "INVALID_REQUEST");
        assert_eq!(response["error"]["message"], message);
        assert_eq!(
            response["error"]["details"],
            json!({"code": code, "reason": reason})
        );
        assert_eq!(closed(&mut client).await, (1008, message.to_owned()));
    }
    assert!(!gateway._dir.path().join("devices/paired.json").exists());
}

#[tokio::test]
async fn a_device_token_alone_authenticates_with_the_tokens_scopes() {
    let gateway = Gateway::start().await;
    let device = Device::new(4);
    let (_first, response) = device
        .connect(
            &gateway,
            &[],
            json!({"token": TOKEN}),
            &["operator.read"],
            Proof::default(),
        )
        .await;
    let token = response["payload"]["auth"]["deviceToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // No shared secret: the device token authenticates, and the admin scope is not granted.
    let (mut client, response) = device
        .connect(
            &gateway,
            &[],
            json!({"deviceToken": token}),
            &["operator.admin", "operator.read"],
            Proof::default(),
        )
        .await;
    assert_eq!(response["ok"], true, "{response}");
    let auth = &response["payload"]["auth"];
    assert_eq!(auth["method"], "device-token");
    assert_eq!(auth["scopes"], json!(["operator.read"]));
    assert_eq!(auth["deviceToken"], token.as_str());
    let health = client.request("health", json!({})).await;
    assert_eq!(health["ok"], true, "{health}");
    let list = client.request("device.pair.list", json!({})).await;
    assert_eq!(list["error"]["details"]["missingScope"], "operator.pairing");

    // The token in place of the shared secret works too; a wrong one does not.
    let (_c, response) = device
        .connect(
            &gateway,
            &[],
            json!({"token": token}),
            &["operator.read"],
            Proof::default(),
        )
        .await;
    assert_eq!(
        response["payload"]["auth"]["method"], "device-token",
        "{response}"
    );
    let (mut bad, response) = device
        .connect(
            &gateway,
            &[],
            json!({"deviceToken": "wrong"}),
            &[],
            Proof::default(),
        )
        .await;
    assert_eq!(
        response["error"]["details"]["code"],
        "AUTH_DEVICE_TOKEN_MISMATCH"
    );
    assert_eq!(closed(&mut bad).await.0, 1008);
}

#[tokio::test]
async fn remote_devices_wait_for_approval_and_revoked_tokens_stop_working() {
    let gateway = Gateway::start().await;
    let (mut admin, _) = Client::connect(&gateway).await;
    let device = Device::new(5);
    let (mut remote, response) = device
        .connect(
            &gateway,
            FORWARDED,
            json!({"token": TOKEN}),
            &["operator.read"],
            Proof::default(),
        )
        .await;
    assert_eq!(response["ok"], false, "{response}");
    let error = &response["error"];
    assert_eq!(error["code"], "NOT_PAIRED");
    assert_eq!(
        error["message"],
        "pairing required: device is not approved yet"
    );
    let details = &error["details"];
    assert_eq!(details["code"], "PAIRING_REQUIRED");
    assert_eq!(details["reason"], "not-paired");
    assert_eq!(details["deviceId"], device.id());
    assert_eq!(details["requestedScopes"], json!(["operator.read"]));
    let request_id = details["requestId"].as_str().unwrap().to_owned();
    assert_eq!(closed(&mut remote).await.0, 1008);

    let events = admin
        .events_until(|e| e["event"] == "device.pair.requested")
        .await;
    let requested = events
        .iter()
        .find(|e| e["event"] == "device.pair.requested")
        .unwrap();
    assert_eq!(requested["payload"]["requestId"], request_id.as_str());
    assert_eq!(requested["payload"]["publicKey"], device.public_key());
    assert_eq!(requested["payload"]["remoteIp"], "127.0.0.1");

    let list = admin.request("device.pair.list", json!({})).await;
    assert_eq!(
        list["payload"]["pending"][0]["requestId"],
        request_id.as_str()
    );
    assert_eq!(list["payload"]["paired"], json!([]));

    let approved = admin
        .request("device.pair.approve", json!({"requestId": request_id}))
        .await;
    assert_eq!(approved["ok"], true, "{approved}");
    assert_eq!(approved["payload"]["device"]["deviceId"], device.id());
    let summary = &approved["payload"]["device"]["tokens"][0];
    assert_eq!(summary["role"], "operator");
    assert!(
        summary.get("token").is_none(),
        "token secret leaked: {summary}"
    );
    let events = admin
        .events_until(|e| e["event"] == "device.pair.resolved")
        .await;
    let resolved = events
        .iter()
        .find(|e| e["event"] == "device.pair.resolved")
        .unwrap();
    assert_eq!(resolved["payload"]["decision"], "approved");

    let (_ok, response) = device
        .connect(
            &gateway,
            FORWARDED,
            json!({"token": TOKEN}),
            &["operator.read"],
            Proof::default(),
        )
        .await;
    assert_eq!(response["ok"], true, "{response}");
    let token = response["payload"]["auth"]["deviceToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let revoked = admin
        .request(
            "device.token.revoke",
            json!({"deviceId": device.id(), "role": "operator"}),
        )
        .await;
    assert_eq!(revoked["payload"]["role"], "operator", "{revoked}");
    assert!(revoked["payload"]["revokedAtMs"].as_u64().unwrap() > 0);
    let (_c, response) = device
        .connect(
            &gateway,
            FORWARDED,
            json!({"deviceToken": token}),
            &["operator.read"],
            Proof::default(),
        )
        .await;
    assert_eq!(
        response["error"]["details"]["code"], "AUTH_DEVICE_TOKEN_MISMATCH",
        "{response}"
    );

    // Rotation hands out a new secret once; the device can use it.
    let rotated = admin
        .request(
            "device.token.rotate",
            json!({"deviceId": device.id(), "role": "operator"}),
        )
        .await;
    assert_eq!(rotated["payload"]["tokenDelivery"], "in-band", "{rotated}");
    let new_token = rotated["payload"]["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    let (_c, response) = device
        .connect(
            &gateway,
            FORWARDED,
            json!({"deviceToken": new_token}),
            &["operator.read"],
            Proof::default(),
        )
        .await;
    assert_eq!(
        response["payload"]["auth"]["method"], "device-token",
        "{response}"
    );

    let removed = admin
        .request("device.pair.remove", json!({"deviceId": device.id()}))
        .await;
    assert_eq!(removed["payload"]["deviceId"], device.id());
    let unknown = admin
        .request("device.pair.approve", json!({"requestId": "nope"}))
        .await;
    assert_eq!(unknown["error"]["message"], "unknown requestId");
}

#[tokio::test]
async fn remote_device_less_connects_lose_unbound_scopes_and_probes_speak_v3() {
    let gateway = Gateway::start().await;
    let mut client = Client::open_with(&gateway, FORWARDED).await;
    let params = super::harness::connect_params(TOKEN, &["operator.admin"]);
    let response = client.request("connect", params).await;
    assert_eq!(
        response["payload"]["auth"]["scopes"],
        json!([]),
        "{response}"
    );

    let mut probe = Client::open(&gateway).await;
    let response = probe
        .request(
            "connect",
            json!({
                "minProtocol": 3, "maxProtocol": 3,
                "client": {"id": "openclaw-probe", "version": "x", "platform": "linux", "mode": "probe"},
                "role": "operator", "scopes": ["operator.read"], "auth": {"token": TOKEN}
            }),
        )
        .await;
    assert_eq!(response["ok"], true, "{response}");
    assert_eq!(response["payload"]["protocol"], 3);

    let mut cli = Client::open(&gateway).await;
    let mut params = super::harness::connect_params(TOKEN, &["operator.read"]);
    params["minProtocol"] = json!(3);
    params["maxProtocol"] = json!(3);
    let response = cli.request("connect", params).await;
    assert_eq!(response["error"]["message"], "protocol mismatch");
    assert_eq!(closed(&mut cli).await.0, 1002);
}

#[tokio::test]
async fn the_gateway_identity_is_created_once_and_reported() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let first = client.request("gateway.identity.get", json!({})).await;
    let second = client.request("gateway.identity.get", json!({})).await;
    assert_eq!(first["payload"], second["payload"]);
    let key = URL_SAFE_NO_PAD
        .decode(first["payload"]["publicKey"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        first["payload"]["deviceId"],
        hex::encode(Sha256::digest(&key))
    );
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(gateway._dir.path().join("identity/device.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(file["deviceId"], first["payload"]["deviceId"]);
    assert_eq!(file["version"], 1);
}
