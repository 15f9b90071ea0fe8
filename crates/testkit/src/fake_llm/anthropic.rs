//! The Anthropic Messages wire format: `POST /v1/messages`.
//!
//! Shapes follow the real API: a `message` object for plain requests, and for `"stream": true`
//! typed SSE events — `message_start` (id, input usage), a `ping`, then per content block
//! `content_block_start`, deltas (`thinking_delta` + `signature_delta`, `text_delta`,
//! `input_json_delta` with the arguments in fragments) and `content_block_stop`, then
//! `message_delta` (stop reason, output usage) and `message_stop`. Errors use Anthropic's
//! `{"type":"error","error":{"type","message"}}` body.
//!
//! The request checks are Anthropic's own rules: `max_tokens` is required, the system prompt
//! lives in `system`, roles alternate, and the results of a turn's `tool_use` blocks are
//! `tool_result` blocks at the start of the very next (user) message.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::delivery::{self, Frame};
use super::invariants::{SystemPrompt, ToolLedger, ViolationKind};
use super::record::RecordedRequest;
use super::script::{
    ErrorTurn, FinishReason, MalformedTurn, MessageTurn, ToolCall, TurnKind, Usage, fragments,
};
use super::server::{self, Refusal, Shared};
use super::sse;

/// Streamed tool-call arguments are sent in fragments of this many characters.
const ARGUMENT_FRAGMENT_CHARS: usize = 8;

/// The model name answered when the request names none.
const DEFAULT_MODEL: &str = "fake-model";

/// The signature every scripted thinking block carries (base64, like real ones).
pub(crate) const THINKING_SIGNATURE: &str = "ZmFrZS10aGlua2luZy1zaWduYXR1cmU=";

/// The routes of this wire format.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/v1/messages", post(messages))
}

fn error_body(error_type: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": error_type, "message": message}})
}

fn error_response(status: StatusCode, error_type: &str, message: &str) -> Response {
    (status, axum::Json(error_body(error_type, message))).into_response()
}

fn refuse(refusal: Refusal) -> Response {
    let error_type = match refusal {
        Refusal::Violations(_) => "invalid_request_error",
        Refusal::ScriptExhausted(_) => "fake_llm_script_exhausted",
    };
    error_response(refusal.status(), error_type, refusal.message())
}

async fn messages(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let system_prompt = shared.options.system_prompt;
    let checked = |recorded: &RecordedRequest| check(recorded.body.as_ref(), system_prompt);
    let (recorded, turn) = match shared.admit(request, checked, refuse).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let context = Context {
        id: format!("msg_fake{:020}", shared.next_completion_number()),
        stream: recorded.is_stream(),
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
    id: String,
    stream: bool,
    model: String,
}

fn stop_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "end_turn",
        FinishReason::ToolCalls => "tool_use",
        FinishReason::Length => "max_tokens",
        FinishReason::ContentFilter => "refusal",
    }
}

/// Anthropic counts cached input apart from `input_tokens`.
fn usage_object(usage: Usage, output_tokens: u64) -> Value {
    json!({
        "input_tokens": usage.prompt_tokens.saturating_sub(usage.cached_tokens),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    })
}

/// A call's input as an object; arguments that are not JSON are sent as the raw string, which
/// the real API never does but a client must survive.
fn input_value(call: &ToolCall) -> Value {
    serde_json::from_str(&call.arguments).unwrap_or_else(|_| Value::String(call.arguments.clone()))
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
    if context.stream {
        let mut frames = stream_frames(turn, context, model, usage);
        if turn.keep_alive {
            frames = sse::interleave_keep_alive(frames);
        }
        sse::response(frames, &turn.delivery)
    } else {
        let message = message_object(turn, context, model, usage);
        (
            [(header::CONTENT_TYPE, "application/json")],
            delivery::body(vec![Frame::event(message.to_string())], &turn.delivery),
        )
            .into_response()
    }
}

fn message_object(turn: &MessageTurn, context: &Context, model: &str, usage: Usage) -> Value {
    let mut content = Vec::new();
    if let Some(thinking) = turn.full_thinking() {
        content.push(
            json!({"type": "thinking", "thinking": thinking, "signature": THINKING_SIGNATURE}),
        );
    }
    if let Some(text) = turn.full_text() {
        content.push(json!({"type": "text", "text": text}));
    }
    for call in &turn.tool_calls {
        content.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input_value(call)}));
    }
    json!({
        "id": context.id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(turn.effective_finish_reason()),
        "stop_sequence": null,
        "usage": usage_object(usage, usage.completion_tokens),
    })
}

fn stream_frames(turn: &MessageTurn, context: &Context, model: &str, usage: Usage) -> Vec<Frame> {
    let event = |value: Value| {
        let name = value["type"].as_str().unwrap_or_default().to_owned();
        sse::named_event(&name, &value)
    };
    let mut frames = vec![
        event(json!({
            "type": "message_start",
            "message": {
                "id": context.id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": usage_object(usage, 1),
            },
        })),
        event(json!({"type": "ping"})),
    ];
    let mut index = 0;
    let mut block = |frames: &mut Vec<Frame>, start: Value, deltas: Vec<Value>| {
        frames.push(event(
            json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        for delta in deltas {
            frames.push(event(
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
        }
        frames.push(event(json!({"type": "content_block_stop", "index": index})));
        index += 1;
    };
    if let Some(thinking) = &turn.thinking {
        let mut deltas: Vec<Value> = thinking
            .iter()
            .map(|piece| json!({"type": "thinking_delta", "thinking": piece}))
            .collect();
        deltas.push(json!({"type": "signature_delta", "signature": THINKING_SIGNATURE}));
        block(
            &mut frames,
            json!({"type": "thinking", "thinking": "", "signature": ""}),
            deltas,
        );
    }
    if let Some(content) = &turn.content {
        let deltas = content
            .iter()
            .map(|piece| json!({"type": "text_delta", "text": piece}))
            .collect();
        block(&mut frames, json!({"type": "text", "text": ""}), deltas);
    }
    for call in &turn.tool_calls {
        // The real API opens every tool input with an empty fragment.
        let deltas = std::iter::once(String::new())
            .chain(fragments(&call.arguments, ARGUMENT_FRAGMENT_CHARS))
            .map(|fragment| json!({"type": "input_json_delta", "partial_json": fragment}))
            .collect();
        block(
            &mut frames,
            json!({"type": "tool_use", "id": call.id, "name": call.name, "input": {}}),
            deltas,
        );
    }
    frames.push(event(json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason(turn.effective_finish_reason()), "stop_sequence": null},
        "usage": {"output_tokens": usage.completion_tokens},
    })));
    frames.push(event(json!({"type": "message_stop"})));
    frames
}

/// Default `type` and message of an error status, as the real API sends them.
fn error_defaults(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        401 => ("authentication_error", "invalid x-api-key"),
        403 => (
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        404 => (
            "not_found_error",
            "The requested resource could not be found.",
        ),
        413 => (
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
        ),
        429 => (
            "rate_limit_error",
            "This request would exceed the rate limit for your organization. Please try again later.",
        ),
        529 => ("overloaded_error", "Overloaded"),
        code if code >= 500 => ("api_error", "Internal server error"),
        _ => ("invalid_request_error", "Invalid request."),
    }
}

async fn scripted_error(turn: &ErrorTurn) -> Response {
    let body = |status: StatusCode| {
        let (error_type, message) = error_defaults(status);
        let error_type = turn
            .error_type
            .as_deref()
            .or(turn.code.as_deref())
            .unwrap_or(error_type);
        error_body(error_type, turn.message.as_deref().unwrap_or(message))
    };
    let bad_script = |message: &str| {
        error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake_llm_bad_script",
            message,
        )
    };
    server::scripted_error(turn, body, bad_script).await
}

async fn malformed_response(turn: &MalformedTurn, context: &Context) -> Response {
    if let Some(delay) = turn.delivery.response_delay {
        tokio::time::sleep(delay).await;
    }
    let (content_type, frames) = match (&turn.body, context.stream) {
        (Some(body), true) => (
            "text/event-stream; charset=utf-8",
            vec![Frame::event(body.clone())],
        ),
        (Some(body), false) => ("application/json", vec![Frame::event(body.clone())]),
        // A `message_start` whose JSON never closes, and nothing after it.
        (None, true) => (
            "text/event-stream; charset=utf-8",
            vec![Frame::event(format!(
                "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"id\":\"{}\",\"type\":\"mess\n\n",
                context.id
            ))],
        ),
        (None, false) => (
            "application/json",
            vec![Frame::event(format!(
                r#"{{"id":"{}","type":"message","role":"assis"#,
                context.id
            ))],
        ),
    };
    (
        [(header::CONTENT_TYPE, content_type)],
        delivery::body(frames, &turn.delivery),
    )
        .into_response()
}

/// Whether `system` holds a non-empty prompt (a string or text blocks).
fn has_system(system: Option<&Value>) -> bool {
    match system {
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Array(blocks)) => blocks.iter().any(|block| {
            block
                .get("text")
                .and_then(Value::as_str)
                .is_some_and(|text| !text.is_empty())
        }),
        _ => false,
    }
}

/// Checks an Anthropic Messages request body.
pub(crate) fn check(body: Option<&Value>, system_prompt: SystemPrompt) -> Vec<ViolationKind> {
    let Some(body) = body.filter(|body| body.is_object()) else {
        return vec![ViolationKind::InvalidJson];
    };
    let mut found = Vec::new();
    if !body.get("model").is_some_and(Value::is_string) {
        found.push(ViolationKind::MissingModel);
    }
    if body
        .get("max_tokens")
        .and_then(Value::as_u64)
        .is_none_or(|max| max == 0)
    {
        found.push(ViolationKind::MissingField {
            field: "max_tokens".into(),
        });
    }
    if system_prompt == SystemPrompt::Required && !has_system(body.get("system")) {
        found.push(ViolationKind::MissingSystemInstruction {
            field: "system".into(),
        });
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        found.push(ViolationKind::MissingMessages);
        return found;
    };
    if messages.is_empty() {
        found.push(ViolationKind::EmptyMessages);
        return found;
    }
    let mut ledger = ToolLedger::default();
    let mut previous_role = None;
    for (message_index, message) in messages.iter().enumerate() {
        let Some(message) = message.as_object() else {
            found.push(ViolationKind::MessageNotObject { message_index });
            continue;
        };
        let role = match message.get("role").and_then(Value::as_str) {
            Some(role @ ("user" | "assistant")) => role,
            other => {
                found.extend(ledger.close_turn(Some(message_index)));
                found.push(ViolationKind::InvalidRole {
                    message_index,
                    role: other.map(str::to_owned),
                });
                previous_role = None;
                continue;
            }
        };
        if previous_role == Some(role) {
            found.push(ViolationKind::RolesNotAlternating {
                message_index,
                role: role.to_owned(),
            });
        }
        previous_role = Some(role);
        let blocks: &[Value] = match message.get("content") {
            Some(Value::Array(blocks)) => blocks,
            Some(Value::String(_)) => &[],
            _ => {
                found.push(ViolationKind::MissingField {
                    field: format!("messages[{message_index}].content"),
                });
                &[]
            }
        };
        if role == "assistant" {
            found.extend(ledger.close_turn(Some(message_index)));
            check_tool_uses(message_index, blocks, &mut ledger, &mut found);
        } else {
            check_tool_results(message_index, blocks, &mut ledger, &mut found);
            found.extend(ledger.close_turn(Some(message_index)));
        }
    }
    found.extend(ledger.close_turn(None));
    found
}

fn block_type(block: &Value) -> Option<&str> {
    block.get("type").and_then(Value::as_str)
}

fn check_tool_uses(
    message_index: usize,
    blocks: &[Value],
    ledger: &mut ToolLedger,
    found: &mut Vec<ViolationKind>,
) {
    for (call_index, block) in blocks.iter().enumerate() {
        if block_type(block) != Some("tool_use") {
            continue;
        }
        let Some(id) = block.get("id").and_then(Value::as_str) else {
            found.push(ViolationKind::ToolCallWithoutId {
                message_index,
                call_index,
            });
            continue;
        };
        if !block.get("input").is_some_and(Value::is_object) {
            found.push(ViolationKind::ToolCallArgumentsNotObject {
                message_index,
                tool_call_id: id.to_owned(),
            });
        }
        ledger.issue(message_index, id);
    }
}

fn check_tool_results(
    message_index: usize,
    blocks: &[Value],
    ledger: &mut ToolLedger,
    found: &mut Vec<ViolationKind>,
) {
    let mut after_other_content = false;
    let mut reported_order = false;
    for (block_index, block) in blocks.iter().enumerate() {
        if block_type(block) != Some("tool_result") {
            after_other_content = true;
            continue;
        }
        if after_other_content && !reported_order {
            reported_order = true;
            found.push(ViolationKind::ToolResultNotFirst { message_index });
        }
        match block.get("tool_use_id").and_then(Value::as_str) {
            Some(id) => found.extend(ledger.answer(message_index, id)),
            None => found.push(ViolationKind::MissingField {
                field: format!("messages[{message_index}].content[{block_index}].tool_use_id"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check_messages(messages: Value) -> Vec<ViolationKind> {
        check(
            Some(&json!({"model": "m", "max_tokens": 10, "system": "s", "messages": messages})),
            SystemPrompt::Required,
        )
    }

    fn tool_use(id: &str) -> Value {
        json!({"type": "tool_use", "id": id, "name": "read", "input": {}})
    }

    fn tool_result(id: &str) -> Value {
        json!({"type": "tool_result", "tool_use_id": id, "content": "ok"})
    }

    #[test]
    fn a_well_formed_tool_round_trip_passes() {
        let found = check_messages(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "text", "text": "x"}, tool_use("a"), tool_use("b")]},
            {"role": "user", "content": [tool_result("b"), tool_result("a"), {"type": "text", "text": "go on"}]},
            {"role": "assistant", "content": "done"},
        ]));
        assert_eq!(found, []);
    }

    #[test]
    fn anthropic_rules_are_reported() {
        let found = check(
            Some(
                &json!({"model": "m", "system": [{"type": "text", "text": ""}], "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "user", "content": "again"},
                    {"role": "assistant", "content": [tool_use("a"), {"type": "tool_use", "name": "x", "input": {}}, {"type": "tool_use", "id": "c", "name": "x", "input": "[]"}]},
                    {"role": "user", "content": [{"type": "text", "text": "first"}, tool_result("a"), {"type": "tool_result"}]},
                    {"role": "system", "content": "no"},
                ]}),
            ),
            SystemPrompt::Required,
        );
        assert_eq!(
            found,
            [
                ViolationKind::MissingField {
                    field: "max_tokens".into()
                },
                ViolationKind::MissingSystemInstruction {
                    field: "system".into()
                },
                ViolationKind::RolesNotAlternating {
                    message_index: 1,
                    role: "user".into()
                },
                ViolationKind::ToolCallWithoutId {
                    message_index: 2,
                    call_index: 1
                },
                ViolationKind::ToolCallArgumentsNotObject {
                    message_index: 2,
                    tool_call_id: "c".into()
                },
                ViolationKind::ToolResultNotFirst { message_index: 3 },
                ViolationKind::MissingField {
                    field: "messages[3].content[2].tool_use_id".into()
                },
                ViolationKind::UnansweredToolCall {
                    assistant_index: 2,
                    tool_call_id: "c".into(),
                    interrupted_by: Some(3)
                },
                ViolationKind::InvalidRole {
                    message_index: 4,
                    role: Some("system".into())
                },
            ]
        );
    }

    #[test]
    fn results_must_come_in_the_very_next_message() {
        let found = check_messages(json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [tool_use("a")]},
            {"role": "user", "content": "something else"},
            {"role": "assistant", "content": "hm"},
            {"role": "user", "content": [tool_result("a")]},
        ]));
        assert_eq!(
            found,
            [
                ViolationKind::UnansweredToolCall {
                    assistant_index: 1,
                    tool_call_id: "a".into(),
                    interrupted_by: Some(2)
                },
                ViolationKind::ToolResultNotPending {
                    message_index: 4,
                    tool_call_id: "a".into()
                },
            ]
        );
    }
}
