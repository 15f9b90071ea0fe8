//! `chat.send`, `chat.history`, `chat.abort`, `agent` and `agent.wait`: the methods that start,
//! stop and read agent runs.

use std::time::Duration;

use rustyclaw_agent::{
    ChannelId, Inbound, MediaRef, MessageOrigin, Op, ReplyPayload, RunId, RunOutcome, RunStatus,
};
use rustyclaw_protocol::attachment::InboundAttachment;
use rustyclaw_protocol::gateway::ResponseFrame;
use rustyclaw_protocol::transcript::EntryBody;
use rustyclaw_protocol::{AgentId, SessionId, SessionKey, TranscriptLine};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::{
    Call, Fail, READ, Reply, WRITE, invalid, ledger, string_param, unavailable, unhandled,
};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("chat.history", READ),
    ("chat.send", WRITE),
    ("chat.abort", WRITE),
    ("agent", WRITE),
    ("agent.wait", WRITE),
];

/// Everything but `agent` and `chat.send`, which send their own answers and are dispatched to
/// [`agent`] and [`send`] directly.
pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "chat.history" => history(call.state, params).await,
        "chat.abort" => abort(call.state, params),
        "agent.wait" => wait(call.state, params).await,
        _ => unhandled(method),
    }
}
use crate::clock::now_ms;
use crate::dedupe::Seen;
use crate::inbound::InboundPermit;
use crate::outbox::Sender;
use crate::state::GatewayState;

/// Default and largest `chat.history` page (upstream).
const HISTORY_LIMIT: usize = 200;
const HISTORY_MAX: usize = 1000;
/// How long `chat.send` waits for the client to have read its answer before starting the turn
/// (see [`send`]): a client that never answers pings costs its turns this much, no more.
const ANSWER_READ_WITHIN: Duration = Duration::from_millis(250);
/// Default `agent.wait` timeout (upstream).
const WAIT_DEFAULT_MS: u64 = 30_000;

/// `chat.send`: answers `{runId, status: "started"}`, and submits the turn once the client's
/// pong shows it has read that answer, so it has its answer before any event of the run (the
/// official TUI, given events of a run it had no answer for yet, waits for that run forever). `inbound`, a large message's share of
/// the large-request budget, is held until the run ends: the run keeps copies of the message
/// until then. A turn the runtime then refuses ends with a `chat` `error` event.
pub(super) async fn send(
    state: &GatewayState,
    id: &str,
    params: &Value,
    sender: &Sender,
    inbound: Option<InboundPermit>,
) {
    let (key, message, idempotency_key, attachments) = match accept_send(state, params).await {
        Ok(Send::Start {
            key,
            message,
            idempotency_key,
            attachments,
        }) => (key, message, idempotency_key, attachments),
        Ok(Send::Answer(payload)) => return sender.respond(ResponseFrame::ok(id, payload)).await,
        Err(error) => return sender.respond(ResponseFrame::err(id, *error)).await,
    };
    let run_id = RunId(idempotency_key.clone());
    let agent_id = agent_of(state, &key);
    // Watched before it is submitted, so its end is not missed.
    let ended = state.0.runtime.watch_run(&run_id);
    sender
        .respond(ResponseFrame::ok(
            id,
            json!({"runId": idempotency_key, "status": "started"}),
        ))
        .await;
    // The official TUI must have handled the answer before the run's first event reaches it:
    // handled after the run's `lifecycle` start (both read at once by a busy client), the
    // answer puts it back to waiting for a run that has already ended, for good. Its pong to
    // a ping sent after the answer proves it read the answer, and the events that follow
    // come in a later read: one round trip (well under a millisecond on loopback), not a
    // guess at how late a loaded client reads.
    if !sender.round_trip(ANSWER_READ_WITHIN).await {
        tracing::debug!(run = %run_id.0, "client did not answer a ping; starting the run anyway");
    }
    let turn = Turn {
        text: message,
        attachments,
    };
    if let Err(error) = submit(state, &key, agent_id, turn, &run_id, None, "webchat") {
        let text = error.message.clone();
        sender.event(crate::pump::chat_error(&run_id.0, key.as_str(), &text));
        state
            .0
            .dedupe
            .finish(&run_id.0, json!({"runId": run_id.0, "status": "error"}));
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let outcome = finished(ended).await;
        // The run held copies of a large message until now: its share of the budget goes back.
        drop(inbound);
        let status = outcome.as_ref().map_or("error", |o| status_word(o.status));
        state
            .0
            .dedupe
            .finish(&run_id.0, json!({"runId": run_id.0, "status": status}));
    });
}

/// A `chat.send` made on behalf of another method (`sessions.send`, `sessions.create`): the
/// turn is submitted, then the answer returned for that method to shape.
pub(super) async fn send_for(
    state: &GatewayState,
    params: &Value,
    inbound: Option<InboundPermit>,
) -> Reply {
    let (key, message, idempotency_key, attachments) = match accept_send(state, params).await? {
        Send::Start {
            key,
            message,
            idempotency_key,
            attachments,
        } => (key, message, idempotency_key, attachments),
        Send::Answer(payload) => return Ok(payload),
    };
    let run_id = RunId(idempotency_key.clone());
    let agent_id = agent_of(state, &key);
    let turn = Turn {
        text: message,
        attachments,
    };
    let ended = start(state, &key, agent_id, turn, &run_id, None, "webchat")?;
    let state = state.clone();
    tokio::spawn(async move {
        let outcome = finished(ended).await;
        drop(inbound);
        let status = outcome.as_ref().map_or("error", |o| status_word(o.status));
        state
            .0
            .dedupe
            .finish(&run_id.0, json!({"runId": run_id.0, "status": status}));
    });
    Ok(json!({"runId": idempotency_key, "status": "started"}))
}

/// What a `chat.send` does.
enum Send {
    /// Start a turn.
    Start {
        key: SessionKey,
        message: String,
        idempotency_key: String,
        attachments: Vec<InboundAttachment>,
    },
    /// Answer at once: a send already in flight or done (idempotency), or replayed from the
    /// run ledger after a restart.
    Answer(Value),
}

async fn accept_send(state: &GatewayState, params: &Value) -> Result<Send, Fail> {
    let key = session_key(params, "sessionKey")?;
    let uploads = crate::chat_attachments::decode(params).map_err(invalid)?;
    // A message may be only its attachments.
    let text = match params.get("message").and_then(Value::as_str) {
        Some(text) if !uploads.is_empty() => text,
        _ => string_param(params, "message")?,
    };
    let message = crate::chat_input::sanitize(text).map_err(invalid)?;
    let idempotency_key = string_param(params, "idempotencyKey")?.to_owned();
    match state.0.dedupe.begin(&idempotency_key) {
        Some(Seen::InFlight) => {
            return Ok(Send::Answer(
                json!({"runId": idempotency_key, "status": "in_flight"}),
            ));
        }
        Some(Seen::Done(result)) => return Ok(Send::Answer(result)),
        None => {}
    }
    if let ledger::Replay::Answer(answer) = ledger::for_send(state, &idempotency_key)
        .await
        .inspect_err(|_| state.0.dedupe.forget(&idempotency_key))?
    {
        state.0.dedupe.forget(&idempotency_key);
        return Ok(Send::Answer(answer));
    }
    let attachments = match save_uploads(state, uploads).await {
        Ok(saved) => saved,
        Err(error) => {
            state.0.dedupe.forget(&idempotency_key);
            return Err(error);
        }
    };
    Ok(Send::Start {
        key,
        message,
        idempotency_key,
        attachments,
    })
}

/// Saves a message's attachments under the state directory (off the async threads).
async fn save_uploads(
    state: &GatewayState,
    uploads: Vec<crate::chat_attachments::Upload>,
) -> Result<Vec<InboundAttachment>, Fail> {
    if uploads.is_empty() {
        return Ok(Vec::new());
    }
    let Some(dir) = state.0.options.state_dir.clone() else {
        return Err(invalid(
            "this gateway keeps no state directory, so it cannot take attachments",
        ));
    };
    tokio::task::spawn_blocking(move || {
        crate::chat_attachments::save(std::path::Path::new(&dir), uploads)
    })
    .await
    .map_err(|e| unavailable("saving attachments", &e))?
    .map_err(|e| unavailable("saving attachments", &e))
}

/// What a turn is given: the message's text and the files that came with it.
struct Turn {
    text: String,
    attachments: Vec<InboundAttachment>,
}

impl From<String> for Turn {
    fn from(text: String) -> Self {
        Self {
            text,
            attachments: Vec::new(),
        }
    }
}

/// Watches the run (before submitting, so its end is not missed) and submits the turn.
fn start(
    state: &GatewayState,
    key: &SessionKey,
    agent_id: AgentId,
    turn: impl Into<Turn>,
    run_id: &RunId,
    session_id: Option<String>,
    channel: &str,
) -> Result<oneshot::Receiver<RunOutcome>, Fail> {
    let ended = state.0.runtime.watch_run(run_id);
    submit(state, key, agent_id, turn, run_id, session_id, channel)?;
    Ok(ended)
}

/// Submits a turn, after the system events `wake` queued for the session.
fn submit(
    state: &GatewayState,
    key: &SessionKey,
    agent_id: AgentId,
    turn: impl Into<Turn>,
    run_id: &RunId,
    session_id: Option<String>,
    channel: &str,
) -> Result<(), Fail> {
    let Turn { text, attachments } = turn.into();
    // System events queued by `wake` lead the session's next turn.
    let (text, events) = state.0.system_events.prepend(key, text);
    let submitted = state.0.runtime.submit(Op::Message(Inbound {
        session_key: key.clone(),
        agent_id,
        text,
        attachments,
        run_id: run_id.clone(),
        thinking: None,
        queue_mode: None,
        origin: MessageOrigin::from_channel(ChannelId::new(channel)),
        session_id,
    }));
    if let Err(error) = submitted {
        // The events wait for the next turn that is accepted.
        state.0.system_events.restore(key, events);
        state.0.dedupe.forget(&run_id.0);
        return Err(unavailable("starting the run", &error));
    }
    Ok(())
}

/// Starts a turn nobody waits on (a `wake`): its output reaches clients as events.
pub(super) fn start_turn(
    state: &GatewayState,
    key: &SessionKey,
    agent_id: AgentId,
    text: String,
    run_id: &RunId,
    channel: &str,
) -> Result<(), Fail> {
    start(state, key, agent_id, text, run_id, None, channel).map(drop)
}

/// Waits for the run's `Finished` event; `None` if the runtime stopped first.
/// The run's outcome; `None` when the runtime went away without finishing it.
async fn finished(outcome: oneshot::Receiver<RunOutcome>) -> Option<RunOutcome> {
    outcome.await.ok()
}

fn status_word(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Done => "ok",
        RunStatus::Aborted => "aborted",
        RunStatus::Failed => "error",
        RunStatus::TimedOut => "timeout",
    }
}

fn session_key(params: &Value, name: &str) -> Result<SessionKey, Fail> {
    let raw = string_param(params, name)?;
    SessionKey::parse(raw).map_err(|e| invalid(format!("invalid {name}: {e}")))
}

fn agent_of(state: &GatewayState, key: &SessionKey) -> AgentId {
    key.agent_id()
        .unwrap_or_else(|| AgentId::normalize(&state.config().agents.default_agent_id))
}

pub(super) async fn history(state: &GatewayState, params: &Value) -> Reply {
    let key = session_key(params, "sessionKey")?;
    let limit = params
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(HISTORY_LIMIT, |n| {
            usize::try_from(n)
                .unwrap_or(HISTORY_MAX)
                .clamp(1, HISTORY_MAX)
        });
    let store = &state.0.store;
    let Some(entry) = store
        .get_session(&key)
        .await
        .map_err(|e| unavailable("chat.history", &e))?
    else {
        return Ok(json!({
            "sessionKey": key.as_str(),
            "sessionId": null,
            "messages": [],
            "hasMore": false,
            "totalMessages": 0,
        }));
    };
    let lines = store
        .transcript(&entry.session_id, 0, usize::MAX)
        .await
        .map_err(|e| unavailable("chat.history", &e))?;
    let mut messages: Vec<Value> = lines
        .into_iter()
        .filter_map(|stored| match stored.line {
            TranscriptLine::Entry(entry) => match entry.body {
                EntryBody::Message(body) => serde_json::to_value(&body.message).ok(),
                _ => None,
            },
            TranscriptLine::Session(_) => None,
        })
        .collect();
    let total = messages.len();
    let skip = total.saturating_sub(limit);
    messages.drain(..skip);
    let entry_json = serde_json::to_value(&entry).unwrap_or(Value::Null);
    let mut result = json!({
        "sessionKey": key.as_str(),
        "sessionId": entry.session_id.as_str(),
        "messages": messages,
        "hasMore": skip > 0,
        "totalMessages": total,
    });
    for field in ["thinkingLevel", "fastMode", "verboseLevel"] {
        if let Some(value) = entry_json.get(field) {
            result[field] = value.clone();
        }
    }
    Ok(result)
}

pub(super) fn abort(state: &GatewayState, params: &Value) -> Reply {
    let key = session_key(params, "sessionKey")?;
    let run_id = params
        .get("runId")
        .and_then(Value::as_str)
        .map(|id| RunId(id.to_owned()));
    let run_ids: Vec<String> = run_id.iter().map(|id| id.0.clone()).collect();
    // A named run counts as aborted only while it is in flight; without a run id whatever the
    // session is running is aborted and the runtime does not say what that was.
    let aborted = match &run_id {
        Some(id) => state.0.dedupe.peek(&id.0) == Some(Seen::InFlight),
        None => true,
    };
    state
        .0
        .runtime
        .submit(Op::Abort {
            session_key: key,
            run_id,
            clear_queue: true,
        })
        .map_err(|e| unavailable("chat.abort", &e))?;
    Ok(json!({"ok": true, "aborted": aborted, "runIds": run_ids}))
}

/// `agent`: answers twice with the same id, `accepted` at once and the outcome at the end.
pub(super) async fn agent(state: &GatewayState, id: &str, params: &Value, sender: &Sender) {
    let first = accept_agent(state, params).await;
    let prompt = params
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (run_id, ended, key, session_id) = match first {
        Ok(Accepted::Started {
            run_id,
            ended,
            key,
            session_id,
            payload,
        }) => {
            sender.respond(ResponseFrame::ok(id, payload)).await;
            (run_id, ended, key, session_id)
        }
        Ok(Accepted::Replay(payload)) => {
            return sender.respond(ResponseFrame::ok(id, payload)).await;
        }
        Err(error) => return sender.respond(ResponseFrame::err(id, *error)).await,
    };
    let outcome = finished(ended).await;
    let payload = match &outcome {
        Some(outcome) => {
            let status = if outcome.status == RunStatus::Done {
                "ok"
            } else {
                "error"
            };
            let mut payload = json!({
                "runId": run_id.0,
                "status": status,
                "summary": if status == "ok" { "completed".to_owned() } else {
                    outcome.error.clone().unwrap_or_else(|| outcome.status.as_str().to_owned())
                },
                "result": {
                    "payloads": outcome.payloads.iter().map(payload_json).collect::<Vec<_>>(),
                    "meta": run_meta(state, outcome, &key, prompt),
                },
            });
            if let Some(error) = &outcome.error {
                payload["error"] = json!(error);
            }
            payload
        }
        None => {
            json!({"runId": run_id.0, "status": "error", "summary": "the agent runtime stopped"})
        }
    };
    let _ = session_id;
    state.0.dedupe.finish(&run_id.0, payload.clone());
    sender.respond(ResponseFrame::ok(id, payload)).await;
}

/// `result.meta` of an `agent` answer: how long the run took, whether it was aborted, the
/// prompt as sent and the reply as shown, and [`agent_meta`].
fn run_meta(state: &GatewayState, outcome: &RunOutcome, key: &SessionKey, prompt: &str) -> Value {
    let mut meta = json!({
        "durationMs": outcome.duration_ms,
        "agentMeta": agent_meta(state, outcome, key),
        "aborted": outcome.status == RunStatus::Aborted,
        "finalPromptText": prompt,
    });
    if let Some(text) = outcome.reply_text() {
        meta["finalAssistantVisibleText"] = json!(text);
    }
    if let Some(stop) = &outcome.calls.stop_reason {
        meta["stopReason"] = json!(stop);
    }
    meta
}

/// `result.meta.agentMeta` of an `agent` answer: the session, the model that answered as
/// provider and model id, its context budget and the run's token usage.
fn agent_meta(state: &GatewayState, outcome: &RunOutcome, key: &SessionKey) -> Value {
    let mut meta = json!({
        "sessionId": outcome.session_id,
        "sessionFile": key.as_str(),
    });
    if let Some(reference) = &outcome.model {
        match reference.split_once('/') {
            Some((provider, model)) => {
                meta["provider"] = json!(provider);
                meta["model"] = json!(model);
            }
            None => meta["model"] = json!(reference),
        }
        if let Ok(spec) = state.0.runtime.models().resolve(reference) {
            meta["contextTokens"] = json!(spec.context_window);
            meta["contextTokensSource"] = json!("resolved");
        }
    }
    let usage = &outcome.usage;
    meta["usage"] = json!({
        "input": usage.input,
        "output": usage.output,
        "cacheRead": usage.cache_read,
        "cacheWrite": usage.cache_write,
        "total": usage.total_tokens,
        "cost": {"total": usage.cost.total},
    });
    meta["costUsd"] = json!(usage.cost.total);
    meta["assistantTurns"] = json!(outcome.calls.count);
    if let Some(last) = &outcome.calls.last_usage {
        meta["lastCallUsage"] = json!({
            "input": last.input,
            "output": last.output,
            "cacheRead": last.cache_read,
            "cacheWrite": last.cache_write,
            "total": last.total_tokens,
            "cost": {"total": last.cost.total},
        });
        // What the prompt of the last call held: fresh input plus what the cache supplied.
        meta["promptTokens"] = json!(last.input + last.cache_read + last.cache_write);
    }
    meta
}

/// A reply payload as upstream's `agent` result shows it: `text` (left out when there is only
/// media), `mediaUrl` (the first attachment or `null`), and `mediaUrls`/`replyToId` when there
/// are any.
fn payload_json(payload: &ReplyPayload) -> Value {
    let media: Vec<String> = payload.media.iter().map(MediaRef::to_wire).collect();
    let mut json = if payload.text.is_empty() {
        json!({"mediaUrl": media.first()})
    } else {
        json!({"text": payload.text, "mediaUrl": media.first()})
    };
    if !media.is_empty() {
        json["mediaUrls"] = json!(media);
    }
    if let Some(reply_to) = &payload.reply_to_id {
        json["replyToId"] = json!(reply_to.as_str());
    }
    json
}

enum Accepted {
    Started {
        run_id: RunId,
        ended: oneshot::Receiver<RunOutcome>,
        key: SessionKey,
        session_id: Option<String>,
        payload: Value,
    },
    Replay(Value),
}

async fn accept_agent(state: &GatewayState, params: &Value) -> Result<Accepted, Fail> {
    let message = string_param(params, "message")?.to_owned();
    let idempotency_key = string_param(params, "idempotencyKey")?.to_owned();
    let agent_id = match params.get("agentId").and_then(Value::as_str) {
        Some(id) => AgentId::parse(id).map_err(|e| invalid(format!("invalid agentId: {e}")))?,
        None => AgentId::normalize(&state.config().agents.default_agent_id),
    };
    // Which session: an explicit key, else a session id (existing, or new under an explicit
    // key, as `openclaw agent --session-id` does), else the agent's main session.
    let (key, session_id) = if params.get("sessionKey").and_then(Value::as_str).is_some() {
        (
            session_key(params, "sessionKey")?,
            params
                .get("sessionId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        )
    } else if let Some(id) = params.get("sessionId").and_then(Value::as_str) {
        let session_id =
            SessionId::new(id).map_err(|e| invalid(format!("invalid sessionId: {e}")))?;
        match state
            .0
            .store
            .find_session_by_id(&session_id)
            .await
            .map_err(|e| unavailable("agent", &e))?
        {
            Some(found) => (found.key, None),
            None => {
                let key = SessionKey::parse(&format!("agent:{}:explicit:{id}", agent_id.as_str()))
                    .map_err(|e| invalid(format!("invalid sessionId: {e}")))?;
                (key, Some(id.to_owned()))
            }
        }
    } else {
        (SessionKey::main(&agent_id), None)
    };
    match state.0.dedupe.begin(&idempotency_key) {
        Some(Seen::InFlight) => {
            return Ok(Accepted::Replay(
                json!({"runId": idempotency_key, "status": "in_flight"}),
            ));
        }
        Some(Seen::Done(result)) => return Ok(Accepted::Replay(result)),
        None => {}
    }
    if let ledger::Replay::Answer(answer) = ledger::for_agent(state, &idempotency_key)
        .await
        .inspect_err(|_| state.0.dedupe.forget(&idempotency_key))?
    {
        state.0.dedupe.forget(&idempotency_key);
        return Ok(Accepted::Replay(answer));
    }
    let run_id = RunId(idempotency_key);
    let agent_id = key.agent_id().unwrap_or(agent_id);
    let ended = start(
        state,
        &key,
        agent_id.clone(),
        message,
        &run_id,
        session_id.clone(),
        "gateway",
    )?;
    let payload = json!({
        "runId": run_id.0,
        "sessionKey": key.as_str(),
        "agentId": agent_id.as_str(),
        "status": "accepted",
        "acceptedAt": now_ms(),
    });
    Ok(Accepted::Started {
        run_id,
        ended,
        key,
        session_id,
        payload,
    })
}

/// `agent.wait {runId, timeoutMs?}`: the run's outcome once it ends, or `timeout`.
pub(super) async fn wait(state: &GatewayState, params: &Value) -> Reply {
    let run_id = RunId(string_param(params, "runId")?.to_owned());
    let timeout = Duration::from_millis(
        params
            .get("timeoutMs")
            .and_then(Value::as_u64)
            .unwrap_or(WAIT_DEFAULT_MS),
    );
    // Watch before looking at the cache, so a run ending in between is not missed.
    let ended = state.0.runtime.watch_run(&run_id);
    if let Some(Seen::Done(result)) = state.0.dedupe.peek(&run_id.0) {
        let status = result.get("status").cloned().unwrap_or(json!("ok"));
        return Ok(json!({"runId": run_id.0, "status": status}));
    }
    // Ended before this gateway started (or forgotten by the cache): the ledger knows.
    if let Some(answer) = ledger::ended(state, &run_id.0).await? {
        return Ok(answer);
    }
    match tokio::time::timeout(timeout, finished(ended)).await {
        Ok(Some(outcome)) => {
            let mut result = json!({"runId": run_id.0, "status": status_word(outcome.status), "endedAt": now_ms()});
            if let Some(error) = outcome.error {
                result["error"] = json!(error);
            }
            Ok(result)
        }
        Ok(None) => Err(unavailable("agent.wait", &"the agent runtime stopped")),
        Err(_) => Ok(json!({"runId": run_id.0, "status": "timeout"})),
    }
}
