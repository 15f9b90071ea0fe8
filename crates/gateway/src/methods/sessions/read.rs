//! `sessions.get`, `sessions.preview`, `sessions.resolve`.

use rustyclaw_protocol::{AgentId, SessionId, SessionKey};
use serde_json::{Value, json};

use super::super::{Reply, invalid, unavailable};
use super::{agent_of, bool_param, entry, key_param, opt_count, opt_string, text};
use crate::clock::now_ms;
use crate::state::GatewayState;

/// Default `sessions.get` page (upstream).
const GET_LIMIT: usize = 200;
/// Default items per preview and characters per item (upstream).
const PREVIEW_ITEMS: usize = 12;
const PREVIEW_CHARS: usize = 240;

/// `sessions.get {key, limit?}`: the session's last `limit` transcript messages.
pub(super) async fn get(state: &GatewayState, params: &Value) -> Reply {
    let key = key_param(params, "key")?;
    let limit = opt_count(params, "sessions.get", "limit", 1)?.unwrap_or(GET_LIMIT);
    let Some(entry) = entry(state, &key).await? else {
        return Ok(json!({"key": key.as_str(), "messages": []}));
    };
    let mut messages = text::messages(state, &entry.session_id).await?;
    let skip = messages.len().saturating_sub(limit);
    messages.drain(..skip);
    Ok(json!({
        "key": key.as_str(),
        "sessionId": entry.session_id.as_str(),
        "entry": entry,
        "messages": messages,
    }))
}

/// `sessions.preview {keys[], limit?, maxChars?}`: the last few user and assistant texts of each
/// session, with a status per key (`ok`, `empty`, `missing`, `error`).
pub(super) async fn preview(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "sessions.preview";
    let keys = match params.get("keys") {
        Some(Value::Array(keys)) if !keys.is_empty() => keys,
        Some(Value::Array(_)) => {
            return Err(invalid(format!(
                "invalid {METHOD} params: at /keys: must NOT have fewer than 1 items"
            )));
        }
        Some(_) => {
            return Err(invalid(format!(
                "invalid {METHOD} params: at /keys: must be array"
            )));
        }
        None => {
            return Err(invalid(
                "invalid params: must have required property 'keys'",
            ));
        }
    };
    let limit = opt_count(params, METHOD, "limit", 1)?.unwrap_or(PREVIEW_ITEMS);
    let max_chars = opt_count(params, METHOD, "maxChars", 20)?.unwrap_or(PREVIEW_CHARS);
    let mut previews = Vec::with_capacity(keys.len());
    for raw in keys {
        let Some(raw) = raw.as_str().filter(|k| !k.is_empty()) else {
            return Err(invalid(format!(
                "invalid {METHOD} params: at /keys: must contain non-empty strings"
            )));
        };
        let Ok(key) = SessionKey::parse(raw) else {
            previews.push(json!({"key": raw, "status": "error", "items": []}));
            continue;
        };
        let stored = match state.0.store.get_session(&key).await {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!(%error, key = key.as_str(), "sessions.preview could not read a session");
                previews.push(json!({"key": raw, "status": "error", "items": []}));
                continue;
            }
        };
        let Some(entry) = stored else {
            previews.push(json!({"key": raw, "status": "missing", "items": []}));
            continue;
        };
        let messages = text::messages(state, &entry.session_id).await?;
        let mut items: Vec<Value> = messages
            .iter()
            .rev()
            .filter_map(|m| {
                text::visible_text(m)
                    .map(|t| json!({"role": m.role(), "text": text::clip(&t, max_chars)}))
            })
            .take(limit)
            .collect();
        items.reverse();
        let status = if items.is_empty() { "empty" } else { "ok" };
        previews.push(json!({"key": raw, "status": status, "items": items}));
    }
    Ok(json!({"ts": now_ms(), "previews": previews}))
}

/// `sessions.resolve {key? | sessionId? | label?, agentId?, spawnedBy?, allowMissing?}`: the
/// canonical key of a session named one of three ways.
pub(super) async fn resolve(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "sessions.resolve";
    let key = opt_string(params, METHOD, "key")?;
    let session_id = opt_string(params, METHOD, "sessionId")?;
    let label = opt_string(params, METHOD, "label")?;
    let agent = opt_string(params, METHOD, "agentId")?.map(AgentId::normalize);
    let spawned_by = opt_string(params, METHOD, "spawnedBy")?;
    let allow_missing = bool_param(params, METHOD, "allowMissing")?.unwrap_or(false);
    let named = [key, session_id, label].iter().flatten().count();
    if named != 1 {
        return Err(invalid(
            "Either key, sessionId or label is required (exactly one)",
        ));
    }
    let found = if let Some(raw) = key {
        let key = key_param(params, "key")?;
        match entry(state, &key).await? {
            Some(entry) => Some((key, entry)),
            None if allow_missing => {
                return Ok(
                    json!({"ok": true, "key": key.as_str(), "agentId": agent_of(state, &key).as_str()}),
                );
            }
            None => return Err(invalid(format!("No session found: {raw}"))),
        }
    } else if let Some(raw) = session_id {
        let id = SessionId::new(raw).map_err(|e| invalid(format!("invalid sessionId: {e}")))?;
        let found = state
            .0
            .store
            .find_session_by_id(&id)
            .await
            .map_err(|e| unavailable(METHOD, &e))?;
        match found {
            Some(found) => Some((found.key, found.entry)),
            None => return Err(invalid(format!("No session found: {raw}"))),
        }
    } else {
        None
    };
    if let Some((key, entry)) = found {
        return Ok(resolved(state, &key, entry.display_name.or(entry.label)));
    }
    let label = label.unwrap_or_default();
    let sessions = state
        .0
        .store
        .list_sessions(agent.as_ref(), usize::MAX)
        .await
        .map_err(|e| unavailable(METHOD, &e))?;
    let matches: Vec<_> = sessions
        .into_iter()
        .filter(|s| s.entry.label.as_deref() == Some(label))
        .filter(|s| {
            spawned_by
                .is_none_or(|p| s.entry.spawned_by.as_ref().map(SessionKey::as_str) == Some(p))
        })
        .collect();
    match matches.as_slice() {
        [only] => Ok(resolved(
            state,
            &only.key,
            only.entry.display_name.clone().or(only.entry.label.clone()),
        )),
        [] => Err(invalid(format!("No session found with label: {label}"))),
        several => {
            let keys: Vec<&str> = several.iter().map(|s| s.key.as_str()).collect();
            Err(invalid(format!(
                "Multiple sessions found with label: {label} ({})",
                keys.join(", ")
            )))
        }
    }
}

fn resolved(state: &GatewayState, key: &SessionKey, display_name: Option<String>) -> Value {
    let mut result =
        json!({"ok": true, "key": key.as_str(), "agentId": agent_of(state, key).as_str()});
    if let Some(name) = display_name {
        result["displayName"] = json!(name);
    }
    result
}
