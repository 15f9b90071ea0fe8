//! `models.list`, `agents.list`, `sessions.list`.

use rustyclaw_protocol::AgentId;
use serde_json::{Value, json};

use super::{Call, READ, Reply, unavailable, unhandled};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("models.list", READ),
    ("agents.list", READ),
    ("sessions.list", READ),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "models.list" => models(call.state),
        "agents.list" => agents(call.state),
        "sessions.list" => sessions(call.state, params).await,
        _ => unhandled(method),
    }
}
use crate::state::{GatewayState, now_ms};

/// Default and largest `sessions.list` page.
const SESSIONS_LIMIT: usize = 100;
const SESSIONS_MAX: usize = 1000;

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
    let config = &state.0.config;
    let agents: Vec<Value> = config
        .agents
        .list
        .iter()
        .map(|a| {
            let mut row = json!({
                "id": a.id,
                "name": a.name,
                "workspace": a.workspace.display().to_string(),
            });
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

pub(super) async fn sessions(state: &GatewayState, params: &Value) -> Reply {
    let limit = params
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(SESSIONS_LIMIT, |n| {
            usize::try_from(n)
                .unwrap_or(SESSIONS_MAX)
                .clamp(1, SESSIONS_MAX)
        });
    let agent = params
        .get("agentId")
        .and_then(Value::as_str)
        .map(AgentId::normalize);
    let stored = state
        .0
        .store
        .list_sessions(agent.as_ref(), limit)
        .await
        .map_err(|e| unavailable("sessions.list", &e))?;
    let rows: Vec<Value> = stored
        .iter()
        .map(|s| {
            let mut row = serde_json::to_value(&s.entry).unwrap_or_else(|_| json!({}));
            row["key"] = json!(s.key.as_str());
            row["kind"] = json!("direct");
            if let Some(agent) = s.key.agent_id() {
                row["agentId"] = json!(agent.as_str());
            }
            row
        })
        .collect();
    Ok(json!({
        "ts": now_ms(),
        "path": state.0.options.state_dir.clone().unwrap_or_default(),
        "count": rows.len(),
        "sessions": rows,
    }))
}
