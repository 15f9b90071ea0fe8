//! The Gemini wire format: `POST /v1beta/models/{model}:streamGenerateContent` and
//! `:generateContent`.
//!
//! Shapes follow the real API: `GenerateContentResponse` chunks with the reply in
//! `candidates[0].content.parts` — `thought` text parts (the last one signed), one chunk per
//! text delta, all function calls of a turn whole in one chunk (the first one signed when the
//! turn thinks), and the finish reason with the full `usageMetadata` on the last chunk. With
//! `alt=sse` the chunks are SSE `data:` events separated by CRLF as Google sends them; without,
//! they form one JSON array streamed piece by piece. `:generateContent` answers with a single
//! response. Errors use Google's `{"error":{"code","message","status"}}` body.
//!
//! The request checks are Gemini's own rules: `contents` alternate between `user` and `model`,
//! every content has parts, the system prompt lives in `systemInstruction`, and function
//! responses (matched to calls by name) come in the user content right after the model content
//! that made the calls.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::delivery::{self, Frame};
use super::invariants::{SystemPrompt, ToolLedger, ViolationKind};
use super::record::RecordedRequest;
use super::script::{ErrorTurn, FinishReason, MalformedTurn, MessageTurn, TurnKind, Usage};
use super::server::{self, Refusal, Shared};
use super::sse;

/// The signature on scripted thoughts and calls (base64, like real ones).
pub(crate) const THOUGHT_SIGNATURE: &str = "ZmFrZS10aG91Z2h0LXNpZ25hdHVyZQ==";

/// The routes of this wire format.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/v1beta/models/{target}", post(generate))
}

/// How the response travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `:streamGenerateContent?alt=sse`.
    Sse,
    /// `:streamGenerateContent` without `alt=sse`: a JSON array of chunks.
    JsonArray,
    /// `:generateContent`.
    Single,
}

fn status_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        code if code >= 500 => "INTERNAL",
        _ => "FAILED_PRECONDITION",
    }
}

fn error_body(status: StatusCode, message: &str, status_text: &str) -> Value {
    json!({"error": {"code": status.as_u16(), "message": message, "status": status_text}})
}

fn error_response(status: StatusCode, message: &str) -> Response {
    let body = error_body(status, message, status_name(status));
    (status, axum::Json(body)).into_response()
}

fn refuse(refusal: Refusal) -> Response {
    error_response(refusal.status(), refusal.message())
}

async fn generate(
    State(shared): State<Arc<Shared>>,
    Path(target): Path<String>,
    request: Request,
) -> Response {
    let sse = request
        .uri()
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair == "alt=sse"));
    if target.ends_with(":batchEmbedContents") {
        let recorded = match shared.record(request).await {
            Ok(recorded) => recorded,
            Err(response) => return response,
        };
        return super::embeddings::gemini_batch(&shared, recorded.body.as_ref());
    }
    let (model, mode) = match target.rsplit_once(':') {
        Some((model, "streamGenerateContent")) if sse => (model, Mode::Sse),
        Some((model, "streamGenerateContent")) => (model, Mode::JsonArray),
        Some((model, "generateContent")) => (model, Mode::Single),
        _ => {
            // Recorded like any other request, so the test sees what the client asked for.
            let recorded = match shared.record(request).await {
                Ok(recorded) => recorded,
                Err(response) => return response,
            };
            let message = format!(
                "fake LLM: {} {} is not a Gemini method it serves",
                recorded.method, recorded.path
            );
            return error_response(StatusCode::NOT_FOUND, &message);
        }
    };
    let system_prompt = shared.options.system_prompt;
    let checked = |recorded: &RecordedRequest| check(recorded.body.as_ref(), system_prompt);
    let (recorded, turn) = match shared.admit(request, checked, refuse).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let context = Context {
        id: format!("fake-response-{:016}", shared.next_completion_number()),
        mode,
        model: model.to_owned(),
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
    mode: Mode,
    model: String,
}

fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        // Gemini has no separate reason for function calls.
        FinishReason::Stop | FinishReason::ToolCalls => "STOP",
        FinishReason::Length => "MAX_TOKENS",
        FinishReason::ContentFilter => "SAFETY",
    }
}

/// `usageMetadata`: candidates exclude thoughts, which are counted apart.
fn usage_metadata(usage: Usage, complete: bool) -> Value {
    let mut metadata = json!({"promptTokenCount": usage.prompt_tokens});
    if complete {
        metadata["candidatesTokenCount"] = json!(
            usage
                .completion_tokens
                .saturating_sub(usage.reasoning_tokens)
        );
        if usage.reasoning_tokens > 0 {
            metadata["thoughtsTokenCount"] = json!(usage.reasoning_tokens);
        }
        if usage.cached_tokens > 0 {
            metadata["cachedContentTokenCount"] = json!(usage.cached_tokens);
        }
        metadata["totalTokenCount"] = json!(usage.total_tokens);
    } else {
        metadata["totalTokenCount"] = json!(usage.prompt_tokens);
    }
    metadata
}

/// Function call parts; arguments that are not JSON are sent as the raw string, which the real
/// API never does but a client must survive.
fn call_parts(turn: &MessageTurn) -> Vec<Value> {
    turn.tool_calls
        .iter()
        .enumerate()
        .map(|(position, call)| {
            let args = serde_json::from_str(&call.arguments)
                .unwrap_or_else(|_| Value::String(call.arguments.clone()));
            let mut part = json!({"functionCall": {"name": call.name, "args": args}});
            if position == 0 && turn.thinking.is_some() {
                part["thoughtSignature"] = json!(THOUGHT_SIGNATURE);
            }
            part
        })
        .collect()
}

/// The parts of each streamed chunk, in order.
fn chunk_parts(turn: &MessageTurn) -> Vec<Vec<Value>> {
    let mut chunks = Vec::new();
    if let Some(thinking) = &turn.thinking {
        let last = thinking.len().saturating_sub(1);
        for (position, piece) in thinking.iter().enumerate() {
            let mut part = json!({"text": piece, "thought": true});
            if position == last {
                part["thoughtSignature"] = json!(THOUGHT_SIGNATURE);
            }
            chunks.push(vec![part]);
        }
    }
    for piece in turn.content.iter().flatten() {
        chunks.push(vec![json!({"text": piece})]);
    }
    if !turn.tool_calls.is_empty() {
        chunks.push(call_parts(turn));
    }
    if chunks.is_empty() {
        chunks.push(vec![json!({"text": ""})]);
    }
    chunks
}

fn response_object(
    parts: Vec<Value>,
    finish: Option<&str>,
    usage: Value,
    context: &Context,
    model: &str,
) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    if let Some(finish) = finish {
        candidate["finishReason"] = json!(finish);
    }
    json!({
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": context.id,
    })
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
    let finish = finish_reason(turn.effective_finish_reason());
    if context.mode == Mode::Single {
        let parts = chunk_parts(turn).into_iter().flatten().collect();
        let response = response_object(
            parts,
            Some(finish),
            usage_metadata(usage, true),
            context,
            model,
        );
        return json_body(
            vec![Frame::event(response.to_string())],
            &turn.delivery,
            "application/json; charset=UTF-8",
        );
    }
    let chunks = chunk_parts(turn);
    let last = chunks.len() - 1;
    let responses = chunks.into_iter().enumerate().map(|(position, parts)| {
        let complete = position == last;
        response_object(
            parts,
            complete.then_some(finish),
            usage_metadata(usage, complete),
            context,
            model,
        )
    });
    if context.mode == Mode::Sse {
        let mut frames: Vec<Frame> = responses
            .map(|response| Frame::event(format!("data: {response}\r\n\r\n")))
            .collect();
        if turn.keep_alive {
            frames = sse::interleave_keep_alive(frames);
        }
        return sse::response(frames, &turn.delivery);
    }
    let mut frames: Vec<Frame> = responses
        .enumerate()
        .map(|(position, response)| {
            let separator = if position == 0 { "[" } else { ",\r\n" };
            Frame::event(format!("{separator}{response}"))
        })
        .collect();
    frames.push(Frame::filler("]"));
    json_body(frames, &turn.delivery, "application/json; charset=UTF-8")
}

fn json_body(
    frames: Vec<Frame>,
    delivery: &delivery::Delivery,
    content_type: &'static str,
) -> Response {
    (
        [(header::CONTENT_TYPE, content_type)],
        delivery::body(frames, delivery),
    )
        .into_response()
}

/// Default message of an error status, as the real API sends it.
fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Request contains an invalid argument.",
        401 => "Request had invalid authentication credentials.",
        403 => "The caller does not have permission.",
        404 => "Requested entity was not found.",
        429 => "Resource has been exhausted (e.g. check quota).",
        503 => "The model is overloaded. Please try again later.",
        code if code >= 500 => "An internal error has occurred.",
        _ => "Precondition check failed.",
    }
}

async fn scripted_error(turn: &ErrorTurn) -> Response {
    let body = |status: StatusCode| {
        let status_text = turn
            .error_type
            .as_deref()
            .or(turn.code.as_deref())
            .unwrap_or(status_name(status));
        let message = turn.message.as_deref().unwrap_or(default_message(status));
        error_body(status, message, status_text)
    };
    let bad_script = |message: &str| error_response(StatusCode::INTERNAL_SERVER_ERROR, message);
    server::scripted_error(turn, body, bad_script).await
}

async fn malformed_response(turn: &MalformedTurn, context: &Context) -> Response {
    if let Some(delay) = turn.delivery.response_delay {
        tokio::time::sleep(delay).await;
    }
    let truncated = r#"{"candidates": [{"content": {"parts": [{"text": "hal"#;
    let frame = match (&turn.body, context.mode) {
        (Some(body), _) => Frame::event(body.clone()),
        // A chunk whose JSON never closes, and nothing after it.
        (None, Mode::Sse) => Frame::event(format!("data: {truncated}\r\n\r\n")),
        (None, Mode::JsonArray) => Frame::event(format!("[{truncated}")),
        (None, Mode::Single) => Frame::event(truncated),
    };
    let content_type = match context.mode {
        Mode::Sse => "text/event-stream",
        Mode::JsonArray | Mode::Single => "application/json; charset=UTF-8",
    };
    json_body(vec![frame], &turn.delivery, content_type)
}

/// Whether `systemInstruction` holds a non-empty text part.
fn has_system_instruction(instruction: Option<&Value>) -> bool {
    instruction
        .and_then(|instruction| instruction.get("parts"))
        .and_then(Value::as_array)
        .is_some_and(|parts| {
            parts.iter().any(|part| {
                part.get("text")
                    .and_then(Value::as_str)
                    .is_some_and(|text| !text.is_empty())
            })
        })
}

/// Checks a Gemini `generateContent` request body.
pub(crate) fn check(body: Option<&Value>, system_prompt: SystemPrompt) -> Vec<ViolationKind> {
    let Some(body) = body.filter(|body| body.is_object()) else {
        return vec![ViolationKind::InvalidJson];
    };
    let mut found = Vec::new();
    if system_prompt == SystemPrompt::Required
        && !has_system_instruction(body.get("systemInstruction"))
    {
        found.push(ViolationKind::MissingSystemInstruction {
            field: "systemInstruction".into(),
        });
    }
    let Some(contents) = body.get("contents").and_then(Value::as_array) else {
        found.push(ViolationKind::MissingField {
            field: "contents".into(),
        });
        return found;
    };
    if contents.is_empty() {
        found.push(ViolationKind::EmptyField {
            field: "contents".into(),
        });
        return found;
    }
    let mut ledger = ToolLedger::default();
    let mut previous_role = None;
    for (index, content) in contents.iter().enumerate() {
        let Some(content) = content.as_object() else {
            found.push(ViolationKind::MessageNotObject {
                message_index: index,
            });
            continue;
        };
        let role = match content.get("role").and_then(Value::as_str) {
            Some(role @ ("user" | "model")) => role,
            other => {
                found.extend(ledger.close_turn(Some(index)));
                found.push(ViolationKind::InvalidRole {
                    message_index: index,
                    role: other.map(str::to_owned),
                });
                previous_role = None;
                continue;
            }
        };
        if previous_role == Some(role) {
            found.push(ViolationKind::RolesNotAlternating {
                message_index: index,
                role: role.to_owned(),
            });
        }
        previous_role = Some(role);
        let parts = match content.get("parts").and_then(Value::as_array) {
            Some(parts) if !parts.is_empty() => parts.as_slice(),
            Some(_) => {
                found.push(ViolationKind::EmptyField {
                    field: format!("contents[{index}].parts"),
                });
                &[]
            }
            None => {
                found.push(ViolationKind::MissingField {
                    field: format!("contents[{index}].parts"),
                });
                &[]
            }
        };
        if role == "model" {
            found.extend(ledger.close_turn(Some(index)));
        }
        for (part_index, part) in parts.iter().enumerate() {
            let path = |field: &str| format!("contents[{index}].parts[{part_index}].{field}");
            if let Some(call) = part.get("functionCall") {
                let Some(name) = call.get("name").and_then(Value::as_str) else {
                    found.push(ViolationKind::MissingField {
                        field: path("functionCall.name"),
                    });
                    continue;
                };
                if call.get("args").is_some_and(|args| !args.is_object()) {
                    found.push(ViolationKind::ToolCallArgumentsNotObject {
                        message_index: index,
                        tool_call_id: name.to_owned(),
                    });
                }
                ledger.issue(index, name);
            } else if let Some(response) = part.get("functionResponse") {
                match response.get("name").and_then(Value::as_str) {
                    Some(name) => found.extend(ledger.answer(index, name)),
                    None => found.push(ViolationKind::MissingField {
                        field: path("functionResponse.name"),
                    }),
                }
                if !response.get("response").is_some_and(Value::is_object) {
                    found.push(ViolationKind::MissingField {
                        field: path("functionResponse.response"),
                    });
                }
            }
        }
        if role == "user" {
            found.extend(ledger.close_turn(Some(index)));
        }
    }
    found.extend(ledger.close_turn(None));
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(contents: Value) -> Value {
        json!({"systemInstruction": {"parts": [{"text": "s"}]}, "contents": contents})
    }

    fn call(name: &str) -> Value {
        json!({"functionCall": {"name": name, "args": {}}})
    }

    fn response(name: &str) -> Value {
        json!({"functionResponse": {"name": name, "response": {"output": "ok"}}})
    }

    #[test]
    fn a_well_formed_function_round_trip_passes() {
        let found = check(
            Some(&body(json!([
                {"role": "user", "parts": [{"text": "hi"}]},
                {"role": "model", "parts": [{"text": "x"}, call("read"), call("read")]},
                {"role": "user", "parts": [response("read"), response("read")]},
                {"role": "model", "parts": [{"text": "done"}]},
            ]))),
            SystemPrompt::Required,
        );
        assert_eq!(found, []);
    }

    #[test]
    fn gemini_rules_are_reported() {
        let found = check(
            Some(&json!({"contents": [
                {"role": "user", "parts": [{"text": "hi"}]},
                {"role": "user", "parts": []},
                {"role": "model", "parts": [call("read"), {"functionCall": {"args": {}}}, {"functionCall": {"name": "exec", "args": "ls"}}]},
                {"role": "user", "parts": [response("read"), {"functionResponse": {"name": "nope"}}]},
                {"role": "assistant", "parts": [{"text": "?"}]},
            ]})),
            SystemPrompt::Required,
        );
        assert_eq!(
            found,
            [
                ViolationKind::MissingSystemInstruction {
                    field: "systemInstruction".into()
                },
                ViolationKind::RolesNotAlternating {
                    message_index: 1,
                    role: "user".into()
                },
                ViolationKind::EmptyField {
                    field: "contents[1].parts".into()
                },
                ViolationKind::MissingField {
                    field: "contents[2].parts[1].functionCall.name".into()
                },
                ViolationKind::ToolCallArgumentsNotObject {
                    message_index: 2,
                    tool_call_id: "exec".into()
                },
                ViolationKind::UnknownToolCallId {
                    message_index: 3,
                    tool_call_id: "nope".into()
                },
                ViolationKind::MissingField {
                    field: "contents[3].parts[1].functionResponse.response".into()
                },
                ViolationKind::UnansweredToolCall {
                    assistant_index: 2,
                    tool_call_id: "exec".into(),
                    interrupted_by: Some(3)
                },
                ViolationKind::InvalidRole {
                    message_index: 4,
                    role: Some("assistant".into())
                },
            ]
        );
        assert_eq!(
            check(Some(&json!({"contents": []})), SystemPrompt::Optional),
            [ViolationKind::EmptyField {
                field: "contents".into()
            }]
        );
    }
}
