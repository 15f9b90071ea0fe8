//! The OpenAI responses wire format: `POST /v1/responses`.
//!
//! Shapes follow the real API. A plain request gets one `response` object. With
//! `"stream": true` the reply is an SSE stream whose events carry their type both as the
//! `event:` line and as `type`, and a `sequence_number` counting from 0: `response.created`,
//! `response.in_progress`, then per output item `response.output_item.added`, its deltas
//! (`response.reasoning_summary_text.delta`, `response.output_text.delta`,
//! `response.function_call_arguments.delta`, with the matching part and `*.done` events) and
//! `response.output_item.done`, and finally `response.completed` — or `response.incomplete`
//! for the `length` and `content_filter` finish reasons — with the whole response and its
//! usage. There is no `[DONE]`.
//!
//! A turn's thinking becomes a reasoning item with one summary part; its `encrypted_content` is
//! only returned when the request asked for it with `include: ["reasoning.encrypted_content"]`,
//! as the real API does, so a client that echoes reasoning without asking for it is caught by
//! the request checks ([`check`]).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::delivery::{self, Frame};
use super::invariants::{SystemPrompt, ToolLedger, ViolationKind};
use super::openai_chat;
use super::record::RecordedRequest;
use super::script::{FinishReason, MalformedTurn, MessageTurn, TurnKind, Usage, fragments};
use super::server::{Refusal, Shared};
use super::sse;

/// Streamed function-call arguments are sent in fragments of this many characters.
const ARGUMENT_FRAGMENT_CHARS: usize = 8;

/// The model name answered when the request names none.
const DEFAULT_MODEL: &str = "fake-model";

/// The routes of this wire format.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/v1/responses", post(responses))
}

async fn responses(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let system_prompt = shared.options.system_prompt;
    let check = |recorded: &RecordedRequest| check(recorded.body.as_ref(), system_prompt);
    let (recorded, turn) = match shared.admit(request, check, refuse).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let number = shared.next_completion_number();
    let context = Context {
        number,
        id: format!("resp_fake{number:032}"),
        created_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs()),
        stream: recorded.is_stream(),
        model: recorded.model().unwrap_or(DEFAULT_MODEL).to_owned(),
        request: recorded.body.clone().unwrap_or(Value::Null),
    };
    match turn.0 {
        TurnKind::Message(turn) => message_response(&turn, &context, &recorded).await,
        TurnKind::Error(turn) => openai_chat::scripted_error(&turn).await,
        TurnKind::Malformed(turn) => malformed_response(&turn, &context).await,
    }
}

fn refuse(refusal: Refusal) -> Response {
    let error_type = match refusal {
        Refusal::Violations(_) => "invalid_request_error",
        Refusal::ScriptExhausted(_) => "fake_llm_script_exhausted",
    };
    openai_chat::error_response(refusal.status(), refusal.message(), error_type, None)
}

/// What a response needs to know about the request it answers.
struct Context {
    number: u64,
    id: String,
    created_at: u64,
    stream: bool,
    model: String,
    /// The request body, whose settings the response object echoes.
    request: Value,
}

impl Context {
    fn requested(&self, field: &str) -> Value {
        self.request.get(field).cloned().unwrap_or(Value::Null)
    }

    fn wants_encrypted_reasoning(&self) -> bool {
        self.request
            .get("include")
            .and_then(Value::as_array)
            .is_some_and(|include| {
                include
                    .iter()
                    .any(|item| item == "reasoning.encrypted_content")
            })
    }
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
    let rendered = render(turn, context);
    let usage = turn.usage_for(request);
    let finished = response_object(context, model, turn, rendered.output, Some(usage));
    if context.stream {
        let started = response_object(context, model, turn, Vec::new(), None);
        let final_type = match finished["status"].as_str() {
            Some("incomplete") => "response.incomplete",
            _ => "response.completed",
        };
        let mut events = vec![
            json!({"type": "response.created", "response": started}),
            json!({"type": "response.in_progress", "response": started}),
        ];
        events.extend(rendered.events);
        events.push(json!({"type": final_type, "response": finished}));
        let mut frames: Vec<Frame> = events
            .into_iter()
            .enumerate()
            .map(|(number, mut event)| {
                event["sequence_number"] = number.into();
                let name = event["type"].as_str().unwrap_or_default().to_owned();
                sse::named_event(&name, &event)
            })
            .collect();
        if turn.keep_alive {
            frames = sse::interleave_keep_alive(frames);
        }
        sse::response(frames, &turn.delivery)
    } else {
        let frames = vec![Frame::event(finished.to_string())];
        (
            [(header::CONTENT_TYPE, "application/json")],
            delivery::body(frames, &turn.delivery),
        )
            .into_response()
    }
}

/// The streamed item events of a turn (without sequence numbers) and its final output items.
struct Rendered {
    events: Vec<Value>,
    output: Vec<Value>,
}

fn item_status(turn: &MessageTurn) -> &'static str {
    match turn.effective_finish_reason() {
        FinishReason::Stop | FinishReason::ToolCalls => "completed",
        FinishReason::Length | FinishReason::ContentFilter => "incomplete",
    }
}

fn render(turn: &MessageTurn, context: &Context) -> Rendered {
    let mut events = Vec::new();
    let mut output = Vec::new();
    let status = item_status(turn);
    if let Some(deltas) = &turn.thinking {
        let index = output.len();
        let id = format!("rs_fake{}_{index}", context.number);
        let text = deltas.concat();
        let part = json!({"type": "summary_text", "text": text});
        events.push(
            json!({"type": "response.output_item.added", "output_index": index,
            "item": {"id": id, "type": "reasoning", "summary": []}}),
        );
        events.push(
            json!({"type": "response.reasoning_summary_part.added", "item_id": id,
            "output_index": index, "summary_index": 0,
            "part": {"type": "summary_text", "text": ""}}),
        );
        for delta in deltas {
            events.push(
                json!({"type": "response.reasoning_summary_text.delta", "item_id": id,
                "output_index": index, "summary_index": 0, "delta": delta}),
            );
        }
        events.push(
            json!({"type": "response.reasoning_summary_text.done", "item_id": id,
            "output_index": index, "summary_index": 0, "text": text}),
        );
        events.push(
            json!({"type": "response.reasoning_summary_part.done", "item_id": id,
            "output_index": index, "summary_index": 0, "part": part}),
        );
        let mut item = json!({"id": id, "type": "reasoning", "summary": [part]});
        if context.wants_encrypted_reasoning() {
            item["encrypted_content"] = format!("gAAAAfake-encrypted-reasoning-{id}").into();
        }
        events.push(
            json!({"type": "response.output_item.done", "output_index": index, "item": item}),
        );
        output.push(item);
    }
    if let Some(deltas) = &turn.content {
        let index = output.len();
        let id = format!("msg_fake{}_{index}", context.number);
        let text = deltas.concat();
        let part = json!({"type": "output_text", "annotations": [], "logprobs": [], "text": text});
        events.push(
            json!({"type": "response.output_item.added", "output_index": index,
            "item": {"id": id, "type": "message", "status": "in_progress", "content": [],
                     "role": "assistant"}}),
        );
        events.push(json!({"type": "response.content_part.added", "item_id": id,
            "output_index": index, "content_index": 0,
            "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}}));
        for delta in deltas {
            events.push(json!({"type": "response.output_text.delta", "item_id": id,
                "output_index": index, "content_index": 0, "delta": delta, "logprobs": []}));
        }
        events.push(json!({"type": "response.output_text.done", "item_id": id,
            "output_index": index, "content_index": 0, "text": text, "logprobs": []}));
        events.push(json!({"type": "response.content_part.done", "item_id": id,
            "output_index": index, "content_index": 0, "part": part}));
        let item = json!({"id": id, "type": "message", "status": status, "content": [part],
            "role": "assistant"});
        events.push(
            json!({"type": "response.output_item.done", "output_index": index, "item": item}),
        );
        output.push(item);
    }
    for call in &turn.tool_calls {
        let index = output.len();
        let id = format!("fc_fake{}_{index}", context.number);
        events.push(
            json!({"type": "response.output_item.added", "output_index": index,
            "item": {"id": id, "type": "function_call", "status": "in_progress",
                     "arguments": "", "call_id": call.id, "name": call.name}}),
        );
        for fragment in fragments(&call.arguments, ARGUMENT_FRAGMENT_CHARS) {
            events.push(json!({"type": "response.function_call_arguments.delta",
                "item_id": id, "output_index": index, "delta": fragment}));
        }
        events.push(
            json!({"type": "response.function_call_arguments.done", "item_id": id,
            "output_index": index, "arguments": call.arguments}),
        );
        let item = json!({"id": id, "type": "function_call", "status": "completed",
            "arguments": call.arguments, "call_id": call.id, "name": call.name});
        events.push(
            json!({"type": "response.output_item.done", "output_index": index, "item": item}),
        );
        output.push(item);
    }
    Rendered { events, output }
}

fn usage_object(usage: Usage) -> Value {
    json!({
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    })
}

/// The `response` object: the final one when `usage` is given, else the in-progress skeleton.
fn response_object(
    context: &Context,
    model: &str,
    turn: &MessageTurn,
    output: Vec<Value>,
    usage: Option<Usage>,
) -> Value {
    let (status, incomplete_details) = match (usage, turn.effective_finish_reason()) {
        (None, _) => ("in_progress", Value::Null),
        (Some(_), FinishReason::Stop | FinishReason::ToolCalls) => ("completed", Value::Null),
        (Some(_), FinishReason::Length) => ("incomplete", json!({"reason": "max_output_tokens"})),
        (Some(_), FinishReason::ContentFilter) => {
            ("incomplete", json!({"reason": "content_filter"}))
        }
    };
    let reasoning = context.request.get("reasoning");
    json!({
        "id": context.id,
        "object": "response",
        "created_at": context.created_at,
        "status": status,
        "background": false,
        "error": null,
        "incomplete_details": incomplete_details,
        "instructions": context.requested("instructions"),
        "max_output_tokens": context.requested("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {
            "effort": reasoning.and_then(|r| r.get("effort")).cloned().unwrap_or(Value::Null),
            "summary": reasoning.and_then(|r| r.get("summary")).cloned().unwrap_or(Value::Null),
        },
        "store": context.request.get("store").cloned().unwrap_or(Value::Bool(true)),
        "temperature": context.request.get("temperature").cloned().unwrap_or(json!(1.0)),
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": context.request.get("tools").cloned().unwrap_or(json!([])),
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage.map(usage_object),
        "user": null,
        "metadata": {},
    })
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
        // An event whose JSON never closes, and no `response.completed` after it.
        (None, true) => (
            "text/event-stream; charset=utf-8",
            vec![Frame::event(format!(
                "event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"sequence_number\":0,\"item_id\":\"msg_fake{}_0\",\"delta\":\"half\n\n",
                context.number
            ))],
        ),
        (None, false) => (
            "application/json",
            vec![Frame::event(format!(
                r#"{{"id":"{}","object":"response","output":[{{"type":"message","role":"assis"#,
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

/// Content part types of input messages, by the role of the message.
fn part_types(role: &str) -> &'static [&'static str] {
    match role {
        "assistant" => &["output_text", "refusal"],
        _ => &["input_text", "input_image", "input_file"],
    }
}

/// Checks an OpenAI responses request body: the shape of every `input` item, the system prompt
/// (in `instructions` or a leading system/developer message), and the tool-call bookkeeping —
/// every `function_call_output` answers an earlier `function_call` with the same `call_id`, and
/// every call is answered before the conversation moves on.
pub(crate) fn check(body: Option<&Value>, system_prompt: SystemPrompt) -> Vec<ViolationKind> {
    let Some(body) = body.filter(|body| body.is_object()) else {
        return vec![ViolationKind::InvalidJson];
    };
    let mut found = Vec::new();
    if !body.get("model").is_some_and(Value::is_string) {
        found.push(ViolationKind::MissingModel);
    }
    let has_instructions = body
        .get("instructions")
        .and_then(Value::as_str)
        .is_some_and(|instructions| !instructions.trim().is_empty());
    let missing_system = || ViolationKind::MissingSystemInstruction {
        field: "instructions".to_owned(),
    };
    let items = match body.get("input") {
        Some(Value::Array(items)) => items,
        // A plain string is a single user message.
        Some(Value::String(_)) => {
            if system_prompt == SystemPrompt::Required && !has_instructions {
                found.push(missing_system());
            }
            return found;
        }
        _ => {
            found.push(ViolationKind::MissingField {
                field: "input".to_owned(),
            });
            return found;
        }
    };
    if items.is_empty() {
        found.push(ViolationKind::EmptyField {
            field: "input".to_owned(),
        });
        return found;
    }
    if system_prompt == SystemPrompt::Required && !has_instructions {
        let first_role = items[0].get("role").and_then(Value::as_str);
        if !matches!(first_role, Some("system" | "developer")) {
            found.push(missing_system());
        }
    }
    let store = body.get("store").and_then(Value::as_bool).unwrap_or(true);
    let mut walk = Walk {
        found,
        ledger: ToolLedger::default(),
        in_outputs: false,
        store,
    };
    for (index, item) in items.iter().enumerate() {
        walk.item(index, item);
    }
    let Walk {
        mut found,
        mut ledger,
        ..
    } = walk;
    found.extend(ledger.close_turn(None));
    found
}

/// The walk over `input` items. The items of one assistant turn (reasoning, messages, calls)
/// come first, then the outputs answering its calls; an assistant item after outputs starts
/// the next turn, and a user, system or developer message ends the current one.
struct Walk {
    found: Vec<ViolationKind>,
    ledger: ToolLedger,
    in_outputs: bool,
    store: bool,
}

impl Walk {
    fn missing(&mut self, field: String) {
        self.found.push(ViolationKind::MissingField { field });
    }

    /// An assistant-side item at `index`: it starts a new turn if outputs came before it.
    fn assistant_side(&mut self, index: usize) {
        if self.in_outputs {
            self.in_outputs = false;
            self.found.extend(self.ledger.close_turn(Some(index)));
        }
    }

    fn item(&mut self, index: usize, item: &Value) {
        let Some(object) = item.as_object() else {
            self.found.push(ViolationKind::MessageNotObject {
                message_index: index,
            });
            return;
        };
        match (object.get("type"), object.get("role")) {
            (Some(Value::String(kind)), _) if kind == "message" => self.message(index, object),
            // Messages may leave out `type`.
            (None, Some(_)) => self.message(index, object),
            (Some(Value::String(kind)), _) => match kind.as_str() {
                "function_call" => self.function_call(index, object),
                "function_call_output" => self.function_call_output(index, object),
                "reasoning" => self.reasoning(index, object),
                other => {
                    self.assistant_side(index);
                    self.found.push(ViolationKind::UnexpectedValue {
                        field: format!("input[{index}].type"),
                        value: other.to_owned(),
                    });
                }
            },
            _ => self.missing(format!("input[{index}].type")),
        }
    }

    fn message(&mut self, index: usize, object: &Map<String, Value>) {
        let role = object.get("role").and_then(Value::as_str);
        match role {
            Some("assistant") => self.assistant_side(index),
            Some("user" | "system" | "developer") => {
                self.in_outputs = false;
                self.found.extend(self.ledger.close_turn(Some(index)));
            }
            other => {
                self.in_outputs = false;
                self.found.extend(self.ledger.close_turn(Some(index)));
                self.found.push(ViolationKind::InvalidRole {
                    message_index: index,
                    role: other.map(str::to_owned),
                });
                return;
            }
        }
        let allowed = part_types(role.unwrap_or_default());
        match object.get("content") {
            Some(Value::String(_)) => {}
            Some(Value::Array(parts)) => {
                for (part_index, part) in parts.iter().enumerate() {
                    let field = format!("input[{index}].content[{part_index}].type");
                    match part.get("type").and_then(Value::as_str) {
                        Some(kind) if allowed.contains(&kind) => {}
                        Some(kind) => self.found.push(ViolationKind::UnexpectedValue {
                            field,
                            value: kind.to_owned(),
                        }),
                        None => self.missing(field),
                    }
                }
            }
            _ => self.missing(format!("input[{index}].content")),
        }
    }

    fn function_call(&mut self, index: usize, object: &Map<String, Value>) {
        self.assistant_side(index);
        for field in ["name", "arguments"] {
            if !object.get(field).is_some_and(Value::is_string) {
                self.missing(format!("input[{index}].{field}"));
            }
        }
        if let Some(id) = object.get("id").and_then(Value::as_str)
            && !id.starts_with("fc")
        {
            self.found.push(ViolationKind::UnexpectedValue {
                field: format!("input[{index}].id"),
                value: id.to_owned(),
            });
        }
        match object.get("call_id").and_then(Value::as_str) {
            Some(call_id) if !call_id.is_empty() => self.ledger.issue(index, call_id),
            _ => self.missing(format!("input[{index}].call_id")),
        }
    }

    fn function_call_output(&mut self, index: usize, object: &Map<String, Value>) {
        self.in_outputs = true;
        if !object
            .get("output")
            .is_some_and(|output| output.is_string() || output.is_array())
        {
            self.missing(format!("input[{index}].output"));
        }
        match object.get("call_id").and_then(Value::as_str) {
            Some(call_id) => self.found.extend(self.ledger.answer(index, call_id)),
            None => self.missing(format!("input[{index}].call_id")),
        }
    }

    fn reasoning(&mut self, index: usize, object: &Map<String, Value>) {
        self.assistant_side(index);
        if !object.get("summary").is_some_and(Value::is_array) {
            self.missing(format!("input[{index}].summary"));
        }
        // Nothing is kept server-side without `store`, so the item must carry its content.
        if !self.store
            && !object
                .get("encrypted_content")
                .is_some_and(Value::is_string)
        {
            self.missing(format!("input[{index}].encrypted_content"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_input(input: Value) -> Vec<ViolationKind> {
        check(
            Some(&json!({"model": "m", "instructions": "s", "store": false, "input": input})),
            SystemPrompt::Required,
        )
    }

    fn call(call_id: &str) -> Value {
        json!({"type": "function_call", "call_id": call_id, "name": "read", "arguments": "{}"})
    }

    fn output(call_id: &str) -> Value {
        json!({"type": "function_call_output", "call_id": call_id, "output": "ok"})
    }

    fn user() -> Value {
        json!({"role": "user", "content": [{"type": "input_text", "text": "u"}]})
    }

    #[test]
    fn a_well_formed_tool_round_trip_passes() {
        let found = check_input(json!([
            user(),
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "x"},
            {"type": "message", "role": "assistant", "status": "completed", "id": "msg_1",
             "content": [{"type": "output_text", "text": "a", "annotations": []}]},
            call("c1"),
            call("c2"),
            output("c2"),
            output("c1"),
            call("c3"),
            output("c3"),
            {"role": "assistant", "content": "done"},
            user(),
        ]));
        assert_eq!(found, []);
    }

    #[test]
    fn outputs_must_answer_earlier_calls_once() {
        let found = check_input(json!([
            user(),
            output("early"),
            call("c1"),
            call("c2"),
            output("c1"),
            output("c1"),
            user(),
            call("c3"),
        ]));
        assert_eq!(
            found,
            [
                ViolationKind::UnknownToolCallId {
                    message_index: 1,
                    tool_call_id: "early".into()
                },
                ViolationKind::ToolResultNotPending {
                    message_index: 5,
                    tool_call_id: "c1".into()
                },
                ViolationKind::UnansweredToolCall {
                    assistant_index: 3,
                    tool_call_id: "c2".into(),
                    interrupted_by: Some(6)
                },
                ViolationKind::UnansweredToolCall {
                    assistant_index: 7,
                    tool_call_id: "c3".into(),
                    interrupted_by: None
                },
            ]
        );
    }

    #[test]
    fn item_shapes_are_checked() {
        let found = check_input(json!([
            {"role": "tool", "content": "x"},
            {"role": "user", "content": [{"type": "output_text", "text": "x"}]},
            {"type": "web_search_call"},
            {"type": "reasoning", "summary": []},
            {"type": "function_call", "id": "call_1", "call_id": "call_1", "name": "x", "arguments": {}},
            output("call_1"),
            {"type": "function_call_output", "output": "?"},
            7,
            {"content": "neither type nor role"},
        ]));
        assert_eq!(
            found,
            [
                ViolationKind::InvalidRole {
                    message_index: 0,
                    role: Some("tool".into())
                },
                ViolationKind::UnexpectedValue {
                    field: "input[1].content[0].type".into(),
                    value: "output_text".into()
                },
                ViolationKind::UnexpectedValue {
                    field: "input[2].type".into(),
                    value: "web_search_call".into()
                },
                ViolationKind::MissingField {
                    field: "input[3].encrypted_content".into()
                },
                ViolationKind::MissingField {
                    field: "input[4].arguments".into()
                },
                ViolationKind::UnexpectedValue {
                    field: "input[4].id".into(),
                    value: "call_1".into()
                },
                ViolationKind::MissingField {
                    field: "input[6].call_id".into()
                },
                ViolationKind::MessageNotObject { message_index: 7 },
                ViolationKind::MissingField {
                    field: "input[8].type".into()
                },
            ]
        );
    }

    #[test]
    fn the_system_prompt_may_be_instructions_or_a_leading_message() {
        let without = json!({"model": "m", "input": [user()]});
        assert_eq!(
            check(Some(&without), SystemPrompt::Required),
            [ViolationKind::MissingSystemInstruction {
                field: "instructions".into()
            }]
        );
        assert_eq!(check(Some(&without), SystemPrompt::Optional), []);
        let leading = json!({"model": "m", "input": [
            {"role": "developer", "content": "s"}, user(),
        ]});
        assert_eq!(check(Some(&leading), SystemPrompt::Required), []);
        let text = json!({"model": "m", "instructions": "s", "input": "hello"});
        assert_eq!(check(Some(&text), SystemPrompt::Required), []);
        assert_eq!(
            check(Some(&json!({"input": []})), SystemPrompt::Optional),
            [
                ViolationKind::MissingModel,
                ViolationKind::EmptyField {
                    field: "input".into()
                }
            ]
        );
        assert_eq!(
            check(Some(&json!("x")), SystemPrompt::Optional),
            [ViolationKind::InvalidJson]
        );
    }
}
