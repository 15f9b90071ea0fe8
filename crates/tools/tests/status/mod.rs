#![cfg(test)]
//! session_status and the registry's tool list.

use pretty_assertions::assert_eq;
use rustyclaw_tools::{SessionStatus, ToolEffect, ToolError, builtin_registry};
use serde_json::json;

use crate::support::{Harness, text, tools_config};

fn harness() -> Harness {
    let mut h = Harness::new();
    h.cx.status = SessionStatus {
        session_key: "agent:main:main".into(),
        model: "anthropic/claude-sonnet-4-5".into(),
        thinking: "low".into(),
        verbose: "on".into(),
        queue_mode: "collect".into(),
        input_tokens: 2_000,
        output_tokens: 300,
        context_tokens: 50_000,
        context_window: 200_000,
        ..SessionStatus::default()
    };
    h
}

#[tokio::test]
async fn renders_the_status_card() {
    let h = harness();
    let out = h.call("session_status", json!({})).await.unwrap();
    let card = text(&out);
    assert!(
        card.contains("🧠 Model: anthropic/claude-sonnet-4-5\n"),
        "{card}"
    );
    assert!(card.contains("📚 Context: 50k/200k (25%)"), "{card}");
    assert!(card.contains("🧵 Session: agent:main:main"), "{card}");
    assert!(card.contains("🎛️ Modes: think low · verbose on"), "{card}");
    assert!(card.contains("🪢 Queue: collect"), "{card}");
    assert!(out.effects.is_empty());
    assert_eq!(out.details.unwrap()["changedModel"], false);
}

#[tokio::test]
async fn sets_and_clears_the_model_override() {
    let h = harness();
    let out = h
        .call("session_status", json!({ "model": "openai/gpt-5" }))
        .await
        .unwrap();
    assert_eq!(
        out.effects,
        vec![ToolEffect::SetModelOverride(Some("openai/gpt-5".into()))]
    );
    let out = h
        .call(
            "session_status",
            json!({ "sessionKey": "current", "model": "Default" }),
        )
        .await
        .unwrap();
    assert_eq!(out.effects, vec![ToolEffect::SetModelOverride(None)]);
}

#[tokio::test]
async fn other_sessions_are_not_visible() {
    let h = harness();
    let err = h
        .call(
            "session_status",
            json!({ "sessionKey": "agent:other:main" }),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ToolError::Failed { .. }));
    assert!(
        err.to_string()
            .contains("can only show the current session"),
        "{err}"
    );
    h.call("session_status", json!({ "sessionKey": "agent:main:main" }))
        .await
        .unwrap();
}

#[test]
fn the_builtin_registry_follows_the_config() {
    let config = tools_config();
    let registry = builtin_registry(&config);
    assert_eq!(
        registry.names(),
        vec![
            "apply_patch",
            "edit",
            "exec",
            "process",
            "read",
            "session_status",
            "web_fetch",
            "write"
        ]
    );
    for (name, description, schema) in registry.specs() {
        assert!(!description.is_empty(), "{name}");
        assert_eq!(schema["type"], "object", "{name}");
    }
    let mut config = tools_config();
    config.exec.apply_patch = false;
    config.web_fetch.enabled = false;
    let registry = builtin_registry(&config);
    let names = registry.names();
    assert!(!names.contains(&"apply_patch") && !names.contains(&"web_fetch"));
}

#[test]
fn services_build_from_the_config() {
    let state = tempfile::tempdir().unwrap();
    let services =
        rustyclaw_tools::ToolServices::new(&tools_config(), crate::support::sandbox(state.path()))
            .unwrap();
    assert_eq!(services.exec().background_after.as_millis(), 10_000);
    assert_eq!(services.web_fetch().max_chars, 50_000);
    assert!(!services.web_fetch().allow_private_network);
}
