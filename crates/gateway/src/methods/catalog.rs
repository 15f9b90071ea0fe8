//! `models.list`, `agents.list`, `sessions.list` and `sessions.describe` (whose rows live with
//! the other session methods).

use serde_json::{Value, json};

use super::{Call, READ, Reply, unhandled};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("models.list", READ),
    ("agents.list", READ),
    ("sessions.list", READ),
    ("sessions.describe", READ),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "models.list" => models(call.state),
        "agents.list" => agents(call.state),
        "sessions.list" => super::sessions::list(call.state, params).await,
        "sessions.describe" => super::sessions::describe(call.state, params).await,
        _ => unhandled(method),
    }
}
use crate::state::GatewayState;

pub(super) fn models(state: &GatewayState) -> Reply {
    let models: Vec<Value> = state
        .0
        .runtime
        .models()
        .list()
        .into_iter()
        .filter(|m| m.available)
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.name,
                "provider": m.provider,
                "contextWindow": m.context_window,
                "reasoning": m.reasoning,
                "available": m.available,
            })
        })
        .collect();
    Ok(json!({"models": models}))
}

pub(super) fn agents(state: &GatewayState) -> Reply {
    let config = state.config();
    let agents: Vec<Value> = config
        .agents
        .list
        .iter()
        .map(|a| {
            let mut row = json!({
                "id": a.id,
                "workspace": a.workspace.display().to_string(),
            });
            // Named only when the config names it: clients show "id (name)".
            if let Some(name) = &a.configured_name {
                row["name"] = json!(name);
            }
            if let Some(primary) = &a.model.primary {
                row["model"] = json!({"primary": primary.0});
            }
            row
        })
        .collect();
    Ok(json!({
        "defaultId": config.agents.default_agent_id,
        "mainKey": "main",
        "scope": "per-sender",
        "agents": agents,
    }))
}
