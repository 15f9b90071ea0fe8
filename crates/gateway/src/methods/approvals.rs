//! `exec.approval.*` and `exec.approvals.*`: exec approval requests, decisions and the approvals
//! file.
//!
//! Requests live in the agent runtime's [`ApprovalBroker`]: an `exec` tool call that needs a
//! human, or a client's `exec.approval.request`, waits there until an operator answers with
//! `exec.approval.resolve`. Every connection granted `operator.approvals` counts as an approver
//! while it is open (without one, requests settle by `askFallback` at once instead of hanging),
//! and sees `exec.approval.requested` / `exec.approval.resolved` events.

use std::time::Duration;

use rustyclaw_protocol::gateway::ResponseFrame;
use rustyclaw_tools::approvals::{
    Answer, ApprovalBroker, ApprovalEvent, ApprovalPayload, ApprovalResolved, ApprovalsFile,
    ApprovalsStore, ApproverGuard, Ask, Decision, Outcome, ResolveError, Security,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;

use super::{
    ADMIN, APPROVALS, Call, Fail, Reply, has_scope, invalid, string_param, unavailable, unhandled,
};
use crate::handshake::Granted;
use crate::outbox::Sender;
use crate::state::GatewayState;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("exec.approval.list", APPROVALS),
    ("exec.approval.get", APPROVALS),
    ("exec.approval.request", APPROVALS),
    ("exec.approval.waitDecision", APPROVALS),
    ("exec.approval.resolve", APPROVALS),
    ("exec.approvals.get", ADMIN),
    ("exec.approvals.set", ADMIN),
    ("plugin.approval.list", APPROVALS),
    ("question.list", super::WRITE),
];

/// Longest wait a client may ask for in `exec.approval.request` (upstream has no cap; a day
/// keeps a forgotten request from pinning memory for ever).
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    let broker = &call.state.0.runtime.approvals();
    match method {
        "exec.approval.list" => Ok(serde_json::to_value(broker.pending()).unwrap_or_default()),
        "exec.approval.get" => get(broker, params),
        "exec.approval.waitDecision" => wait_decision(broker, params).await,
        "exec.approval.resolve" => resolve(call, broker, params),
        "exec.approval.request" => request(call, broker, params).await,
        "exec.approvals.get" => file_snapshot(call.state),
        "exec.approvals.set" => set_file(call.state, params),
        // What the official TUI polls at start. rustyclaw runs no plugins, so no plugin asks
        // for approval, and its agent has no tool that asks the user a question: both lists
        // are truly empty.
        "plugin.approval.list" => Ok(json!([])),
        "question.list" => Ok(json!({"questions": []})),
        _ => unhandled(method),
    }
}

/// Registers `granted` as an approver for as long as the guard lives, if it may approve.
pub(crate) fn approver_for(state: &GatewayState, granted: &Granted) -> Option<ApproverGuard> {
    has_scope(&granted.scopes, APPROVALS).then(|| state.0.runtime.approvals().register_approver())
}

/// Forwards the broker's events to approval-scoped clients, for the life of the gateway.
pub(crate) fn spawn_forwarder(state: &GatewayState) {
    let mut events = state.0.runtime.approvals().subscribe();
    let weak = std::sync::Arc::downgrade(&state.0);
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "approval events were dropped before reaching clients"
                    );
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let Some(shared) = weak.upgrade() else { return };
            let state = GatewayState(shared);
            match event {
                ApprovalEvent::Requested(request) => {
                    state.broadcast("exec.approval.requested", Some(APPROVALS), &request);
                }
                ApprovalEvent::Resolved(resolved) => {
                    state.broadcast(
                        "exec.approval.resolved",
                        Some(APPROVALS),
                        &resolved_payload(&resolved),
                    );
                }
            }
        }
    });
}

/// Upstream's `exec.approval.resolved` payload; an expired or withdrawn request (which upstream
/// leaves for clients to time out) is announced too, with a null decision and the reason, so
/// approval prompts close.
fn resolved_payload(resolved: &ApprovalResolved) -> Value {
    let (decision, reason) = match resolved.outcome {
        Outcome::Decided(decision) => (Some(decision.as_str()), None),
        Outcome::Expired => (None, Some("expired")),
        Outcome::Withdrawn => (None, Some("withdrawn")),
    };
    let mut payload = json!({
        "id": resolved.id,
        "decision": decision,
        "resolvedBy": resolved.resolved_by,
        "ts": resolved.ts,
        "request": resolved.request,
    });
    if let Some(reason) = reason {
        payload["reason"] = json!(reason);
    }
    payload
}

fn get(broker: &ApprovalBroker, params: &Value) -> Reply {
    let id = string_param(params, "id")?;
    broker
        .get(id.trim())
        .map(|request| serde_json::to_value(request).unwrap_or_default())
        .ok_or_else(|| invalid("approval expired or not found"))
}

/// `exec.approval.waitDecision {id}`: waits for the pending request's decision (null when it
/// expires), without answering it.
async fn wait_decision(broker: &ApprovalBroker, params: &Value) -> Reply {
    let id = string_param(params, "id")?.trim().to_owned();
    let mut events = broker.subscribe();
    let Some(request) = broker.get(&id) else {
        return Err(invalid("approval expired or not found"));
    };
    loop {
        match events.recv().await {
            Ok(ApprovalEvent::Resolved(resolved)) if resolved.id == id => {
                let decision = match resolved.outcome {
                    Outcome::Decided(decision) => Some(decision.as_str()),
                    Outcome::Expired | Outcome::Withdrawn => None,
                };
                return Ok(json!({
                    "id": id,
                    "decision": decision,
                    "createdAtMs": request.created_at_ms,
                    "expiresAtMs": request.expires_at_ms,
                }));
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {
                // A lagged receiver may have missed the resolution: look again.
                if broker.get(&id).is_none() {
                    return Ok(json!({"id": id, "decision": null,
                        "createdAtMs": request.created_at_ms, "expiresAtMs": request.expires_at_ms}));
                }
            }
            Err(RecvError::Closed) => {
                return Err(unavailable(
                    "exec.approval.waitDecision",
                    &"the approval broker stopped",
                ));
            }
        }
    }
}

fn resolve(call: &Call<'_>, broker: &ApprovalBroker, params: &Value) -> Reply {
    let id = string_param(params, "id")?;
    let word = string_param(params, "decision")?;
    // Upstream accepts exactly the three decision words here (the aliases are for chat).
    let decision = match word {
        "allow-once" => Decision::AllowOnce,
        "allow-always" => Decision::AllowAlways,
        "deny" => Decision::Deny,
        _ => return Err(invalid("invalid decision")),
    };
    let client = &call.granted.client;
    let resolved_by = client
        .display_name
        .clone()
        .unwrap_or_else(|| client.id.to_string());
    match broker.resolve(id, decision, Some(&resolved_by)) {
        Ok(_) => Ok(json!({"ok": true})),
        Err(ResolveError::Unknown { .. }) => Err(invalid("unknown or expired approval id")),
        Err(ResolveError::Ambiguous { matches, .. }) => {
            let shown: Vec<&str> = matches.iter().take(3).map(String::as_str).collect();
            let more = if matches.len() > 3 {
                format!(" (+{} more)", matches.len() - 3)
            } else {
                String::new()
            };
            Err(invalid(format!(
                "ambiguous approval id prefix; matches: {}{more}. Use the full id.",
                shown.join(", ")
            )))
        }
    }
}

/// `exec.approval.request`: a client (a node host, a tool runner) asks the operators. With
/// `twoPhase` the request is acknowledged first (`status: accepted`); the final answer carries
/// the decision, null when nobody answered in time or no approver is connected.
async fn request(call: &Call<'_>, broker: &ApprovalBroker, params: &Value) -> Reply {
    let payload = request_payload(call.state, params)?;
    if payload.host == "node" {
        // Node hosts are not supported yet: their requests must carry a run plan this gateway
        // cannot execute anyway.
        return Err(invalid(
            "host=node approvals need a paired node; nodes are not supported",
        ));
    }
    let id = params
        .get("id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let timeout = params
        .get("timeoutMs")
        .and_then(Value::as_u64)
        .map(|ms| Duration::from_millis(ms).min(MAX_REQUEST_TIMEOUT));
    let open = broker
        .open(payload, id, timeout)
        .map_err(|e| invalid(e.to_string()))?;
    let (id, created, expires) = {
        let r = open.request();
        (r.id.clone(), r.created_at_ms, r.expires_at_ms)
    };
    if params.get("twoPhase").and_then(Value::as_bool) == Some(true) {
        let accepted =
            json!({"status": "accepted", "id": id, "createdAtMs": created, "expiresAtMs": expires});
        respond(call.sender, call.id, accepted).await;
    }
    let answer = if broker.has_approver() {
        open.wait().await
    } else {
        // Nobody can answer: settle now, as upstream auto-expires without approver clients.
        drop(open);
        Answer::NoApprover
    };
    let decision = match answer {
        Answer::Decided(decision) => Some(decision.as_str()),
        Answer::Expired | Answer::NoApprover => None,
    };
    Ok(json!({"id": id, "decision": decision, "createdAtMs": created, "expiresAtMs": expires}))
}

async fn respond(sender: &Sender, id: &str, payload: Value) {
    sender.respond(ResponseFrame::ok(id, payload)).await;
}

/// The request as the broker announces it. Security and ask default to what this host's
/// approvals file says for the agent, since the requester did not say.
fn request_payload(state: &GatewayState, params: &Value) -> Result<ApprovalPayload, Fail> {
    let text = |name: &str| {
        params
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let argv: Vec<String> = params
        .get("commandArgv")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let command = text("command")
        .or_else(|| (!argv.is_empty()).then(|| argv.join(" ")))
        .ok_or_else(|| {
            invalid("invalid exec.approval.request params: must have required property 'command'")
        })?;
    let agent_id = text("agentId");
    let host_policy = store(state)
        .ok()
        .and_then(|s| s.load().ok())
        .unwrap_or_default()
        .host_policy(agent_id.as_deref().unwrap_or("*"))
        .policy;
    let security = match text("security") {
        Some(word) => parse_word::<Security>(&word, "security")?,
        None => host_policy.security,
    };
    let ask = match text("ask") {
        Some(word) => parse_word::<Ask>(&word, "ask")?,
        None => host_policy.ask,
    };
    Ok(ApprovalPayload {
        command,
        cwd: text("cwd"),
        host: text("host").unwrap_or_else(|| "gateway".to_owned()),
        security,
        ask,
        agent_id,
        resolved_path: text("resolvedPath"),
        session_key: text("sessionKey"),
    })
}

fn parse_word<T: serde::de::DeserializeOwned>(word: &str, field: &str) -> Result<T, Fail> {
    serde_json::from_value(Value::String(word.to_owned())).map_err(|_| {
        invalid(format!(
            "invalid exec.approval.request params: at /{field}: unknown value {word:?}"
        ))
    })
}

fn store(state: &GatewayState) -> Result<ApprovalsStore, Fail> {
    let dir = state
        .0
        .options
        .state_dir
        .as_deref()
        .ok_or_else(|| unavailable("exec approvals", &"the gateway has no state directory"))?;
    Ok(ApprovalsStore::in_state_dir(std::path::Path::new(dir)))
}

/// The file's raw text (empty when it does not exist) and its hash.
fn raw_and_hash(store: &ApprovalsStore) -> Result<(Option<String>, String), Fail> {
    let raw = match std::fs::read_to_string(store.path()) {
        Ok(raw) => Some(raw),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(unavailable("reading exec approvals", &e)),
    };
    let hash = hex::encode(Sha256::digest(raw.as_deref().unwrap_or("").as_bytes()));
    Ok((raw, hash))
}

/// `exec.approvals.get`: upstream's `ExecApprovalsSnapshot`; the socket token is never sent.
fn file_snapshot(state: &GatewayState) -> Reply {
    let store = store(state)?;
    let (raw, hash) = raw_and_hash(&store)?;
    let file = store.load().map_err(|e| invalid(e.to_string()))?;
    let defaults = file.host_policy("*").policy;
    let mut file_json = serde_json::to_value(&file).unwrap_or_default();
    if let Some(socket) = file_json.get_mut("socket").and_then(Value::as_object_mut) {
        socket.remove("token");
    }
    Ok(json!({
        "path": store.path().display().to_string(),
        "exists": raw.is_some(),
        "hash": hash,
        "file": file_json,
        "resolvedDefaults": {
            "security": defaults.security,
            "ask": defaults.ask,
            "askFallback": defaults.ask_fallback,
            "autoAllowSkills": file.defaults.as_ref().and_then(|d| d.auto_allow_skills).unwrap_or(false),
        },
    }))
}

/// `exec.approvals.set {file, baseHash?}`: replaces the file. `baseHash` (from `get`) is
/// required once the file exists, so two editors cannot overwrite each other; a socket token
/// left out (as `get` sends the file) is kept.
fn set_file(state: &GatewayState, params: &Value) -> Reply {
    let store = store(state)?;
    let (raw, hash) = raw_and_hash(&store)?;
    let base = params.get("baseHash").and_then(Value::as_str);
    if raw.is_some() {
        match base {
            None => {
                return Err(invalid(
                    "exec approvals base hash required; re-run exec.approvals.get and retry",
                ));
            }
            Some(base) if base != hash => {
                return Err(invalid(
                    "exec approvals changed since last load; re-run exec.approvals.get and retry",
                ));
            }
            Some(_) => {}
        }
    }
    let incoming = params.get("file").cloned().ok_or_else(|| {
        invalid("invalid exec.approvals.set params: must have required property 'file'")
    })?;
    let mut file: ApprovalsFile = serde_json::from_value(incoming)
        .map_err(|e| invalid(format!("invalid exec.approvals.set params: at /file: {e}")))?;
    if file.version != 1 {
        return Err(invalid(
            "invalid exec.approvals.set params: at /file/version: must be equal to constant 1",
        ));
    }
    store
        .update(|current| {
            let kept_token = current
                .other
                .get("socket")
                .and_then(|s| s.get("token"))
                .cloned();
            if let (Some(token), Some(socket)) = (
                kept_token,
                file.other.get_mut("socket").and_then(Value::as_object_mut),
            ) {
                socket.entry("token").or_insert(token);
            }
            *current = file;
        })
        .map_err(|e| invalid(e.to_string()))?;
    file_snapshot(state)
}
