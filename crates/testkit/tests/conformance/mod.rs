//! The official-client conformance harness itself: the pinned official CLI runs isolated and
//! bounded, and upstream's protocol schema accepts real upstream traffic (the captures of
//! `openclaw@2026.9.6` in the shared conformance directory) and rejects broken frames with
//! messages that name the offending path.

#![cfg(test)]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustyclaw_testkit::conformance::PINNED_OPENCLAW_VERSION;
use rustyclaw_testkit::{OfficialCli, ProtocolSchema};
use serde_json::{Value, json};

/// The upstream captures, shared by every crate's tests.
fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/openclaw-2026.9.6")
        .join(name)
}

/// The schema is 3.5 MB: load and compile it once for all tests of this binary.
fn schema() -> &'static ProtocolSchema {
    static SCHEMA: OnceLock<ProtocolSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| ProtocolSchema::from_env().unwrap())
}

/// One line of a capture: `{"tag", "dir", "frame", …}`.
fn capture_lines(name: &str) -> Vec<Value> {
    std::fs::read_to_string(capture(name))
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Validates every `c2s`/`s2c` frame of a capture, responses against the method of the request
/// they answer, and returns the failures with the line's tag and direction.
fn validate_capture(name: &str) -> (usize, Vec<String>) {
    let mut methods = std::collections::HashMap::new();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in capture_lines(name) {
        let dir = line["dir"].as_str().unwrap_or_default();
        if dir != "c2s" && dir != "s2c" {
            continue;
        }
        let frame = &line["frame"];
        let conn = line["conn"].to_string();
        if frame["type"] == "req" {
            methods.insert(
                (
                    conn.clone(),
                    frame["id"].as_str().unwrap_or_default().to_owned(),
                ),
                frame["method"].as_str().unwrap_or_default().to_owned(),
            );
        }
        let method = (frame["type"] == "res")
            .then(|| methods.get(&(conn, frame["id"].as_str().unwrap_or_default().to_owned())))
            .flatten();
        let result = match method {
            Some(method) => schema().validate_response(method, frame),
            None => schema().validate_frame(frame),
        };
        checked += 1;
        if let Err(errors) = result {
            failures.push(format!(
                "{} {dir} {}: {errors:#?}",
                line["tag"],
                summary(frame)
            ));
        }
    }
    (checked, failures)
}

/// The pinned schema (`@openclaw/gateway-protocol@2026.9.1`, the newest published) predates the
/// captured gateway (2026.9.6), which added fields: `recipientProfileId` on event frames,
/// `sessionKey`/`sessionId`/`agentId` on agent events, `controlUiLinkReaders` on hello-ok, and
/// more. Such additions are the only disagreement allowed between real upstream traffic and the
/// schema; a wrong type, a missing required field or an unknown enum value would be a validator
/// bug or a real incompatibility.
fn assert_only_additive_skew(failures: &[String]) {
    let offending: Vec<&String> = failures
        .iter()
        .filter(|failure| {
            failure.lines().any(|line| {
                line.trim_start().starts_with("\"/")
                    && !line.contains("Additional properties are not allowed")
            })
        })
        .collect();
    assert!(offending.is_empty(), "{offending:#?}");
}

fn summary(frame: &Value) -> String {
    let name = frame
        .get("method")
        .or_else(|| frame.get("event"))
        .unwrap_or(&frame["id"]);
    format!("{} {name}", frame["type"])
}

#[tokio::test]
async fn official_cli_reports_the_pinned_version() {
    let cli = OfficialCli::from_env().unwrap();
    let output = cli
        .run(&["--version"], &[], Duration::from_secs(60))
        .await
        .unwrap();
    output.ensure_success().unwrap();
    assert!(
        output.stdout_str().contains(PINNED_OPENCLAW_VERSION),
        "unexpected version: {}",
        output.stdout_str()
    );
}

#[tokio::test]
async fn official_cli_gateway_call_fails_fast_when_nothing_listens() {
    // Bind and release a port so it is free and, for the next instants, unused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ws://127.0.0.1:{port}");
    let cli = OfficialCli::from_env().unwrap();
    let started = Instant::now();
    let output = cli
        .run(
            &[
                "gateway", "call", "health", "--url", &url, "--token", "x", "--json",
            ],
            &[],
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(output.code(), Some(1), "stderr: {}", output.stderr_str());
    let reply: Value = serde_json::from_str(&output.stdout_str()).unwrap();
    assert_eq!(reply["ok"], false);
    assert_eq!(reply["error"]["type"], "gateway_transport_error");
    assert!(
        reply["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("ECONNREFUSED"),
        "{reply:#}"
    );
    assert_eq!(reply["gateway"]["url"], url.as_str());
    assert_eq!(reply["gateway"]["urlSource"], "cli --url");
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

#[tokio::test]
async fn official_cli_run_is_killed_at_its_timeout() {
    // A listener that never accepts: the TCP handshake completes through the backlog and the
    // WebSocket upgrade is never answered, so the CLI waits until the runner kills it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", silent.local_addr().unwrap());
    let cli = OfficialCli::from_env().unwrap();
    let started = Instant::now();
    let error = cli
        .run(
            &["gateway", "call", "health", "--url", &url, "--token", "x"],
            &[],
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, rustyclaw_testkit::ConformanceError::Timeout { .. }),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn captured_hello_ok_validates() {
    let frame: Value =
        serde_json::from_str(&std::fs::read_to_string(capture("hello-ok.json")).unwrap()).unwrap();
    let errors = schema().validate_frame(&frame).unwrap_err();
    assert_only_additive_skew(&errors);
    // The fields 2026.9.6 added to hello-ok since the pinned schema (2026.9.1).
    for added in ["controlUiLinkReaders", "'method'", "cpuBreakdown"] {
        assert!(
            errors.iter().any(|error| error.contains(added)),
            "{errors:#?}"
        );
    }
    // Without them the captured hello-ok is exactly what the schema describes.
    let mut payload = frame["payload"].clone();
    let payload_object = payload.as_object_mut().unwrap();
    payload_object.remove("controlUiLinkReaders");
    payload["auth"].as_object_mut().unwrap().remove("method");
    payload["snapshot"]["health"]["eventLoop"]
        .as_object_mut()
        .unwrap()
        .remove("cpuBreakdown");
    for entry in payload["snapshot"]["presence"].as_array_mut().unwrap() {
        entry.as_object_mut().unwrap().remove("clientId");
    }
    schema().validate_definition("HelloOk", &payload).unwrap();
}

#[test]
fn captured_python_client_traffic_validates() {
    let (checked, failures) = validate_capture("py-client-methods.jsonl");
    assert!(checked > 30, "only {checked} frames");
    assert_only_additive_skew(&failures);
}

#[test]
fn captured_official_cli_traffic_validates() {
    let (checked, failures) = validate_capture("cli-via-proxy.jsonl");
    assert!(checked > 100, "only {checked} frames");
    assert_only_additive_skew(&failures);
}

#[test]
fn extra_frame_property_is_rejected_with_its_path() {
    let frame = json!({"type": "event", "event": "tick", "payload": {"ts": 1}, "extra": true});
    let errors = schema().validate_frame(&frame).unwrap_err();
    assert!(
        errors.iter().any(|error| error.contains("extra")),
        "{errors:#?}"
    );
}

#[test]
fn wrong_payload_type_is_rejected_with_its_path() {
    let frame = json!({"type": "event", "event": "tick", "payload": {"ts": "soon"}});
    let errors = schema().validate_frame(&frame).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|error| error.starts_with("/payload/ts") && error.contains("TickEvent")),
        "{errors:#?}"
    );
}

#[test]
fn broken_hello_ok_is_rejected_with_its_path() {
    let mut frame: Value =
        serde_json::from_str(&std::fs::read_to_string(capture("hello-ok.json")).unwrap()).unwrap();
    frame["payload"]["protocol"] = json!("four");
    frame["payload"]["server"]["surprise"] = json!(1);
    let errors = schema().validate_frame(&frame).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|error| error.starts_with("/payload/protocol")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|error| error.starts_with("/payload/server") && error.contains("surprise")),
        "{errors:#?}"
    );
}

#[test]
fn response_payload_is_checked_against_its_method_result() {
    let schema = schema();
    // Pick a method with a result definition from the schema itself, so the test does not
    // depend on one method's shape.
    let (method, _) = schema
        .methods()
        .find(|(method, _)| {
            schema.has_definition(&format!(
                "{}Result",
                rustyclaw_testkit::protocol_schema::upper_camel(method)
            ))
        })
        .unwrap();
    let frame = json!({"type": "res", "id": "1", "ok": true, "payload": 42});
    schema.validate_frame(&frame).unwrap();
    let errors = schema.validate_response(method, &frame).unwrap_err();
    assert!(
        errors.iter().all(|error| error.starts_with("/payload")),
        "{errors:#?}"
    );
}
