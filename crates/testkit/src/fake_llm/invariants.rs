//! Protocol invariants checked on every request a fake LLM server receives.
//!
//! Real providers reject some of these mistakes with a 400 and silently tolerate others; either
//! way they are bugs in the client. Checking them on every request turns each test that talks to
//! the fake server into a test of the conversation bookkeeping as well.
//!
//! The tool-call bookkeeping ([`ToolLedger`]) is format-neutral: a wire format walks its own
//! message shapes and reports issued calls, answers and other messages to the ledger.

use std::fmt;

use serde_json::Value;

/// A rule broken by one request, found by the server's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The offending request's [`RecordedRequest::index`](super::RecordedRequest::index).
    pub request_index: usize,
    /// What was wrong.
    pub kind: ViolationKind,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request #{}: {}", self.request_index, self.kind)
    }
}

/// The rules the fake server checks. Message indexes are positions in the request's list of
/// messages (`messages`, Gemini's `contents`, or OpenAI responses' `input` items).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViolationKind {
    /// The body is not a JSON object.
    InvalidJson,
    /// `model` is missing or not a string.
    MissingModel,
    /// `messages` is missing or not an array.
    MissingMessages,
    /// `messages` is an empty array.
    EmptyMessages,
    /// A message is not a JSON object.
    MessageNotObject {
        /// Position of the message.
        message_index: usize,
    },
    /// A message's role is missing or not one of system, developer, user, assistant, tool.
    InvalidRole {
        /// Position of the message.
        message_index: usize,
        /// The role found, if any.
        role: Option<String>,
    },
    /// The first message is not a system (or developer) prompt.
    MissingSystemPrompt {
        /// The role of the first message.
        first_role: String,
    },
    /// An assistant tool call has no `id`.
    ToolCallWithoutId {
        /// Position of the assistant message.
        message_index: usize,
        /// Position of the call in its `tool_calls`.
        call_index: usize,
    },
    /// An assistant tool call's `function.arguments` is not a string (JSON must be serialized).
    ToolCallArgumentsNotString {
        /// Position of the assistant message.
        message_index: usize,
        /// The call's id.
        tool_call_id: String,
    },
    /// A tool message has no `tool_call_id`.
    ToolResultWithoutId {
        /// Position of the tool message.
        message_index: usize,
    },
    /// A tool message answers an id no earlier assistant message issued.
    UnknownToolCallId {
        /// Position of the tool message.
        message_index: usize,
        /// The id it claims to answer.
        tool_call_id: String,
    },
    /// A tool message answers a call that was already answered, or whose assistant turn was
    /// already closed by another message.
    ToolResultNotPending {
        /// Position of the tool message.
        message_index: usize,
        /// The id it claims to answer.
        tool_call_id: String,
    },
    /// An assistant tool call got no tool message before the conversation moved on.
    UnansweredToolCall {
        /// Position of the assistant message that issued the call.
        assistant_index: usize,
        /// The unanswered call's id.
        tool_call_id: String,
        /// Position of the message that came instead; `None` when the request ended.
        interrupted_by: Option<usize>,
    },
    /// The request arrived when no scripted turn was left to answer it.
    ScriptExhausted,
    /// A field the format requires is missing or has the wrong type; `field` is its path,
    /// e.g. `max_tokens` or `messages[2].content[0].tool_use_id`.
    MissingField {
        /// Path of the field.
        field: String,
    },
    /// A list the format requires to be non-empty is empty, e.g. Gemini's `contents`.
    EmptyField {
        /// Path of the field.
        field: String,
    },
    /// The system prompt is missing from the field where the format keeps it (`system`,
    /// `systemInstruction`).
    MissingSystemInstruction {
        /// The field.
        field: String,
    },
    /// A message has the same role as the one before it, in a format that requires roles to
    /// alternate (Anthropic, Gemini).
    RolesNotAlternating {
        /// Position of the message.
        message_index: usize,
        /// The repeated role.
        role: String,
    },
    /// A message carries tool results after other content; Anthropic wants them first.
    ToolResultNotFirst {
        /// Position of the message.
        message_index: usize,
    },
    /// A field holds a value the format does not accept, e.g. an unknown item `type` or a
    /// function-call item id that does not start with `fc` (OpenAI responses).
    UnexpectedValue {
        /// Path of the field, e.g. `input[3].type`.
        field: String,
        /// The value found.
        value: String,
    },
    /// A tool call's arguments are not a JSON object, in a format that sends them as one.
    ToolCallArgumentsNotObject {
        /// Position of the message with the call.
        message_index: usize,
        /// The call's id (or name, in formats that identify calls by name).
        tool_call_id: String,
    },
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson => write!(f, "the body is not a JSON object"),
            Self::MissingModel => write!(f, "`model` is missing or not a string"),
            Self::MissingMessages => write!(f, "`messages` is missing or not an array"),
            Self::EmptyMessages => write!(f, "`messages` is empty"),
            Self::MessageNotObject { message_index } => {
                write!(f, "message {message_index} is not a JSON object")
            }
            Self::InvalidRole {
                message_index,
                role: Some(role),
            } => write!(f, "message {message_index} has invalid role {role:?}"),
            Self::InvalidRole {
                message_index,
                role: None,
            } => write!(f, "message {message_index} has no string `role`"),
            Self::MissingSystemPrompt { first_role } => write!(
                f,
                "the first message has role {first_role:?}, not a system prompt"
            ),
            Self::ToolCallWithoutId {
                message_index,
                call_index,
            } => write!(
                f,
                "tool call {call_index} of message {message_index} has no `id`"
            ),
            Self::ToolCallArgumentsNotString {
                message_index,
                tool_call_id,
            } => write!(
                f,
                "tool call {tool_call_id:?} of message {message_index} has `function.arguments` \
                 that is not a string"
            ),
            Self::ToolResultWithoutId { message_index } => {
                write!(f, "tool message {message_index} has no `tool_call_id`")
            }
            Self::UnknownToolCallId {
                message_index,
                tool_call_id,
            } => write!(
                f,
                "tool message {message_index} answers tool call id {tool_call_id:?}, which no \
                 earlier assistant message issued"
            ),
            Self::ToolResultNotPending {
                message_index,
                tool_call_id,
            } => write!(
                f,
                "tool message {message_index} answers tool call id {tool_call_id:?}, which was \
                 already answered or closed"
            ),
            Self::UnansweredToolCall {
                assistant_index,
                tool_call_id,
                interrupted_by: Some(next),
            } => write!(
                f,
                "tool call {tool_call_id:?} of message {assistant_index} is not answered before \
                 message {next}"
            ),
            Self::UnansweredToolCall {
                assistant_index,
                tool_call_id,
                interrupted_by: None,
            } => write!(
                f,
                "tool call {tool_call_id:?} of message {assistant_index} is never answered"
            ),
            Self::ScriptExhausted => write!(f, "no scripted turn was left to answer it"),
            Self::MissingField { field } => {
                write!(f, "`{field}` is missing or has the wrong type")
            }
            Self::EmptyField { field } => write!(f, "`{field}` is empty"),
            Self::MissingSystemInstruction { field } => {
                write!(f, "there is no system prompt in `{field}`")
            }
            Self::RolesNotAlternating {
                message_index,
                role,
            } => write!(
                f,
                "message {message_index} has role {role:?} like the message before it; roles \
                 must alternate"
            ),
            Self::ToolResultNotFirst { message_index } => write!(
                f,
                "message {message_index} has content before its tool results, which must come \
                 first"
            ),
            Self::UnexpectedValue { field, value } => {
                write!(
                    f,
                    "`{field}` is {value:?}, which the format does not accept"
                )
            }
            Self::ToolCallArgumentsNotObject {
                message_index,
                tool_call_id,
            } => write!(
                f,
                "tool call {tool_call_id:?} of message {message_index} has arguments that are \
                 not a JSON object"
            ),
        }
    }
}

/// Format-neutral bookkeeping of tool calls along a conversation: every call must be answered
/// exactly once, by results that come right after the assistant turn that issued it. Each
/// method returns what it found, so violations come out in message order.
#[derive(Debug, Default)]
pub(crate) struct ToolLedger {
    /// Calls of the latest assistant turn not answered yet: (id, assistant message index).
    pending: Vec<(String, usize)>,
    /// Every id issued so far.
    issued: Vec<String>,
}

impl ToolLedger {
    /// An assistant message at `message_index` issued a call with `id`.
    pub(crate) fn issue(&mut self, message_index: usize, id: &str) {
        self.pending.push((id.to_owned(), message_index));
        self.issued.push(id.to_owned());
    }

    /// A tool result at `message_index` answers `id`.
    pub(crate) fn answer(&mut self, message_index: usize, id: &str) -> Option<ViolationKind> {
        if let Some(position) = self.pending.iter().position(|(pending, _)| pending == id) {
            self.pending.remove(position);
            None
        } else if self.issued.iter().any(|issued| issued == id) {
            Some(ViolationKind::ToolResultNotPending {
                message_index,
                tool_call_id: id.to_owned(),
            })
        } else {
            Some(ViolationKind::UnknownToolCallId {
                message_index,
                tool_call_id: id.to_owned(),
            })
        }
    }

    /// A message that is not a tool result arrived at `message_index` (or the request ended,
    /// with `None`): every call still pending went unanswered.
    pub(crate) fn close_turn(
        &mut self,
        message_index: Option<usize>,
    ) -> impl Iterator<Item = ViolationKind> {
        self.pending
            .drain(..)
            .map(
                move |(tool_call_id, assistant_index)| ViolationKind::UnansweredToolCall {
                    assistant_index,
                    tool_call_id,
                    interrupted_by: message_index,
                },
            )
    }
}

/// Whether a request must open with a system (or developer) prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemPrompt {
    /// The first message must have role `system` or `developer`, as every agent request has.
    Required,
    /// Requests without a system prompt are fine (e.g. for a provider client's own tests).
    Optional,
}

/// Checks an OpenAI chat-completions request body.
pub(crate) fn check_openai_chat(
    body: Option<&Value>,
    system_prompt: SystemPrompt,
) -> Vec<ViolationKind> {
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
        if !matches!(first_role, Some("system" | "developer")) {
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
        match role {
            Some("tool") => match message.get("tool_call_id").and_then(Value::as_str) {
                Some(id) => found.extend(ledger.answer(message_index, id)),
                None => found.push(ViolationKind::ToolResultWithoutId { message_index }),
            },
            Some("assistant") => {
                found.extend(ledger.close_turn(Some(message_index)));
                let calls = message.get("tool_calls").and_then(Value::as_array);
                for (call_index, call) in calls.into_iter().flatten().enumerate() {
                    let Some(id) = call.get("id").and_then(Value::as_str) else {
                        found.push(ViolationKind::ToolCallWithoutId {
                            message_index,
                            call_index,
                        });
                        continue;
                    };
                    if !call
                        .pointer("/function/arguments")
                        .is_some_and(Value::is_string)
                    {
                        found.push(ViolationKind::ToolCallArgumentsNotString {
                            message_index,
                            tool_call_id: id.to_owned(),
                        });
                    }
                    ledger.issue(message_index, id);
                }
            }
            Some("system" | "developer" | "user") => {
                found.extend(ledger.close_turn(Some(message_index)));
            }
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

    fn check(messages: Value) -> Vec<ViolationKind> {
        check_openai_chat(
            Some(&json!({"model": "m", "messages": messages})),
            SystemPrompt::Required,
        )
    }

    fn assistant_calling(ids: &[&str]) -> Value {
        let calls: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "type": "function", "function": {"name": "read", "arguments": "{}"}}))
            .collect();
        json!({"role": "assistant", "content": null, "tool_calls": calls})
    }

    #[test]
    fn a_well_formed_tool_round_trip_passes() {
        let found = check(json!([
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u"},
            {"role": "user", "content": "consecutive user messages are fine"},
            assistant_calling(&["a", "b"]),
            {"role": "tool", "tool_call_id": "b", "content": "2"},
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "assistant", "content": "done"},
        ]));
        assert_eq!(found, []);
    }

    #[test]
    fn an_unanswered_call_is_reported_where_the_conversation_moved_on() {
        let found = check(json!([
            {"role": "system", "content": "s"},
            assistant_calling(&["a", "b"]),
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "user", "content": "u"},
            assistant_calling(&["c"]),
        ]));
        assert_eq!(
            found,
            [
                ViolationKind::UnansweredToolCall {
                    assistant_index: 1,
                    tool_call_id: "b".into(),
                    interrupted_by: Some(3),
                },
                ViolationKind::UnansweredToolCall {
                    assistant_index: 4,
                    tool_call_id: "c".into(),
                    interrupted_by: None,
                },
            ]
        );
    }

    #[test]
    fn late_duplicate_and_unknown_answers_are_told_apart() {
        let found = check(json!([
            {"role": "system", "content": "s"},
            assistant_calling(&["a"]),
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "tool", "tool_call_id": "a", "content": "again"},
            {"role": "tool", "tool_call_id": "zzz", "content": "?"},
            {"role": "tool", "content": "no id"},
        ]));
        assert_eq!(
            found,
            [
                ViolationKind::ToolResultNotPending {
                    message_index: 3,
                    tool_call_id: "a".into()
                },
                ViolationKind::UnknownToolCallId {
                    message_index: 4,
                    tool_call_id: "zzz".into()
                },
                ViolationKind::ToolResultWithoutId { message_index: 5 },
            ]
        );
    }

    #[test]
    fn shape_errors_are_reported() {
        assert_eq!(
            check_openai_chat(Some(&json!([1])), SystemPrompt::Required),
            [ViolationKind::InvalidJson]
        );
        assert_eq!(
            check_openai_chat(Some(&json!({"messages": []})), SystemPrompt::Required),
            [ViolationKind::MissingModel, ViolationKind::EmptyMessages]
        );
        let found = check(json!([
            {"role": "user", "content": "no system prompt"},
            {"role": "function", "content": "legacy"},
            "text",
            {"role": "assistant", "tool_calls": [
                {"type": "function", "function": {"name": "x", "arguments": "{}"}},
                {"id": "k", "type": "function", "function": {"name": "x", "arguments": {"a": 1}}},
            ]},
            {"role": "tool", "tool_call_id": "k", "content": "ok"},
        ]));
        assert_eq!(
            found,
            [
                ViolationKind::MissingSystemPrompt {
                    first_role: "user".into()
                },
                ViolationKind::InvalidRole {
                    message_index: 1,
                    role: Some("function".into())
                },
                ViolationKind::MessageNotObject { message_index: 2 },
                ViolationKind::ToolCallWithoutId {
                    message_index: 3,
                    call_index: 0
                },
                ViolationKind::ToolCallArgumentsNotString {
                    message_index: 3,
                    tool_call_id: "k".into()
                },
            ]
        );
    }

    #[test]
    fn the_system_prompt_rule_can_be_relaxed() {
        let body = json!({"model": "m", "messages": [{"role": "user", "content": "u"}]});
        assert_eq!(check_openai_chat(Some(&body), SystemPrompt::Optional), []);
    }
}
