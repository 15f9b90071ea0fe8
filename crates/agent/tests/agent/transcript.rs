//! The exported transcript has OpenClaw's line shapes.

use std::collections::BTreeMap;

use rustyclaw_agent::RunStatus;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn, Usage};
use serde_json::{Value, json};

use super::harness::Harness;

fn reference_lines() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/openclaw-2026.9.6/transcript-events-bench-head.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Keys upstream adds for its own bookkeeping, which a reader does not require.
const OPTIONAL: &[&str] = &["__openclaw", "idempotencyKey", "responseId"];

/// Every key of `reference` (recursively through objects) is in `ours` with the same JSON type.
fn check_shape(path: &str, ours: &Value, reference: &Value, problems: &mut Vec<String>) {
    if kind(ours) != kind(reference) {
        problems.push(format!(
            "{path}: {} instead of {}",
            kind(ours),
            kind(reference)
        ));
        return;
    }
    if let (Value::Object(o), Value::Object(r)) = (ours, reference) {
        for (key, value) in r {
            if OPTIONAL.contains(&key.as_str()) {
                continue;
            }
            match o.get(key) {
                Some(mine) => check_shape(&format!("{path}.{key}"), mine, value, problems),
                None => problems.push(format!("{path}.{key} missing")),
            }
        }
    }
    if let (Value::Array(o), Value::Array(r)) = (ours, reference) {
        // Content blocks are compared with the reference block of the same `type`.
        for (i, item) in o.iter().enumerate() {
            if let Some(same) = r.iter().find(|b| b.get("type") == item.get("type")) {
                check_shape(&format!("{path}[{i}]"), item, same, problems);
            }
        }
    }
}

#[tokio::test]
async fn exported_lines_match_openclaws_shapes() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(
        Turn::tool_calls([ToolCall::new(
            "call_1",
            "exec",
            json!({"command": "echo hi"}),
        )])
        .with_usage(Usage::new(50, 5)),
    );
    fake.push(Turn::text("Said hi.").with_usage(Usage::new(80, 3)));
    let mut h = Harness::start(&fake).await;
    let (outcome, _) = h.send("say hi").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);

    let entry = h
        .store
        .get_session(&Harness::main_key())
        .await
        .unwrap()
        .unwrap();
    let mut exported = Vec::new();
    h.store
        .export_jsonl(&entry.session_id, &mut exported)
        .await
        .unwrap();
    let ours: Vec<Value> = String::from_utf8(exported)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let mut by_shape: BTreeMap<(String, String), Value> = BTreeMap::new();
    for line in reference_lines() {
        let role = line["message"]["role"].as_str().unwrap_or("").to_owned();
        by_shape
            .entry((line["type"].as_str().unwrap().to_owned(), role))
            .or_insert(line);
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for (i, line) in ours.iter().enumerate() {
        let role = line["message"]["role"].as_str().unwrap_or("").to_owned();
        let ty = line["type"].as_str().unwrap().to_owned();
        match by_shape.get(&(ty.clone(), role.clone())) {
            Some(reference) => {
                check_shape(&format!("line {}", i + 1), line, reference, &mut problems);
                checked += 1;
            }
            None => {
                // No sample of tool results upstream in the capture: check the documented shape.
                assert_eq!(
                    (ty.as_str(), role.as_str()),
                    ("message", "toolResult"),
                    "unexpected line {line}"
                );
                let m = &line["message"];
                for key in ["toolCallId", "toolName", "content", "isError", "timestamp"] {
                    assert!(m.get(key).is_some(), "toolResult without {key}: {line}");
                }
            }
        }
        // Every entry chains to the previous one.
        if i > 1 {
            assert_eq!(line["parentId"], ours[i - 1]["id"], "line {} parent", i + 1);
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        checked >= 5,
        "header, model_change, thinking_level_change, user, assistant checked"
    );
    assert_eq!(ours[0]["type"], "session");
    assert_eq!(ours[0]["version"], 4);
}
