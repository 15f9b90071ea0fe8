//! The OpenAI chat-completions wire format: `POST /v1/chat/completions` and `GET /v1/models`.
//!
//! Shapes follow the real API: a `chat.completion` object for plain requests, and for
//! `"stream": true` an SSE stream of `chat.completion.chunk` objects — a role delta first,
//! content deltas, tool-call deltas (index, id and name first, then argument fragments), a
//! chunk with the finish reason, a usage chunk with empty `choices` when the request set
//! `stream_options.include_usage`, and `data: [DONE]`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::delivery::{self, Frame};
use super::invariants;
use super::record::RecordedRequest;
use super::script::{
    ErrorTurn, FinishReason, MalformedTurn, MessageTurn, TurnKind, Usage, fragments,
};
use super::server::{self, Refusal, Shared};
use super::sse;

/// Streamed tool-call arguments are sent in fragments of this many characters, so clients must
/// concatenate them (real models send a few characters per token).
const ARGUMENT_FRAGMENT_CHARS: usize = 8;

/// The model name answered when the request names none.
const DEFAULT_MODEL: &str = "fake-model";

/// Reported as `system_fingerprint`, which real responses always carry.
const SYSTEM_FINGERPRINT: &str = "fp_fakellm0001";

/// The routes of this wire format.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/models", get(models))
}

/// An OpenAI-shaped error response.
pub(crate) fn error_response(
    status: StatusCode,
    message: &str,
    error_type: &str,
    code: Option<&str>,
) -> Response {
    let body = error_body(message, error_type, None, code);
    (status, axum::Json(body)).into_response()
}

fn error_body(message: &str, error_type: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({
        "error": {
            "message": message,
            "type": error_type,
            "param": param,
            "code": code,
        }
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

async fn models(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if let Err(response) = shared.record(request).await {
        return response;
    }
    let created = unix_now();
    let data: Vec<Value> = shared
        .options
        .models
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": created, "owned_by": "rustyclaw-testkit"}))
        .collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

async fn chat_completions(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let system_prompt = shared.options.system_prompt;
    let check = |recorded: &RecordedRequest| {
        invariants::check_openai_chat(recorded.body.as_ref(), system_prompt)
    };
    let (recorded, turn) = match shared.admit(request, check, refuse).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let context = Context {
        id: format!("chatcmpl-fake{:025}", shared.next_completion_number()),
        created: unix_now(),
        stream: recorded.is_stream(),
        include_usage: recorded
            .body
            .as_ref()
            .and_then(|body| body.pointer("/stream_options/include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        model: recorded.model().unwrap_or(DEFAULT_MODEL).to_owned(),
    };
    match turn.0 {
        TurnKind::Message(turn) => message_response(&turn, &context, &recorded).await,
        TurnKind::Error(turn) => scripted_error(&turn).await,
        TurnKind::Malformed(turn) => malformed_response(&turn, &context).await,
    }
}

fn refuse(refusal: Refusal) -> Response {
    let error_type = match refusal {
        Refusal::Violations(_) => "invalid_request_error",
        Refusal::ScriptExhausted(_) => "fake_llm_script_exhausted",
    };
    error_response(refusal.status(), refusal.message(), error_type, None)
}

/// What a response needs to know about the request it answers.
struct Context {
    id: String,
    created: u64,
    stream: bool,
    include_usage: bool,
    model: String,
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
        frames.push(sse::data_event("[DONE]"));
        sse::response(frames, &turn.delivery)
    } else {
        let completion = completion_object(turn, context, model, usage);
        let frames = vec![Frame::event(completion.to_string())];
        (
            [(header::CONTENT_TYPE, "application/json")],
            delivery::body(frames, &turn.delivery),
        )
            .into_response()
    }
}

fn finish_reason_str(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::Length => "length",
        FinishReason::ContentFilter => "content_filter",
    }
}

fn usage_object(usage: Usage) -> Value {
    json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    })
}

fn completion_object(turn: &MessageTurn, context: &Context, model: &str, usage: Usage) -> Value {
    let mut message = json!({
        "role": "assistant",
        "content": turn.full_text(),
        "refusal": null,
        "annotations": [],
    });
    if !turn.tool_calls.is_empty() {
        let calls: Vec<Value> = turn
            .tool_calls
            .iter()
            .map(|call| {
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                })
            })
            .collect();
        message["tool_calls"] = Value::Array(calls);
    }
    json!({
        "id": context.id,
        "object": "chat.completion",
        "created": context.created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason_str(turn.effective_finish_reason()),
        }],
        "usage": usage_object(usage),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    })
}

/// The data events of a streamed reply, without `[DONE]`.
fn stream_frames(turn: &MessageTurn, context: &Context, model: &str, usage: Usage) -> Vec<Frame> {
    let chunk = |choices: Value, usage: Option<Value>| {
        let mut chunk = json!({
            "id": context.id,
            "object": "chat.completion.chunk",
            "created": context.created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": choices,
        });
        // With `include_usage` every chunk carries `usage: null` except the last one.
        if context.include_usage {
            chunk["usage"] = usage.unwrap_or(Value::Null);
        }
        sse::json_event(&chunk)
    };
    let delta = |delta: Value| {
        chunk(
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": null}]),
            None,
        )
    };

    let role_content = if turn.content.is_some() {
        json!("")
    } else {
        Value::Null
    };
    let mut frames = vec![delta(
        json!({"role": "assistant", "content": role_content, "refusal": null}),
    )];
    for piece in turn.content.iter().flatten() {
        frames.push(delta(json!({"content": piece})));
    }
    for (index, call) in turn.tool_calls.iter().enumerate() {
        frames.push(delta(json!({"tool_calls": [{
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }]})));
        for fragment in fragments(&call.arguments, ARGUMENT_FRAGMENT_CHARS) {
            frames.push(delta(
                json!({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}),
            ));
        }
    }
    frames.push(chunk(
        json!([{
            "index": 0,
            "delta": {},
            "logprobs": null,
            "finish_reason": finish_reason_str(turn.effective_finish_reason()),
        }]),
        None,
    ));
    if context.include_usage {
        frames.push(chunk(json!([]), Some(usage_object(usage))));
    }
    frames
}

/// Default message, `type` and `code` of an error status, as the real API sends them.
fn error_defaults(status: StatusCode) -> (&'static str, &'static str, Option<&'static str>) {
    match status.as_u16() {
        401 => (
            "Incorrect API key provided.",
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        404 => (
            "The model does not exist or you do not have access to it.",
            "invalid_request_error",
            Some("model_not_found"),
        ),
        429 => (
            "Rate limit reached for requests. Please try again later.",
            "requests",
            Some("rate_limit_exceeded"),
        ),
        500 => (
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        ),
        502..=504 => (
            "The server is overloaded or not ready yet.",
            "server_error",
            None,
        ),
        code if code >= 500 => ("The server had an error.", "server_error", None),
        _ => ("Invalid request.", "invalid_request_error", None),
    }
}

/// Answers a scripted error in OpenAI's error shape, which the responses API shares.
pub(crate) async fn scripted_error(turn: &ErrorTurn) -> Response {
    let body = |status: StatusCode| {
        let (message, error_type, code) = error_defaults(status);
        error_body(
            turn.message.as_deref().unwrap_or(message),
            turn.error_type.as_deref().unwrap_or(error_type),
            turn.param.as_deref(),
            turn.code.as_deref().or(code),
        )
    };
    let bad_script = |message: &str| {
        error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            message,
            "fake_llm_bad_script",
            None,
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
        // A chunk whose JSON never closes, and no `[DONE]` after it.
        (None, true) => (
            "text/event-stream; charset=utf-8",
            vec![sse::data_event(&format!(
                r#"{{"id":"{}","object":"chat.completion.chunk","choices":[{{"index":0,"delta":{{"content":"half"#,
                context.id
            ))],
        ),
        (None, false) => (
            "application/json",
            vec![Frame::event(format!(
                r#"{{"id":"{}","object":"chat.completion","choices":[{{"index":0,"message":{{"role":"assis"#,
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
