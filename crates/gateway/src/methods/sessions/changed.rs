//! `sessions.subscribe`/`sessions.unsubscribe` and the `sessions.changed` events: sent after a
//! session method changes a session and when a run ends, only to subscribed connections (the
//! filter is in the connection's fan-out).

use std::sync::{PoisonError, Weak};

use rustyclaw_agent::{Event, EventKind};
use rustyclaw_protocol::SessionKey;
use serde_json::{Value, json};
use tokio::sync::broadcast::{self, error::RecvError};

use super::super::READ;
use super::agent_of;
use crate::clock::now_ms;
use crate::event::OutEvent;
use crate::state::{GatewayState, Shared};

/// Fields of the session row copied into the event, so a client need not re-list (upstream's).
const ROW_FIELDS: &[&str] = &[
    "sessionId",
    "updatedAt",
    "label",
    "displayName",
    "totalTokens",
    "totalTokensFresh",
    "contextTokens",
    "estimatedCostUsd",
    "modelProvider",
    "model",
    "status",
    "startedAt",
    "endedAt",
    "runtimeMs",
    "abortedLastRun",
    "thinkingLevel",
    "fastMode",
    "verboseLevel",
];

/// Adds or removes the connection's subscription; answers `{subscribed}`.
pub(super) fn subscribe(state: &GatewayState, conn_id: &str, on: bool) -> Value {
    let mut subscribers = state
        .0
        .session_subscribers
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if on {
        subscribers.insert(conn_id.to_owned());
    } else {
        subscribers.remove(conn_id);
    }
    json!({"subscribed": on})
}

/// Whether connection `conn_id` receives `sessions.changed`.
pub(crate) fn subscribed_to_sessions(state: &GatewayState, conn_id: &str) -> bool {
    state
        .0
        .session_subscribers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains(conn_id)
}

/// Forgets a closed connection's subscription.
pub(crate) fn unsubscribe_sessions(state: &GatewayState, conn_id: &str) {
    subscribe(state, conn_id, false);
}

/// Sends `sessions.changed {sessionKey, agentId, reason, ts, …row fields}` to subscribers.
pub(super) async fn emit(state: &GatewayState, key: &SessionKey, reason: &str) {
    emit_with(state, key, reason, json!({})).await;
}

/// [`emit`] with extra payload fields (`compacted`, …).
pub(super) async fn emit_with(state: &GatewayState, key: &SessionKey, reason: &str, extra: Value) {
    let nobody = state
        .0
        .session_subscribers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_empty();
    if nobody {
        return;
    }
    let mut payload = json!({
        "sessionKey": key.as_str(),
        "agentId": agent_of(state, key).as_str(),
        "reason": reason,
        "ts": now_ms(),
    });
    if let Ok(Some(entry)) = state.0.store.get_session(key).await
        && let Ok(Value::Object(row)) = serde_json::to_value(&entry)
    {
        for field in ROW_FIELDS {
            if let Some(value) = row.get(*field) {
                payload[*field] = value.clone();
            }
        }
    }
    if let Value::Object(extra) = extra {
        for (name, value) in extra {
            payload[name] = value;
        }
    }
    state.send_event(OutEvent {
        event: "sessions.changed",
        payload,
        scope: Some(READ),
        state_version: None,
        encoded: Default::default(),
    });
}

/// Sends `sessions.changed` (reason `run`) whenever a run ends: the runtime has saved the
/// session's entry (tokens, status, model) by then. Ends with the gateway or the runtime.
pub(crate) async fn watch_sessions(mut events: broadcast::Receiver<Event>, shared: Weak<Shared>) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        if !matches!(event.kind, EventKind::Finished(_)) {
            continue;
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let state = GatewayState(shared);
        emit(&state, &event.session_key, "run").await;
    }
}
