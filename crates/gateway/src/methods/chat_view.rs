//! What a chat view loads when it opens a session (OpenClaw's Control UI calls these first):
//! `chat.startup`, the transcript page with the session's defaults, and
//! `sessions.messages.subscribe`/`unsubscribe`, which also replays the session's pending exec
//! approvals so a reopened page can still answer them.
//!
//! A connection with read access already receives every session's `chat` and `agent` events,
//! so subscribing adds no stream of its own; rustyclaw does not emit upstream's per-message
//! `session.message` events, and the page reloads the transcript with `chat.history` after a
//! run instead.

use serde_json::{Value, json};

use super::{READ, Reply, chat, invalid, string_param, unhandled};
use crate::clock::now_ms;
use crate::state::GatewayState;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("chat.startup", READ),
    ("sessions.messages.subscribe", READ),
    ("sessions.messages.unsubscribe", READ),
];

pub(super) async fn call(state: &GatewayState, method: &str, params: &Value) -> Reply {
    match method {
        "chat.startup" => startup(state, params).await,
        "sessions.messages.subscribe" => subscribe(state, params),
        "sessions.messages.unsubscribe" => unsubscribe(params),
        _ => unhandled(method),
    }
}

/// `chat.startup {sessionKey, limit?, maxBytes?}`: `chat.history`'s page plus what the view
/// shows before the first message (no inputs are ever left pending here).
async fn startup(state: &GatewayState, params: &Value) -> Reply {
    let mut page = chat::history(state, params).await?;
    page["pendingInputs"] = json!({"items": [], "total": 0});
    page["defaults"] = super::sessions::defaults(state);
    Ok(page)
}

/// `sessions.messages.subscribe {key, includeApprovals?}`.
fn subscribe(state: &GatewayState, params: &Value) -> Reply {
    let key = string_param(params, "key")?;
    if key.trim().is_empty() {
        return Err(invalid("key must name a session"));
    }
    let mut answer = json!({"subscribed": true, "key": key});
    if params.get("includeApprovals").and_then(Value::as_bool) == Some(true) {
        let pending =
            serde_json::to_value(state.0.runtime.approvals().pending()).unwrap_or(Value::Null);
        let approvals: Vec<Value> = pending
            .as_array()
            .into_iter()
            .flatten()
            .filter(|approval| session_of(approval) == Some(key))
            .cloned()
            .collect();
        answer["approvalReplay"] = json!({
            "sessionKey": key,
            "updatedAtMs": now_ms(),
            "approvals": approvals,
            "truncated": false,
        });
    }
    Ok(answer)
}

/// `sessions.messages.unsubscribe {key}`.
fn unsubscribe(params: &Value) -> Reply {
    let key = string_param(params, "key")?;
    Ok(json!({"subscribed": false, "key": key}))
}

/// The session an approval request belongs to.
fn session_of(approval: &Value) -> Option<&str> {
    approval
        .pointer("/request/sessionKey")
        .or_else(|| approval.get("sessionKey"))
        .and_then(Value::as_str)
}
