//! `sessions.create`, `sessions.send`, `sessions.abort` (the session-keyed twins of `chat.send`
//! and `chat.abort`) and `chat.inject`.

use rustyclaw_agent::THINKING_LEVELS;
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, EntryBody, MessageEntry, SessionHeader,
    StopReason, Usage, format_timestamp,
};
use rustyclaw_protocol::{AgentId, EntryId, SessionKey, TranscriptEntry, TranscriptLine};
use serde_json::{Value, json};

use super::super::{Fail, READ, Reply, chat, invalid, string_param, unavailable};
use super::edit::{check_label_free, fresh_entry, label_value, resolve_model};
use super::{agent_of, changed, entry, key_param, opt_string, take_session};
use crate::clock::now_ms_i64;
use crate::inbound::InboundPermit;
use crate::state::GatewayState;

/// Longest `chat.inject` label (upstream).
const INJECT_LABEL_MAX: usize = 100;

/// `sessions.create {key?, agentId?, label?, model?, parentSessionKey?, task?, message?,
/// idempotencyKey?}`: creates the session's entry (or adopts an existing key) and, with a task
/// or message, starts its first run as `chat.send` does.
/// `inbound`, a large first message's share of the large-request budget, goes to its run.
pub(super) async fn create(
    state: &GatewayState,
    params: &Value,
    inbound: Option<InboundPermit>,
) -> Reply {
    const METHOD: &str = "sessions.create";
    let config = state.config();
    let agent = match opt_string(params, METHOD, "agentId")? {
        Some(id) => AgentId::parse(id).map_err(|e| invalid(format!("invalid agentId: {e}")))?,
        None => match opt_string(params, METHOD, "key")? {
            Some(_) => agent_of(state, &key_param(params, "key")?),
            None => AgentId::normalize(&config.agents.default_agent_id),
        },
    };
    if config.agents.get(agent.as_str()).is_none() {
        return Err(invalid(format!("unknown agent id: {}", agent.as_str())));
    }
    let key = match opt_string(params, METHOD, "key")? {
        // A bare key (the official TUI's `/new` asks for `tui-<uuid>`) is the agent's: stored
        // and answered as `agent:<id>:<key>`, as upstream does.
        Some(raw) if !raw.starts_with("agent:") && raw != "global" => {
            SessionKey::parse(&format!("agent:{}:{raw}", agent.as_str()))
                .map_err(|e| invalid(format!("invalid key: {e}")))?
        }
        Some(_) => key_param(params, "key")?,
        None => SessionKey::parse(&format!(
            "agent:{}:dashboard:{}",
            agent.as_str(),
            uuid::Uuid::new_v4()
        ))
        .map_err(|e| unavailable("creating a session key", &e))?,
    };
    if key.agent_id().is_some_and(|owner| owner != agent) {
        return Err(invalid(format!(
            "session key {} belongs to another agent than {}",
            key.as_str(),
            agent.as_str()
        )));
    }
    let label = match opt_string(params, METHOD, "label")? {
        Some(label) => {
            let label = label_value(METHOD, label)?;
            check_label_free(state, &key, &label).await?;
            Some(label)
        }
        None => None,
    };
    let model = opt_string(params, METHOD, "model")?
        .map(|m| resolve_model(state, m))
        .transpose()?;
    let parent = opt_string(params, METHOD, "parentSessionKey")?
        .map(|_| key_param(params, "parentSessionKey"))
        .transpose()?;
    let first_message = ["task", "message"]
        .iter()
        .find_map(|name| params.get(*name).and_then(Value::as_str))
        .filter(|text| !text.trim().is_empty())
        .map(str::to_owned);

    let session = take_session(state, &key).await?;
    let mut created = match entry(state, &key).await? {
        Some(existing) => existing,
        None => {
            let mut fresh = fresh_entry()?;
            fresh.created_via = Some("gateway".to_owned());
            fresh
        }
    };
    if label.is_some() {
        created.label = label;
    }
    if let Some((provider, id)) = model {
        created.provider_override = Some(provider);
        created.model_override = Some(id);
    }
    if parent.is_some() {
        created.parent_session_key = parent;
    }
    created.updated_at = now_ms_i64();
    state
        .0
        .store
        .upsert_session(&key, &created)
        .await
        .map_err(|e| unavailable(METHOD, &e))?;
    drop(session);
    changed::emit(state, &key, "create").await;

    let mut result = json!({
        "ok": true,
        "key": key.as_str(),
        "sessionId": created.session_id.as_str(),
        "entry": created,
    });
    if let Some(message) = first_message {
        let idempotency_key = opt_string(params, METHOD, "idempotencyKey")?
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let started = chat::send_for(
            state,
            &json!({"sessionKey": key.as_str(), "message": message, "idempotencyKey": idempotency_key}),
            inbound,
        )
        .await?;
        result["runStarted"] = json!(true);
        result["runId"] = started["runId"].clone();
    }
    Ok(result)
}

/// `sessions.send {key, message, thinking?, idempotencyKey?}`: `chat.send` by session key. A
/// `thinking` level applies to this message only (as a leading `/think` directive would).
pub(super) async fn send(
    state: &GatewayState,
    params: &Value,
    inbound: Option<InboundPermit>,
) -> Reply {
    const METHOD: &str = "sessions.send";
    let key = key_param(params, "key")?;
    let message = string_param(params, "message")?;
    let message = match opt_string(params, METHOD, "thinking")? {
        Some(level) if THINKING_LEVELS.contains(&level.trim().to_lowercase().as_str()) => {
            format!("/think {} {message}", level.trim().to_lowercase())
        }
        Some(_) => {
            return Err(invalid(format!(
                "invalid thinking (use {})",
                THINKING_LEVELS.join("|")
            )));
        }
        None => message.to_owned(),
    };
    let idempotency_key = opt_string(params, METHOD, "idempotencyKey")?
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    chat::send_for(
        state,
        &json!({"sessionKey": key.as_str(), "message": message, "idempotencyKey": idempotency_key}),
        inbound,
    )
    .await
}

/// `sessions.abort {key, runId?}`: `chat.abort` by session key.
pub(super) fn abort(state: &GatewayState, params: &Value) -> Reply {
    let key = key_param(params, "key")?;
    let mut forwarded = json!({"sessionKey": key.as_str()});
    if let Some(run_id) = opt_string(params, "sessions.abort", "runId")? {
        forwarded["runId"] = json!(run_id);
    }
    chat::abort(state, &forwarded)
}

/// `chat.inject {sessionKey, message, label?}`: appends an assistant note to the transcript
/// (provider `openclaw`, model `gateway-injected`, so no reader takes it for model output; the
/// model sees it in later turns) and sends it as a `final` `chat` event.
pub(super) async fn inject(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "chat.inject";
    let key = key_param(params, "sessionKey")?;
    let message = string_param(params, "message")?;
    let label = match params.get("label") {
        None | Some(Value::Null) => None,
        Some(Value::String(label)) if label.chars().count() <= INJECT_LABEL_MAX => {
            Some(label.trim()).filter(|l| !l.is_empty())
        }
        Some(Value::String(_)) => {
            return Err(invalid(format!(
                "invalid {METHOD} params: at /label: must NOT have more than {INJECT_LABEL_MAX} characters"
            )));
        }
        Some(_) => {
            return Err(invalid(format!(
                "invalid {METHOD} params: at /label: must be string"
            )));
        }
    };
    let lock = take_session(state, &key).await?;
    let Some(session) = entry(state, &key).await? else {
        return Err(invalid("session not found"));
    };
    let text = match label {
        Some(label) => format!("[{label}]\n\n{message}"),
        None => message.to_owned(),
    };
    let now = now_ms_i64();
    let reply = AssistantMessage::new(
        vec![ContentBlock::text(text)],
        "openai-responses".to_owned(),
        "openclaw".to_owned(),
        "gateway-injected".to_owned(),
        Usage::default(),
        StopReason::Stop,
        now,
    );
    let message_id = EntryId::new(uuid::Uuid::new_v4().to_string())
        .map_err(|e| unavailable("creating an entry id", &e))?;
    let lines = lines_for(
        state,
        &key,
        &session.session_id,
        &message_id,
        reply.clone(),
        now,
    )
    .await?;
    state
        .0
        .store
        .append_transcript(&session.session_id, &lines)
        .await
        .map_err(|e| unavailable("failed to write transcript", &e))?;
    drop(lock);
    let payload = json!({
        "runId": format!("inject-{}", message_id.as_str()),
        "sessionKey": key.as_str(),
        "seq": 0,
        "state": "final",
        "message": AgentMessage::Assistant(reply),
    });
    state.broadcast("chat", Some(READ), &payload);
    changed::emit(state, &key, "inject").await;
    Ok(json!({"ok": true, "messageId": message_id.as_str()}))
}

/// The lines that append `reply` after the transcript's last entry (with the `session` header
/// first when the transcript has no line yet, as for a session created but never run).
async fn lines_for(
    state: &GatewayState,
    key: &SessionKey,
    session_id: &rustyclaw_protocol::SessionId,
    id: &EntryId,
    reply: AssistantMessage,
    now: i64,
) -> Result<Vec<TranscriptLine>, Fail> {
    let store = &state.0.store;
    let length = store
        .transcript_len(session_id)
        .await
        .map_err(|e| unavailable("reading the transcript", &e))?;
    let timestamp = format_timestamp(now);
    let mut lines = Vec::with_capacity(2);
    let parent = if length == 0 {
        let agent = agent_of(state, key);
        let cwd = state
            .config()
            .agents
            .get(agent.as_str())
            .map(|a| a.workspace.display().to_string())
            .unwrap_or_default();
        lines.push(TranscriptLine::Session(SessionHeader::new(
            session_id.clone(),
            timestamp.clone(),
            cwd,
        )));
        None
    } else {
        let last = store
            .transcript(session_id, length - 1, 1)
            .await
            .map_err(|e| unavailable("reading the transcript", &e))?;
        last.into_iter().find_map(|stored| match stored.line {
            TranscriptLine::Entry(entry) => Some(entry.id),
            TranscriptLine::Session(_) => None,
        })
    };
    lines.push(TranscriptLine::Entry(TranscriptEntry::new(
        id.clone(),
        parent,
        timestamp,
        EntryBody::Message(MessageEntry::new(AgentMessage::Assistant(reply))),
    )));
    Ok(lines)
}
