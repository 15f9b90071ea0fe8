//! `wake`, `last-heartbeat`, `usage.status` and `usage.cost`: nudging an agent from outside, and what the
//! background side of the runtime last did.
//!
//! rustyclaw has no heartbeat runner yet, so `last-heartbeat` is always null (no heartbeat ever
//! ran) and `wake` follows upstream's behaviour with heartbeats disabled: the text becomes a
//! system event for the session's next turn, and `mode: "now"` starts that turn at once.

use rustyclaw_agent::RunId;
use rustyclaw_protocol::{AgentId, SessionKey};
use serde_json::{Value, json};

use super::{Call, READ, Reply, WRITE, invalid, string_param, unhandled};
use crate::clock::now_ms;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("wake", WRITE),
    ("last-heartbeat", READ),
    ("usage.status", READ),
    ("usage.cost", READ),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "wake" => wake(call, params),
        "last-heartbeat" => Ok(Value::Null),
        // Provider quota windows come from OAuth subscription providers (Claude, Codex), which
        // rustyclaw does not speak; the list of providers with usage data is truly empty.
        "usage.status" => Ok(json!({"updatedAt": now_ms(), "providers": []})),
        "usage.cost" => super::usage::cost(call.state, params).await,
        _ => unhandled(method),
    }
}

fn wake(call: &Call<'_>, params: &Value) -> Reply {
    let mode = string_param(params, "mode")?;
    if mode != "now" && mode != "next-heartbeat" {
        return Err(invalid(
            "invalid wake params: at /mode: must be equal to one of the allowed values",
        ));
    }
    let text = string_param(params, "text")?;
    let state = call.state;
    let agent = match params.get("agentId").and_then(Value::as_str) {
        Some(id) => AgentId::parse(id).map_err(|e| invalid(format!("invalid agentId: {e}")))?,
        None => AgentId::normalize(&state.config().agents.default_agent_id),
    };
    let key = match params.get("sessionKey").and_then(Value::as_str) {
        Some(raw) => {
            SessionKey::parse(raw).map_err(|e| invalid(format!("invalid sessionKey: {e}")))?
        }
        None => SessionKey::main(&agent),
    };
    state.0.system_events.push(&key, text);
    if mode == "now" {
        let run_id = RunId(uuid::Uuid::new_v4().to_string());
        let agent = key.agent_id().unwrap_or(agent);
        super::chat::start_turn(state, &key, agent, String::new(), &run_id, "system")?;
    }
    Ok(json!({"ok": true}))
}
