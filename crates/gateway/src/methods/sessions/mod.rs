//! `sessions.*` beyond the listing: reading, resolving, patching, resetting, deleting,
//! compacting, creating and driving sessions, `chat.inject`, and the `sessions.changed` events
//! of subscribed connections.
//!
//! A session belongs to its lane in the agent runtime: patches go through the lane
//! ([`rustyclaw_agent::AgentRuntime::patch_session`]), `sessions.compact` is a `/compact` turn,
//! and every other change here (reset, delete, create, inject) is made holding the session's
//! lock ([`take_session`]), after the turn in progress and before the next, so no turn saves
//! over it and the next one starts from what was stored.

mod changed;
mod drive;
mod edit;
mod list;
mod read;
mod text;

use std::time::Duration;

use rustyclaw_agent::SessionLock;
use rustyclaw_protocol::{AgentId, SessionEntry, SessionKey};
use serde_json::Value;

use super::{ADMIN, Call, Fail, READ, Reply, WRITE, invalid, string_param, unavailable, unhandled};
use crate::state::GatewayState;

pub(crate) use changed::{subscribed_to_sessions, unsubscribe_sessions, watch_sessions};
pub(super) use list::{defaults, describe, list};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("sessions.get", READ),
    ("sessions.preview", READ),
    ("sessions.resolve", READ),
    ("sessions.subscribe", READ),
    ("sessions.unsubscribe", READ),
    ("sessions.create", WRITE),
    ("sessions.send", WRITE),
    ("sessions.abort", WRITE),
    ("sessions.patch", ADMIN),
    ("sessions.reset", ADMIN),
    ("sessions.delete", ADMIN),
    ("sessions.compact", ADMIN),
    ("chat.inject", ADMIN),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    let state = call.state;
    match method {
        "sessions.get" => read::get(state, params).await,
        "sessions.preview" => read::preview(state, params).await,
        "sessions.resolve" => read::resolve(state, params).await,
        "sessions.subscribe" => Ok(changed::subscribe(state, &call.granted.conn_id, true)),
        "sessions.unsubscribe" => Ok(changed::subscribe(state, &call.granted.conn_id, false)),
        "sessions.create" => drive::create(state, params, call.take_inbound()).await,
        "sessions.send" => drive::send(state, params, call.take_inbound()).await,
        "sessions.abort" => drive::abort(state, params),
        "sessions.patch" => edit::patch(state, params).await,
        "sessions.reset" => edit::reset(state, params).await,
        "sessions.delete" => edit::delete(state, params).await,
        "sessions.compact" => edit::compact(state, params).await,
        "chat.inject" => drive::inject(state, params).await,
        _ => unhandled(method),
    }
}

/// Longest wait for a session's run to end after `sessions.reset`/`sessions.delete` abort it
/// (upstream waits 15 s, then answers that the session is still active).
const ABORT_WAIT: Duration = Duration::from_secs(15);

/// The session key in `params[name]`.
fn key_param(params: &Value, name: &str) -> Result<SessionKey, Fail> {
    let raw = string_param(params, name)?;
    SessionKey::parse(raw).map_err(|e| invalid(format!("invalid {name}: {e}")))
}

/// The agent a key belongs to (keys outside any agent belong to the default agent).
fn agent_of(state: &GatewayState, key: &SessionKey) -> AgentId {
    key.agent_id()
        .unwrap_or_else(|| AgentId::normalize(&state.config().agents.default_agent_id))
}

/// The stored entry of `key`.
async fn entry(state: &GatewayState, key: &SessionKey) -> Result<Option<SessionEntry>, Fail> {
    state
        .0
        .store
        .get_session(key)
        .await
        .map_err(|e| unavailable("reading the session", &e))
}

/// Takes `key`'s session from its lane for a change made here: after the turn in progress
/// (waiting up to [`ABORT_WAIT`] for it) and before the next; the next turn starts from what
/// is stored while the lock is held (see [`rustyclaw_agent::AgentRuntime::lock_session`]).
async fn take_session(state: &GatewayState, key: &SessionKey) -> Result<SessionLock, Fail> {
    state
        .0
        .runtime
        .lock_session(key, ABORT_WAIT)
        .await
        .map_err(|e| busy(key, &e))
}

/// Aborts whatever `key`'s session runs or has queued, then takes the session (upstream's
/// reset and delete stop the session's runs first).
async fn stop_and_take_session(
    state: &GatewayState,
    key: &SessionKey,
) -> Result<SessionLock, Fail> {
    state
        .0
        .runtime
        .submit(rustyclaw_agent::Op::Abort {
            session_key: key.clone(),
            run_id: None,
            clear_queue: true,
        })
        .map_err(|e| unavailable("aborting the session's run", &e))?;
    take_session(state, key).await
}

/// A session that stayed busy, or a store failure while taking it.
fn busy(key: &SessionKey, error: &rustyclaw_agent::AgentError) -> Fail {
    match error {
        rustyclaw_agent::AgentError::SessionBusy { .. } => {
            Box::new(rustyclaw_protocol::gateway::ErrorShape::new(
                rustyclaw_protocol::gateway::ErrorCode::Unavailable,
                format!(
                    "Session {} is still active; try again in a moment.",
                    key.as_str()
                ),
            ))
        }
        other => unavailable("taking the session", other),
    }
}

/// `true`/`false` parameter `name`, `None` when absent.
fn bool_param(params: &Value, method: &str, name: &str) -> Result<Option<bool>, Fail> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(format!(
            "invalid {method} params: at /{name}: must be boolean"
        ))),
    }
}

/// Optional non-empty string parameter `name`.
fn opt_string<'a>(params: &'a Value, method: &str, name: &str) -> Result<Option<&'a str>, Fail> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(Value::String(_)) => Err(invalid(format!(
            "invalid {method} params: at /{name}: must NOT have fewer than 1 characters"
        ))),
        Some(_) => Err(invalid(format!(
            "invalid {method} params: at /{name}: must be string"
        ))),
    }
}

/// Optional positive integer parameter `name`.
fn opt_count(params: &Value, method: &str, name: &str, min: u64) -> Result<Option<usize>, Fail> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_u64() {
            Some(n) if n >= min => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
            Some(_) => Err(invalid(format!(
                "invalid {method} params: at /{name}: must be >= {min}"
            ))),
            None => Err(invalid(format!(
                "invalid {method} params: at /{name}: must be integer"
            ))),
        },
    }
}
