//! Every captured frame of the kinds modelled here parses and serializes back to the same value.

use pretty_assertions::assert_eq;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;

fn conformance(name: &str) -> String {
    let path = format!(
        "{}/../../../shared/conformance/openclaw-2026.9.6/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The captured frames (`frame` of every s2c/c2s line that is a JSON object).
fn frames(name: &str) -> Vec<Value> {
    conformance(name)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["dir"] != "meta")
        .map(|line| line["frame"].clone())
        .filter(Value::is_object)
        .collect()
}

fn round_trip<T: Serialize + DeserializeOwned>(value: &Value) -> T {
    let parsed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| {
        panic!(
            "{e}: {}",
            &value.to_string()[..value.to_string().len().min(400)]
        )
    });
    assert_eq!(&serde_json::to_value(&parsed).unwrap(), value);
    parsed
}

fn all_frames() -> Vec<Value> {
    let mut all = frames("py-client-methods.jsonl");
    all.extend(frames("cli-via-proxy.jsonl"));
    all.extend(frames("handshake-errors.jsonl"));
    all
}

#[test]
fn every_captured_frame_round_trips() {
    let all = all_frames();
    assert!(all.len() > 200, "{}", all.len());
    for frame in &all {
        round_trip::<Frame>(frame);
    }
}

#[test]
fn hello_ok_round_trips_and_exposes_the_v4_fields() {
    let frame: Value = serde_json::from_str(&conformance("hello-ok.json")).unwrap();
    let Frame::Response(res) = round_trip::<Frame>(&frame) else {
        panic!("not a res")
    };
    let hello: HelloOk = round_trip(res.payload.as_ref().unwrap());
    assert_eq!(hello.protocol, PROTOCOL_VERSION);
    assert_eq!(hello.policy.tick_interval_ms, TICK_INTERVAL_MS);
    assert_eq!(hello.policy.max_payload, MAX_PAYLOAD_BYTES as u64);
    assert_eq!(hello.policy.max_buffered_bytes, MAX_BUFFERED_BYTES as u64);
    assert_eq!(hello.auth.scopes, vec!["operator.admin".to_string()]);
    assert_eq!(
        hello.snapshot.health.default_agent_id.as_deref(),
        Some("main")
    );
    assert_eq!(
        hello.snapshot.health.agents[0]
            .sessions
            .as_ref()
            .unwrap()
            .count,
        2
    );
    assert!(hello.features.methods.iter().any(|m| m == "chat.send"));
    assert!(
        !hello.other.contains_key("type"),
        "the tag is not an unknown field"
    );
}

#[test]
fn captured_payloads_parse_as_their_types() {
    let (mut chat, mut agent, mut tick, mut health, mut challenge, mut connect) =
        (0, 0, 0, 0, 0, 0);
    for frame in all_frames() {
        match (
            frame["type"].as_str(),
            frame["event"].as_str(),
            frame["method"].as_str(),
        ) {
            (Some("event"), Some("chat"), _) => {
                let event: ChatEvent = round_trip(&frame["payload"]);
                if event.state == ChatState::Delta || event.state == ChatState::Final {
                    assert!(!event.message.unwrap().text().is_empty());
                }
                chat += 1;
            }
            (Some("event"), Some("agent"), _) => {
                round_trip::<AgentEvent>(&frame["payload"]);
                agent += 1;
            }
            (Some("event"), Some("tick"), _) => {
                round_trip::<TickEvent>(&frame["payload"]);
                tick += 1;
            }
            (Some("event"), Some("health"), _) => {
                round_trip::<HealthSnapshot>(&frame["payload"]);
                health += 1;
            }
            (Some("event"), Some("connect.challenge"), _) => {
                round_trip::<ConnectChallenge>(&frame["payload"]);
                challenge += 1;
            }
            (Some("req"), _, Some("connect")) => {
                let params: ConnectParams = round_trip(&frame["params"]);
                assert!(params.max_protocol >= 3);
                connect += 1;
            }
            _ => {}
        }
    }
    assert!(
        chat >= 10 && agent >= 10 && tick >= 1 && health >= 1,
        "{chat} {agent} {tick} {health}"
    );
    assert!(challenge >= 10 && connect >= 10, "{challenge} {connect}");
}

#[test]
fn health_results_parse_as_health_snapshots() {
    let all = all_frames();
    let ids: Vec<String> = all
        .iter()
        .filter(|f| f["method"] == "health")
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    let results: Vec<&Value> = all
        .iter()
        .filter(|f| f["type"] == "res" && f["ok"] == true && ids.iter().any(|id| f["id"] == *id))
        .collect();
    assert!(!results.is_empty());
    for res in results {
        let health: HealthSnapshot = round_trip(&res["payload"]);
        assert!(health.ok);
    }
}

#[test]
fn unknown_client_ids_and_error_codes_are_kept() {
    let params: ConnectParams = serde_json::from_value(json!({
        "minProtocol": 4, "maxProtocol": 4,
        "client": {"id": "my-rust-client", "version": "x", "platform": "linux", "mode": "cli"}
    }))
    .unwrap();
    assert_eq!(params.client.id, ClientId::Unknown("my-rust-client".into()));
    assert_eq!(params.client.mode, ClientMode::Cli);
    let err: ErrorShape =
        serde_json::from_value(json!({"code": "SOMETHING_NEW", "message": "m"})).unwrap();
    assert_eq!(err.code.as_str(), "SOMETHING_NEW");
}

#[test]
fn frames_reject_unknown_fields() {
    let bad = json!({"type": "req", "id": "1", "method": "health", "extra": 1});
    assert!(serde_json::from_value::<Frame>(bad).is_err());
    let bad = json!({"type": "nope", "id": "1"});
    assert!(serde_json::from_value::<Frame>(bad).is_err());
}

#[test]
fn connect_auth_debug_redacts_secrets() {
    let auth = ConnectAuth {
        token: Some("s3cret".into()),
        ..ConnectAuth::default()
    };
    let text = format!("{auth:?}");
    assert!(
        !text.contains("s3cret") && text.contains("redacted"),
        "{text}"
    );
}
