//! The Ollama native chat wire format: `POST /api/chat`.
//!
//! Shapes follow the real server: unless the request says `"stream": false` (streaming is
//! Ollama's default) the reply is newline-delimited JSON, one chunk per line —
//! `{model, created_at, message: {role, content, thinking?, tool_calls?}, done: false}` with
//! reasoning and text as deltas and all tool calls of a turn whole in one chunk (arguments as
//! JSON objects, no ids), then a `done: true` line with `done_reason`, token counts and
//! durations. A non-streamed reply is that last line with the whole message. Errors are
//! `{"error": "…"}`.
//!
//! The request checks: roles are `system`, `user`, `assistant` or `tool`, the system prompt
//! comes first, tool-call arguments are objects, and each `tool` message answers (by
//! `tool_name`) a call of the assistant message before it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::delivery::{self, Frame};
use super::invariants::{SystemPrompt, ToolLedger, ViolationKind};
use super::record::RecordedRequest;
use super::script::{ErrorTurn, FinishReason, MalformedTurn, MessageTurn, TurnKind};
use super::server::{self, Refusal, Shared};

/// The model name answered when the request names none.
const DEFAULT_MODEL: &str = "fake-model";

/// `created_at` of every chunk: clients do not read it, and a fixed value keeps bodies
/// comparable.
const CREATED_AT: &str = "2025-01-01T00:00:00.000000000Z";

/// Content type of streamed replies.
const NDJSON: &str = "application/x-ndjson";

/// Content type of plain replies and errors.
const JSON: &str = "application/json; charset=utf-8";

/// The routes of this wire format.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/chat", post(chat))
        .route("/api/tags", get(tags))
}

/// `GET /api/tags`: the configured model ids as Ollama lists its local models.
async fn tags(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if let Err(response) = shared.record(request).await {
        return response;
    }
    let models: Vec<Value> = shared
        .options
        .models
        .iter()
        .map(|id| json!({"name": id, "model": id, "size": 0, "details": {"format": "gguf"}}))
        .collect();
    axum::Json(json!({"models": models})).into_response()
}

fn error_response(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn refuse(refusal: Refusal) -> Response {
    error_response(refusal.status(), refusal.message())
}

async fn chat(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let system_prompt = shared.options.system_prompt;
    let checked = |recorded: &RecordedRequest| check(recorded.body.as_ref(), system_prompt);
    let (recorded, turn) = match shared.admit(request, checked, refuse).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let context = Context {
        // Ollama streams unless told not to.
        stream: recorded
            .body
            .as_ref()
            .and_then(|body| body.get("stream"))
            .and_then(Value::as_bool)
            != Some(false),
        model: recorded.model().unwrap_or(DEFAULT_MODEL).to_owned(),
    };
    match turn.0 {
        TurnKind::Message(turn) => message_response(&turn, &context, &recorded).await,
        TurnKind::Error(turn) => scripted_error(&turn).await,
        TurnKind::Malformed(turn) => malformed_response(&turn, &context).await,
    }
}

/// What a response needs to know about the request it answers.
struct Context {
    stream: bool,
    model: String,
}

fn done_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Length => "length",
        // Ollama reports tool calls and filtered output as a plain stop.
        FinishReason::Stop | FinishReason::ToolCalls | FinishReason::ContentFilter => "stop",
    }
}

/// A call as Ollama sends it; arguments that are not JSON are sent as the raw string, which
/// the real server never does but a client must survive.
fn tool_calls(turn: &MessageTurn) -> Value {
    let calls = turn
        .tool_calls
        .iter()
        .enumerate()
        .map(|(index, call)| {
            let arguments = serde_json::from_str(&call.arguments)
                .unwrap_or_else(|_| Value::String(call.arguments.clone()));
            json!({"function": {"index": index, "name": call.name, "arguments": arguments}})
        })
        .collect();
    Value::Array(calls)
}

fn chunk(model: &str, message: Value) -> Value {
    json!({"model": model, "created_at": CREATED_AT, "message": message, "done": false})
}

fn line(value: &Value) -> Frame {
    Frame::event(format!("{value}\n"))
}

async fn message_response(
    turn: &MessageTurn,
    context: &Context,
    request: &RecordedRequest,
) -> Response {
    if let Some(delay) = turn.delivery.response_delay {
        tokio::time::sleep(delay).await;
    }
    let model = turn.model.as_deref().unwrap_or(&context.model);
    let usage = turn.usage_for(request);
    let mut last = json!({
        "model": model,
        "created_at": CREATED_AT,
        "message": {"role": "assistant", "content": ""},
        "done": true,
        "done_reason": done_reason(turn.effective_finish_reason()),
        "total_duration": 1_250_000_000u64,
        "load_duration": 25_000_000u64,
        "prompt_eval_count": usage.prompt_tokens,
        "prompt_eval_duration": 200_000_000u64,
        "eval_count": usage.completion_tokens,
        "eval_duration": 1_000_000_000u64,
    });
    if !context.stream {
        last["message"]["content"] = json!(turn.full_text().unwrap_or_default());
        if let Some(thinking) = turn.full_thinking() {
            last["message"]["thinking"] = json!(thinking);
        }
        if !turn.tool_calls.is_empty() {
            last["message"]["tool_calls"] = tool_calls(turn);
        }
        return body(vec![Frame::event(last.to_string())], turn, JSON);
    }
    let mut frames = Vec::new();
    for piece in turn.thinking.iter().flatten() {
        frames.push(line(&chunk(
            model,
            json!({"role": "assistant", "content": "", "thinking": piece}),
        )));
    }
    for piece in turn.content.iter().flatten() {
        frames.push(line(&chunk(
            model,
            json!({"role": "assistant", "content": piece}),
        )));
    }
    if !turn.tool_calls.is_empty() {
        frames.push(line(&chunk(
            model,
            json!({"role": "assistant", "content": "", "tool_calls": tool_calls(turn)}),
        )));
    }
    frames.push(line(&last));
    body(frames, turn, NDJSON)
}

fn body(frames: Vec<Frame>, turn: &MessageTurn, content_type: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, content_type)],
        delivery::body(frames, &turn.delivery),
    )
        .into_response()
}

/// Default message of an error status, as the real server words it.
fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        404 => "model not found, try pulling it first",
        429 => "too many requests, please try again later",
        503 => "server busy, please try again.  maximum pending requests exceeded",
        code if code >= 500 => "an internal error occurred",
        _ => "invalid request",
    }
}

async fn scripted_error(turn: &ErrorTurn) -> Response {
    let body = |status: StatusCode| json!({"error": turn.message.as_deref().unwrap_or(default_message(status))});
    let bad_script = |message: &str| error_response(StatusCode::INTERNAL_SERVER_ERROR, message);
    server::scripted_error(turn, body, bad_script).await
}

async fn malformed_response(turn: &MalformedTurn, context: &Context) -> Response {
    if let Some(delay) = turn.delivery.response_delay {
        tokio::time::sleep(delay).await;
    }
    let (content_type, frame) = match (&turn.body, context.stream) {
        (Some(body), true) => (NDJSON, Frame::event(body.clone())),
        (Some(body), false) => (JSON, Frame::event(body.clone())),
        // A line whose JSON never closes.
        (None, stream) => {
            let truncated = format!(
                r#"{{"model":"{}","created_at":"{CREATED_AT}","message":{{"role":"assistant","content":"hal"#,
                context.model
            );
            let ending = if stream { "\n" } else { "" };
            (
                if stream { NDJSON } else { JSON },
                Frame::event(format!("{truncated}{ending}")),
            )
        }
    };
    (
        [(header::CONTENT_TYPE, content_type)],
        delivery::body(vec![frame], &turn.delivery),
    )
        .into_response()
}

/// Checks an Ollama `/api/chat` request body.
pub(crate) fn check(body: Option<&Value>, system_prompt: SystemPrompt) -> Vec<ViolationKind> {
    let Some(body) = body.filter(|body| body.is_object()) else {
        return vec![ViolationKind::InvalidJson];
    };
    let mut found = Vec::new();
    if !body.get("model").is_some_and(Value::is_string) {
        found.push(ViolationKind::MissingModel);
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        found.push(ViolationKind::MissingMessages);
        return found;
    };
    if messages.is_empty() {
        found.push(ViolationKind::EmptyMessages);
        return found;
    }
    if system_prompt == SystemPrompt::Required {
        let first_role = messages[0].get("role").and_then(Value::as_str);
        if first_role != Some("system") {
            found.push(ViolationKind::MissingSystemPrompt {
                first_role: first_role.unwrap_or("<none>").to_owned(),
            });
        }
    }
    let mut ledger = ToolLedger::default();
    for (message_index, message) in messages.iter().enumerate() {
        let Some(message) = message.as_object() else {
            found.push(ViolationKind::MessageNotObject { message_index });
            continue;
        };
        let role = message.get("role").and_then(Value::as_str);
        if matches!(role, Some("system" | "user" | "assistant" | "tool"))
            && !message.get("content").is_some_and(Value::is_string)
        {
            found.push(ViolationKind::MissingField {
                field: format!("messages[{message_index}].content"),
            });
        }
        match role {
            Some("tool") => match message.get("tool_name").and_then(Value::as_str) {
                Some(name) => found.extend(ledger.answer(message_index, name)),
                None => found.push(ViolationKind::MissingField {
                    field: format!("messages[{message_index}].tool_name"),
                }),
            },
            Some("assistant") => {
                found.extend(ledger.close_turn(Some(message_index)));
                let calls = message.get("tool_calls").and_then(Value::as_array);
                for (call_index, call) in calls.into_iter().flatten().enumerate() {
                    let Some(name) = call.pointer("/function/name").and_then(Value::as_str) else {
                        found.push(ViolationKind::MissingField {
                            field: format!(
                                "messages[{message_index}].tool_calls[{call_index}].function.name"
                            ),
                        });
                        continue;
                    };
                    if !call
                        .pointer("/function/arguments")
                        .is_some_and(Value::is_object)
                    {
                        found.push(ViolationKind::ToolCallArgumentsNotObject {
                            message_index,
                            tool_call_id: name.to_owned(),
                        });
                    }
                    ledger.issue(message_index, name);
                }
            }
            Some("system" | "user") => found.extend(ledger.close_turn(Some(message_index))),
            other => {
                found.extend(ledger.close_turn(Some(message_index)));
                found.push(ViolationKind::InvalidRole {
                    message_index,
                    role: other.map(str::to_owned),
                });
            }
        }
    }
    found.extend(ledger.close_turn(None));
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check_messages(messages: Value) -> Vec<ViolationKind> {
        check(
            Some(&json!({"model": "m", "messages": messages})),
            SystemPrompt::Required,
        )
    }

    #[test]
    fn a_well_formed_tool_round_trip_passes() {
        let found = check_messages(json!([
            {"role": "system", "content": "s"},
            {"role": "user", "content": "hi", "images": ["iVBORw0KGgo="]},
            {"role": "assistant", "content": "", "tool_calls": [
                {"function": {"name": "read", "arguments": {"path": "a"}}},
                {"function": {"name": "exec", "arguments": {}}},
            ]},
            {"role": "tool", "content": "1", "tool_name": "exec"},
            {"role": "tool", "content": "2", "tool_name": "read"},
            {"role": "assistant", "content": "done"},
        ]));
        assert_eq!(found, []);
    }

    #[test]
    fn ollama_rules_are_reported() {
        let found = check_messages(json!([
            {"role": "user", "content": "no system prompt"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"function": {"arguments": {}}},
                {"function": {"name": "read", "arguments": "{\"path\":\"a\"}"}},
            ]},
            {"role": "tool", "content": "x"},
            {"role": "tool", "tool_name": "exec", "content": "?"},
            {"role": "developer", "content": "?"},
        ]));
        assert_eq!(
            found,
            [
                ViolationKind::MissingSystemPrompt {
                    first_role: "user".into()
                },
                ViolationKind::MissingField {
                    field: "messages[1].tool_calls[0].function.name".into()
                },
                ViolationKind::ToolCallArgumentsNotObject {
                    message_index: 1,
                    tool_call_id: "read".into()
                },
                ViolationKind::MissingField {
                    field: "messages[2].tool_name".into()
                },
                ViolationKind::UnknownToolCallId {
                    message_index: 3,
                    tool_call_id: "exec".into()
                },
                ViolationKind::UnansweredToolCall {
                    assistant_index: 1,
                    tool_call_id: "read".into(),
                    interrupted_by: Some(4)
                },
                ViolationKind::InvalidRole {
                    message_index: 4,
                    role: Some("developer".into())
                },
            ]
        );
    }
}
