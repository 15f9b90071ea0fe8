//! The OpenAI-compatible API: `GET /v1/models[/{id}]` lists agents as models ("agent-first":
//! `openclaw`, `openclaw/default`, `openclaw/<agentId>`), and `POST /v1/chat/completions` runs a
//! normal agent turn (off unless `gateway.http.endpoints.chatCompletions.enabled`).
//!
//! A completion is one turn of the runtime, submitted exactly like `chat.send` does. Each request
//! gets a fresh session unless it names one (`x-openclaw-session-key`) or gives OpenAI's `user`,
//! which derives a stable session per user, so plain OpenAI clients stay stateless as they expect.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use rustyclaw_agent::{
    ChannelId, EventKind, Inbound, MessageOrigin, Op, RunEvents, RunId, RunOutcome, RunStatus,
};
use rustyclaw_protocol::{AgentId, SessionKey};
use serde_json::{Value, json};

use super::auth::{Conn, authorize};
use crate::auth_limiter::RateKey;
use crate::peer::client_ip;
use crate::state::GatewayState;

/// The reply when a run produced no text (upstream's wording).
const NO_RESPONSE: &str = "No response from OpenClaw.";

pub(super) fn routes(state: &GatewayState) -> Router<GatewayState> {
    let router = Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/models/{*id}", get(get_model));
    // Off by default, as upstream: the path then falls through to the 404 of plain HTTP.
    if state.config().gateway.chat_completions_endpoint {
        router.route("/v1/chat/completions", post(chat_completions))
    } else {
        router
    }
}

/// An OpenAI-style error response.
fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": kind}})),
    )
        .into_response()
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", message)
}

fn rate_key(state: &GatewayState, addr: SocketAddr, headers: &HeaderMap) -> RateKey {
    let ip = client_ip(addr, headers, &state.config().gateway.trusted_proxies);
    RateKey::for_socket(addr, ip, None)
}

/// The model ids: the generic ones, then one per configured agent.
fn model_ids(state: &GatewayState) -> Vec<String> {
    let config = state.config();
    let agents = &config.agents;
    let mut ids = vec!["openclaw".to_owned(), "openclaw/default".to_owned()];
    let agent_ids = std::iter::once(agents.default_agent_id.as_str())
        .chain(agents.list.iter().map(|a| a.id.as_str()));
    for id in agent_ids {
        let id = format!("openclaw/{id}");
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn model_object(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": 0, "owned_by": "openclaw", "permission": []})
}

async fn list_models(
    State(state): State<GatewayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    conn: Conn,
    headers: HeaderMap,
) -> Response {
    if let Err(denied) = authorize(&state, &headers, &rate_key(&state, addr, &headers), &conn).await
    {
        return denied.into_response();
    }
    let data: Vec<Value> = model_ids(&state)
        .iter()
        .map(|id| model_object(id))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

async fn get_model(
    State(state): State<GatewayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    conn: Conn,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(denied) = authorize(&state, &headers, &rate_key(&state, addr, &headers), &conn).await
    {
        return denied.into_response();
    }
    if model_ids(&state).contains(&id) {
        return Json(model_object(&id)).into_response();
    }
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        &format!("Model '{id}' not found"),
    )
}

/// The agent a completion runs on: the `x-openclaw-agent-id` header, else the model
/// (`openclaw/<id>`, `openclaw:<id>`, `agent:<id>`), else the default agent.
fn agent_for(state: &GatewayState, headers: &HeaderMap, model: &str) -> String {
    let default = &state.config().agents.default_agent_id;
    let header = ["x-openclaw-agent-id", "x-openclaw-agent"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::trim)
        .find(|v| !v.is_empty());
    if let Some(id) = header {
        return AgentId::normalize(id).as_str().to_owned();
    }
    let model = model.trim();
    let named = model
        .strip_prefix("openclaw/")
        .or_else(|| model.strip_prefix("openclaw:"))
        .or_else(|| model.strip_prefix("agent:"));
    match named {
        Some("default") | None => default.clone(),
        Some(id) => AgentId::normalize(id).as_str().to_owned(),
    }
}

/// The session of a completion: the `x-openclaw-session-key` header, else one derived from
/// OpenAI's `user` (stable), else a fresh one (stateless).
fn session_for(headers: &HeaderMap, agent: &str, user: Option<&str>) -> Result<SessionKey, String> {
    let explicit = headers
        .get("x-openclaw-session-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let raw = match (explicit, user.map(str::trim).filter(|u| !u.is_empty())) {
        (Some(key), _) => key.to_owned(),
        (None, Some(user)) => format!("agent:{agent}:openai-user:{user}"),
        (None, None) => format!("agent:{agent}:openai:{}", uuid::Uuid::new_v4()),
    };
    SessionKey::parse(&raw).map_err(|e| format!("invalid session key: {e}"))
}

/// Text of an OpenAI message `content`: a string, or the text parts of an array.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| {
                let kind = part.get("type").and_then(Value::as_str);
                match kind {
                    Some("text" | "input_text") => part.get("text").and_then(Value::as_str),
                    _ => part.get("input_text").and_then(Value::as_str),
                }
            })
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The turn's message from OpenAI `messages`: a single user message is sent as is; a longer
/// conversation is sent as labelled history followed by the message to answer, and system or
/// developer messages lead as instructions (the agent keeps its own system prompt).
fn prompt_of(messages: &[Value]) -> String {
    let mut instructions = Vec::new();
    let mut entries: Vec<(String, String)> = Vec::new();
    for message in messages {
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        let text = text_of(message.get("content").unwrap_or(&Value::Null));
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let sender = match role {
            "system" | "developer" => {
                instructions.push(text.to_owned());
                continue;
            }
            "user" => "User".to_owned(),
            "assistant" => "Assistant".to_owned(),
            "tool" | "function" => match message.get("name").and_then(Value::as_str) {
                Some(name) if !name.trim().is_empty() => format!("Tool:{}", name.trim()),
                _ => "Tool".to_owned(),
            },
            _ => continue,
        };
        entries.push((sender, text.to_owned()));
    }
    let mut out = String::new();
    if !instructions.is_empty() {
        out.push_str("[Instructions]\n");
        out.push_str(&instructions.join("\n\n"));
        out.push_str("\n\n");
    }
    match entries.as_slice() {
        [] => return String::new(),
        [(_, only)] if instructions.is_empty() => return only.clone(),
        [history @ .., (sender, current)] => {
            if !history.is_empty() {
                out.push_str("[Chat messages since your last reply - for context]\n");
                for (sender, text) in history {
                    out.push_str(&format!("{sender}: {text}\n"));
                }
                out.push_str("\n[Current message - respond to this]\n");
            }
            out.push_str(&format!("{sender}: {current}"));
        }
    }
    out
}

async fn chat_completions(
    State(state): State<GatewayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    conn: Conn,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(denied) = authorize(&state, &headers, &rate_key(&state, addr, &headers), &conn).await
    {
        return denied.into_response();
    }
    let Ok(bytes) =
        axum::body::to_bytes(body, crate::limits::CHAT_COMPLETIONS_MAX_BODY_BYTES).await
    else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            "Payload too large",
        );
    };
    let payload: Value = match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(_) => Value::Object(serde_json::Map::new()),
        Err(_) => return invalid("invalid JSON body"),
    };
    let stream = payload
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let model = payload
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("openclaw")
        .to_owned();
    let agent = agent_for(&state, &headers, &model);
    if state.config().agents.get(&agent).is_none() {
        return invalid(&format!("unknown agent: {agent}"));
    }
    let user = payload.get("user").and_then(Value::as_str);
    let key = match session_for(&headers, &agent, user) {
        Ok(key) => key,
        Err(message) => return invalid(&message),
    };
    let messages = payload
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let text = prompt_of(messages);
    if text.is_empty() {
        return invalid("Missing user message in `messages`.");
    }
    let channel = headers
        .get("x-openclaw-message-channel")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("webchat");
    let run_id = RunId(format!("chatcmpl_{}", uuid::Uuid::new_v4()));
    // Follow the run before submitting it, so none of its events is missed.
    let events = state.0.runtime.follow_run(&run_id);
    let submitted = state.0.runtime.submit(Op::Message(Inbound {
        session_key: key,
        agent_id: AgentId::normalize(&agent),
        text,
        attachments: Vec::new(),
        run_id: run_id.clone(),
        thinking: None,
        queue_mode: None,
        origin: MessageOrigin::from_channel(ChannelId::new(channel)),
        session_id: None,
    }));
    if let Err(e) = submitted {
        tracing::warn!(error = %e, "openai-compat: could not start the run");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "api_error",
            "gateway unavailable",
        );
    }
    if stream {
        Sse::new(chunks(events, run_id, model)).into_response()
    } else {
        complete(events.outcome().await, &run_id, &model)
    }
}

fn now_secs() -> u64 {
    crate::clock::now_ms() / 1000
}

fn complete(outcome: Option<RunOutcome>, run_id: &RunId, model: &str) -> Response {
    let Some(outcome) = outcome else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "api_error",
            "gateway stopping",
        );
    };
    if outcome.status != RunStatus::Done {
        tracing::warn!(status = ?outcome.status, "openai-compat: chat completion failed");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "internal error",
        );
    }
    let usage = &outcome.usage;
    let prompt_tokens = usage.input + usage.cache_read + usage.cache_write;
    Json(json!({
        "id": run_id.0,
        "object": "chat.completion",
        "created": now_secs(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": reply_text(&outcome)},
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": usage.output,
            "total_tokens": usage.total_tokens.max(prompt_tokens + usage.output),
        },
    }))
    .into_response()
}

fn reply_text(outcome: &RunOutcome) -> String {
    outcome
        .reply_text()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| NO_RESPONSE.to_owned())
}

fn chunk(run_id: &RunId, model: &str, delta: Value, finish: Option<&str>) -> SseEvent {
    let body = json!({
        "id": run_id.0,
        "object": "chat.completion.chunk",
        "created": now_secs(),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    SseEvent::default().data(body.to_string())
}

/// The SSE stream of a run: a role chunk, one chunk per assistant delta, a final chunk with
/// `finish_reason: "stop"`, then `[DONE]`.
fn chunks(
    events: RunEvents,
    run_id: RunId,
    model: String,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    enum Phase {
        Start,
        Running,
        Closing,
        Done,
    }
    let init = (events, Phase::Start, false);
    futures_util::stream::unfold(init, move |(mut events, phase, streamed)| {
        let (run_id, model) = (run_id.clone(), model.clone());
        async move {
            match phase {
                Phase::Start => {
                    let role = chunk(&run_id, &model, json!({"role": "assistant"}), None);
                    return Some((Ok(role), (events, Phase::Running, streamed)));
                }
                Phase::Closing => {
                    let done = SseEvent::default().data("[DONE]");
                    return Some((Ok(done), (events, Phase::Done, streamed)));
                }
                Phase::Done => return None,
                Phase::Running => {}
            }
            loop {
                let Some(kind) = events.next().await else {
                    return Some((
                        Ok(SseEvent::default().data("[DONE]")),
                        (events, Phase::Done, streamed),
                    ));
                };
                match kind {
                    EventKind::AssistantDelta { delta } if !delta.is_empty() => {
                        let item = chunk(&run_id, &model, json!({"content": delta}), None);
                        return Some((Ok(item), (events, Phase::Running, true)));
                    }
                    EventKind::Finished(outcome) => {
                        // The final chunk carries whatever was not streamed: the whole reply when
                        // the provider sent no deltas, an error note when the run failed.
                        let content = match outcome.status {
                            RunStatus::Done if streamed => String::new(),
                            RunStatus::Done => reply_text(&outcome),
                            _ => "Error: internal error".to_owned(),
                        };
                        let last =
                            chunk(&run_id, &model, json!({"content": content}), Some("stop"));
                        return Some((Ok(last), (events, Phase::Closing, streamed)));
                    }
                    _ => {}
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_user_message_is_sent_as_is() {
        let messages = [json!({"role": "user", "content": "hello"})];
        assert_eq!(prompt_of(&messages), "hello");
    }

    #[test]
    fn a_conversation_becomes_history_then_the_current_message() {
        let messages = [
            json!({"role": "system", "content": "Be terse."}),
            json!({"role": "user", "content": [{"type": "text", "text": "2+2?"}]}),
            json!({"role": "assistant", "content": "4"}),
            json!({"role": "tool", "name": "calc", "content": "ok"}),
            json!({"role": "user", "content": "and 3+3?"}),
        ];
        assert_eq!(
            prompt_of(&messages),
            "[Instructions]\nBe terse.\n\n\
             [Chat messages since your last reply - for context]\n\
             User: 2+2?\nAssistant: 4\nTool:calc: ok\n\n\
             [Current message - respond to this]\nUser: and 3+3?"
        );
        assert_eq!(prompt_of(&[json!({"role": "system", "content": "x"})]), "");
    }

    #[test]
    fn session_keys_follow_the_user_field() {
        let headers = HeaderMap::new();
        let stable = session_for(&headers, "main", Some("alice")).unwrap();
        assert_eq!(stable.as_str(), "agent:main:openai-user:alice");
        let fresh = session_for(&headers, "main", None).unwrap();
        assert!(fresh.as_str().starts_with("agent:main:openai:"));
        assert_ne!(fresh, session_for(&headers, "main", None).unwrap());
    }
}
