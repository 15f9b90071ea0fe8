//! `sessions.patch`, `sessions.reset`, `sessions.delete`, `sessions.compact`: owner-only changes
//! to a session's entry and transcript.

use std::sync::Arc;

use rustyclaw_agent::{Inbound, Op, RunId, THINKING_LEVELS};
use rustyclaw_protocol::{SessionEntry, SessionId, SessionKey, SessionKeyKind};
use rustyclaw_store::TranscriptRetention;
use serde_json::{Map, Value, json};

use super::super::{Fail, Reply, invalid, unavailable};
use super::{agent_of, bool_param, changed, entry, key_param, stop_and_take_session};
use crate::clock::now_ms_i64;
use crate::state::GatewayState;

/// Longest label (upstream).
const LABEL_MAX: usize = 512;

/// Patchable fields whose value is one of a few words (`null` clears them).
const WORD_FIELDS: &[(&str, &[&str])] = &[
    ("thinkingLevel", THINKING_LEVELS),
    ("verboseLevel", &["off", "on", "full"]),
    ("reasoningLevel", &["off", "on", "stream"]),
    ("elevatedLevel", &["off", "on", "ask", "full"]),
    ("responseUsage", &["off", "tokens", "full", "on"]),
    ("sendPolicy", &["allow", "deny"]),
    ("groupActivation", &["mention", "always"]),
];

fn new_session_id() -> Result<SessionId, Fail> {
    SessionId::new(uuid::Uuid::new_v4().to_string())
        .map_err(|e| unavailable("creating a session id", &e))
}

/// A new entry for `key`, as the runtime creates one on a session's first message.
pub(super) fn fresh_entry() -> Result<SessionEntry, Fail> {
    let now = now_ms_i64();
    let mut entry = SessionEntry::new(new_session_id()?, now);
    entry.created_at = Some(now);
    entry.session_started_at = Some(now);
    Ok(entry)
}

/// Writes `entry` for `key`; the caller holds the session's lock.
async fn save(state: &GatewayState, key: &SessionKey, entry: &SessionEntry) -> Result<(), Fail> {
    state
        .0
        .store
        .upsert_session(key, entry)
        .await
        .map_err(|e| unavailable("saving the session", &e))
}

/// Fails unless no other session has `label` (labels name sessions for `sessions.resolve`).
pub(super) async fn check_label_free(
    state: &GatewayState,
    key: &SessionKey,
    label: &str,
) -> Result<(), Fail> {
    let sessions = state
        .0
        .store
        .list_sessions(None, usize::MAX)
        .await
        .map_err(|e| unavailable("checking the label", &e))?;
    if sessions
        .iter()
        .any(|s| s.key != *key && s.entry.label.as_deref() == Some(label))
    {
        return Err(invalid(format!("label already in use: {label}")));
    }
    Ok(())
}

/// A label parameter: trimmed, 1 to 512 characters.
pub(super) fn label_value(method: &str, value: &str) -> Result<String, Fail> {
    let label = value.trim();
    if label.is_empty() {
        return Err(invalid(format!(
            "invalid {method} params: at /label: must NOT have fewer than 1 characters"
        )));
    }
    if label.chars().count() > LABEL_MAX {
        return Err(invalid(format!(
            "invalid {method} params: at /label: must NOT have more than {LABEL_MAX} characters"
        )));
    }
    Ok(label.to_owned())
}

/// Resolves a model reference against the catalog into (provider, model id).
pub(super) fn resolve_model(
    state: &GatewayState,
    reference: &str,
) -> Result<(String, String), Fail> {
    let spec = state
        .0
        .runtime
        .models()
        .resolve(reference.trim())
        .map_err(|e| invalid(format!("invalid model: {e}")))?;
    Ok((spec.provider, spec.id))
}

/// `sessions.patch {key, label?, thinkingLevel?, fastMode?, verboseLevel?, reasoningLevel?,
/// responseUsage?, elevatedLevel?, model?, sendPolicy?, groupActivation?}`: `null` clears a
/// field; a session that does not exist yet is created.
pub(super) async fn patch(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "sessions.patch";
    let key = key_param(params, "key")?;
    let Some(fields) = params.as_object() else {
        return Err(invalid(format!("invalid {METHOD} params: must be object")));
    };
    // Validate everything before touching the session.
    let mut changes: Map<String, Value> = Map::new();
    let mut model: Option<Option<(String, String)>> = None;
    for (name, value) in fields {
        match name.as_str() {
            "key" | "agentId" => {}
            "label" => match value {
                Value::Null => {
                    changes.insert(name.clone(), Value::Null);
                }
                Value::String(s) => {
                    let label = label_value(METHOD, s)?;
                    check_label_free(state, &key, &label).await?;
                    changes.insert(name.clone(), json!(label));
                }
                _ => return Err(type_error(METHOD, name, "string")),
            },
            "fastMode" => match value {
                Value::Null => {
                    changes.insert(name.clone(), Value::Null);
                }
                // `auto` leaves the choice to the defaults, as an unset field does.
                Value::String(s) if s == "auto" => {
                    changes.insert(name.clone(), Value::Null);
                }
                Value::Bool(_) => {
                    changes.insert(name.clone(), value.clone());
                }
                _ => return Err(type_error(METHOD, name, "boolean")),
            },
            "model" => match value {
                Value::Null => model = Some(None),
                Value::String(s) if !s.trim().is_empty() => {
                    model = Some(Some(resolve_model(state, s)?));
                }
                _ => return Err(type_error(METHOD, name, "string")),
            },
            other => {
                let Some((_, words)) = WORD_FIELDS.iter().find(|(field, _)| *field == other) else {
                    return Err(invalid(format!(
                        "invalid {METHOD} params: {other} is not supported by this gateway"
                    )));
                };
                match value {
                    Value::Null => {
                        changes.insert(name.clone(), Value::Null);
                    }
                    Value::String(s) if words.contains(&s.trim().to_lowercase().as_str()) => {
                        changes.insert(name.clone(), json!(s.trim().to_lowercase()));
                    }
                    _ => {
                        return Err(invalid(format!(
                            "invalid {other} (use {})",
                            words.join("|")
                        )));
                    }
                }
            }
        }
    }
    // Applied by the session's lane, which owns the entry: at once when no turn runs, else
    // by the turn itself, so neither overwrites the other.
    let fields = Arc::new(Fields { changes, model });
    if let Err(error) = fields.applied_to(&fresh_entry()?) {
        return Err(invalid(format!("invalid {METHOD} params: {error}")));
    }
    let apply = Arc::clone(&fields);
    let patch: rustyclaw_agent::SessionPatch = Arc::new(
        move |entry: &mut SessionEntry| match apply.applied_to(entry) {
            Ok(patched) => *entry = patched,
            Err(error) => tracing::error!(%error, "a validated session patch did not apply"),
        },
    );
    let fallback = fresh_entry()?;
    let patched = state
        .0
        .runtime
        .patch_session(&key, patch, move || fallback)
        .await
        .map_err(|e| unavailable("saving the session", &e))?
        .entry()
        .clone();
    changed::emit(state, &key, "patch").await;
    let mut result = json!({
        "ok": true,
        "path": state.sessions_path(),
        "key": key.as_str(),
        "entry": patched,
    });
    let agent = agent_of(state, &key);
    if let Some(agent) = state.config().agents.get(agent.as_str())
        && let Ok(plan) = state.0.runtime.models().plan(agent, &patched)
    {
        result["resolved"] =
            json!({"modelProvider": plan.primary.provider, "model": plan.primary.id});
    }
    Ok(result)
}

/// The validated fields of a `sessions.patch`.
struct Fields {
    /// Entry fields to set (`null` removes).
    changes: Map<String, Value>,
    /// `Some(Some((provider, model)))` sets the model override, `Some(None)` clears it.
    model: Option<Option<(String, String)>>,
}

impl Fields {
    /// `entry` with the fields set.
    fn applied_to(&self, entry: &SessionEntry) -> Result<SessionEntry, String> {
        let mut json = match serde_json::to_value(entry) {
            Ok(Value::Object(map)) => map,
            _ => return Err("the session entry is not an object".to_owned()),
        };
        for (name, value) in &self.changes {
            if value.is_null() {
                json.remove(name);
            } else {
                json.insert(name.clone(), value.clone());
            }
        }
        match &self.model {
            Some(Some((provider, id))) => {
                json.insert("providerOverride".into(), json!(provider));
                json.insert("modelOverride".into(), json!(id));
            }
            Some(None) => {
                json.remove("providerOverride");
                json.remove("modelOverride");
            }
            None => {}
        }
        json.insert("updatedAt".into(), json!(now_ms_i64()));
        serde_json::from_value(Value::Object(json)).map_err(|e| e.to_string())
    }
}

fn type_error(method: &str, name: &str, expected: &str) -> Fail {
    invalid(format!(
        "invalid {method} params: at /{name}: must be {expected} or null"
    ))
}

/// `sessions.reset {key, reason?: new|reset}`: stops the session's runs and gives it a new
/// session id. Settings, overrides, label and routing carry over; counters and the transcript
/// start over (the old transcript stays in the store under its session id, as upstream keeps the
/// old file).
pub(super) async fn reset(state: &GatewayState, params: &Value) -> Reply {
    let key = key_param(params, "key")?;
    let reason = match params.get("reason") {
        None | Some(Value::Null) => "reset",
        Some(Value::String(s)) if s == "new" || s == "reset" => s.as_str(),
        Some(_) => {
            return Err(invalid(
                "invalid sessions.reset params: at /reason: must be equal to one of the allowed values (new, reset)",
            ));
        }
    };
    let session = stop_and_take_session(state, &key).await?;
    let mut fresh = fresh_entry()?;
    if let Some(old) = entry(state, &key).await? {
        fresh.created_at = old.created_at.or(fresh.created_at);
        fresh.label = old.label;
        fresh.display_name = old.display_name;
        fresh.channel = old.channel;
        fresh.chat_type = old.chat_type;
        fresh.group_id = old.group_id;
        fresh.subject = old.subject;
        fresh.origin = old.origin;
        fresh.delivery_context = old.delivery_context;
        fresh.last_channel = old.last_channel;
        fresh.last_to = old.last_to;
        fresh.last_account_id = old.last_account_id;
        fresh.last_thread_id = old.last_thread_id;
        fresh.thinking_level = old.thinking_level;
        fresh.verbose_level = old.verbose_level;
        fresh.reasoning_level = old.reasoning_level;
        fresh.fast_mode = old.fast_mode;
        fresh.elevated_level = old.elevated_level;
        fresh.queue_mode = old.queue_mode;
        fresh.send_policy = old.send_policy;
        fresh.group_activation = old.group_activation;
        fresh.provider_override = old.provider_override;
        fresh.model_override = old.model_override;
        fresh.auth_profile_override = old.auth_profile_override;
        fresh.spawned_by = old.spawned_by;
        fresh.parent_session_key = old.parent_session_key;
        fresh.spawn_depth = old.spawn_depth;
        fresh.other = old.other;
    }
    save(state, &key, &fresh).await?;
    drop(session);
    changed::emit(state, &key, reason).await;
    Ok(json!({"ok": true, "key": key.as_str(), "entry": fresh}))
}

/// `sessions.delete {key, deleteTranscript? (default true)}`: stops the session's runs and
/// removes its entry (and transcript). The main session cannot be deleted, as upstream refuses.
pub(super) async fn delete(state: &GatewayState, params: &Value) -> Reply {
    let key = key_param(params, "key")?;
    if matches!(key.kind(), SessionKeyKind::Main) {
        return Err(invalid(format!(
            "Cannot delete the main session ({}).",
            key.as_str()
        )));
    }
    let retention = if bool_param(params, "sessions.delete", "deleteTranscript")?.unwrap_or(true) {
        TranscriptRetention::Delete
    } else {
        TranscriptRetention::Keep
    };
    let session = stop_and_take_session(state, &key).await?;
    let deleted = state
        .0
        .store
        .delete_session(&key, retention)
        .await
        .map_err(|e| unavailable("sessions.delete", &e))?;
    drop(session);
    if deleted {
        changed::emit(state, &key, "delete").await;
    }
    // Nothing is archived: the store deletes rows, it does not rename files.
    Ok(json!({"ok": true, "key": key.as_str(), "deleted": deleted, "archived": []}))
}

/// `sessions.compact {key}`: summarises the older turns with the model, as `/compact` does (the
/// session's lane runs it, after any turn in progress). `maxLines`, upstream's cut of the JSONL
/// file to its last lines, is refused: transcripts here are append-only.
pub(super) async fn compact(state: &GatewayState, params: &Value) -> Reply {
    let key = key_param(params, "key")?;
    if params.get("maxLines").is_some_and(|v| !v.is_null()) {
        return Err(invalid(
            "sessions.compact: maxLines (cutting the transcript to its last lines) is not \
             supported: transcripts are append-only; omit it to have the model summarise older turns",
        ));
    }
    let Some(before) = entry(state, &key).await? else {
        return Ok(
            json!({"ok": true, "key": key.as_str(), "compacted": false, "reason": "no sessionId"}),
        );
    };
    let run_id = RunId::random();
    let ended = state.0.runtime.watch_run(&run_id);
    state
        .0
        .runtime
        .submit(Op::Message(Inbound {
            session_key: key.clone(),
            agent_id: agent_of(state, &key),
            text: "/compact".to_owned(),
            attachments: Vec::new(),
            run_id: run_id.clone(),
            thinking: None,
            // A turn of its own, after the one in progress: never collected with queued
            // messages, steered into a turn or interrupting one.
            queue_mode: Some(rustyclaw_protocol::session_entry::QueueMode::Followup),
            origin: rustyclaw_agent::MessageOrigin::default(),
            session_id: None,
        }))
        .map_err(|e| unavailable("sessions.compact", &e))?;
    let outcome = ended
        .await
        .map_err(|_| unavailable("sessions.compact", &"the agent runtime stopped"))?;
    let after = entry(state, &key).await?;
    let count = |e: &SessionEntry| e.compaction_count.unwrap_or(0);
    let compacted = after.as_ref().is_some_and(|a| count(a) > count(&before));
    changed::emit_with(state, &key, "compact", json!({"compacted": compacted})).await;
    let mut result = json!({"ok": true, "key": key.as_str(), "compacted": compacted});
    if !compacted && let Some(reason) = outcome.reply_text().or(outcome.error) {
        result["reason"] = json!(reason);
    }
    Ok(result)
}
