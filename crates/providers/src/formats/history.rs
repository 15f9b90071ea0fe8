//! The conversation as it is replayed to a model: the repairs every wire format needs before
//! mapping transcript messages onto its own shapes.
//!
//! A transcript keeps things a provider must not be shown again and would reject with a 400 that
//! no retry fixes: replies that failed or were aborted half-way (a reasoning item without the
//! item it belongs to, tool calls that never ran), tool calls whose results never arrived
//! because the run was interrupted, and results of calls that are no longer part of the replay.
//! Following pi-ai's `transformMessages`, failed and aborted replies are left out, results that
//! answer no call of the reply before them are left out, and a call left unanswered gets an
//! error result saying so, placed where the conversation moved on. A well-formed conversation
//! passes through unchanged.

use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, ImageContent, StopReason, UserMessage,
};

use crate::model::ModelSpec;

/// What the model reads for a call the transcript never answered (pi-ai's wording).
const MISSING_RESULT: &str = "No result provided";

/// Stands in for an image sent to a model that does not accept images, so the model knows
/// something was there (and a message that was only a photo is not left empty).
pub(crate) const IMAGE_OMITTED: &str = "(image omitted: this model does not accept images)";

/// One message of the replayed conversation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Replayed<'a> {
    /// A user message.
    User(&'a UserMessage),
    /// A completed assistant reply.
    Assistant(Assistant<'a>),
    /// The answer to one tool call of the reply before it.
    ToolResult(ToolAnswer<'a>),
}

/// An assistant reply and whether the model now asked wrote it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Assistant<'a> {
    /// The reply.
    pub message: &'a AssistantMessage,
    /// Same provider, wire format and model id as the target: only then do its signatures,
    /// reasoning items and item ids mean something to the model.
    pub same_model: bool,
}

/// A tool result, real or standing in for a missing one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ToolAnswer<'a> {
    /// The id of the call answered, as stored in the transcript.
    pub call_id: &'a str,
    /// The tool's name.
    pub tool_name: &'a str,
    /// The result's content; `None` when the transcript holds no result for the call.
    pub content: Option<&'a [ContentBlock]>,
    /// Whether the tool failed (always true for a missing result).
    pub is_error: bool,
}

impl<'a> ToolAnswer<'a> {
    /// The text blocks joined with newlines (the missing-result notice for a missing result).
    pub fn text(&self) -> String {
        let Some(content) = self.content else {
            return MISSING_RESULT.to_owned();
        };
        let texts: Vec<&str> = content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text(text) => Some(text.text.as_str()),
                _ => None,
            })
            .collect();
        texts.join("\n")
    }

    /// The images of the result.
    pub fn images(&self) -> impl Iterator<Item = &'a ImageContent> + use<'a> {
        self.content
            .unwrap_or_default()
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Image(image) => Some(image),
                _ => None,
            })
    }
}

/// The calls of the latest replayed reply that still wait for a result.
#[derive(Debug, Default)]
struct Pending<'a> {
    calls: Vec<(&'a str, &'a str)>,
    answered: Vec<&'a str>,
}

impl<'a> Pending<'a> {
    /// Adds a missing-result answer for every call not answered yet, and forgets the reply.
    fn close(&mut self, out: &mut Vec<Replayed<'a>>) {
        for (call_id, tool_name) in self.calls.drain(..) {
            if !self.answered.contains(&call_id) {
                tracing::debug!(call_id, tool_name, "replaying a tool call without a result");
                out.push(Replayed::ToolResult(ToolAnswer {
                    call_id,
                    tool_name,
                    content: None,
                    is_error: true,
                }));
            }
        }
        self.answered.clear();
    }
}

/// The conversation `messages` as it should be sent to `model`.
pub(crate) fn replay<'a>(messages: &'a [AgentMessage], model: &ModelSpec) -> Vec<Replayed<'a>> {
    let mut out = Vec::with_capacity(messages.len());
    let mut pending = Pending::default();
    for message in messages {
        match message {
            AgentMessage::User(user) => {
                pending.close(&mut out);
                out.push(Replayed::User(user));
            }
            AgentMessage::Assistant(assistant) => {
                pending.close(&mut out);
                if matches!(
                    assistant.stop_reason,
                    StopReason::Error | StopReason::Aborted
                ) {
                    // A failed reply may hold half an answer; the model retries from the
                    // last complete state instead.
                    continue;
                }
                pending.calls = assistant
                    .content
                    .iter()
                    .filter_map(|block| match block {
                        ContentBlock::ToolCall(call) => {
                            Some((call.id.as_str(), call.name.as_str()))
                        }
                        _ => None,
                    })
                    .collect();
                out.push(Replayed::Assistant(Assistant {
                    message: assistant,
                    same_model: assistant.provider == model.provider
                        && assistant.api == model.api.as_str()
                        && assistant.model == model.id,
                }));
            }
            AgentMessage::ToolResult(result) => {
                let id = result.tool_call_id.as_str();
                let open = pending.calls.iter().any(|(call, _)| *call == id);
                if !open || pending.answered.contains(&id) {
                    tracing::debug!(
                        call_id = id,
                        "dropping a tool result that answers no open call"
                    );
                    continue;
                }
                pending.answered.push(id);
                out.push(Replayed::ToolResult(ToolAnswer {
                    call_id: id,
                    tool_name: &result.tool_name,
                    content: Some(&result.content),
                    is_error: result.is_error,
                }));
            }
            AgentMessage::Unknown(_) => {
                // Roles pi-ai does not send to models either (`bashExecution`, …).
                tracing::debug!(
                    role = message.role(),
                    "not replaying a message of unknown role"
                );
            }
        }
    }
    pending.close(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use rustyclaw_protocol::transcript::{MessageContent, ToolCall, ToolResultMessage, Usage};
    use serde_json::{Map, json};

    use super::*;
    use crate::model::{Pricing, WireFormat};

    fn model() -> ModelSpec {
        ModelSpec {
            provider: "openai".into(),
            id: "gpt-x".into(),
            name: "GPT X".into(),
            api: WireFormat::OpenaiCompletions,
            base_url: "https://api.openai.com/v1".into(),
            reasoning: false,
            input: Vec::new(),
            context_window: 1000,
            max_tokens: 100,
            cost: Pricing::default(),
            headers: Default::default(),
        }
    }

    fn user(text: &str) -> AgentMessage {
        AgentMessage::User(UserMessage::new(MessageContent::Text(text.into()), 1))
    }

    fn assistant(model_id: &str, calls: &[&str], stop: StopReason) -> AgentMessage {
        let content = calls
            .iter()
            .map(|id| {
                ContentBlock::ToolCall(ToolCall {
                    id: (*id).into(),
                    name: "read".into(),
                    arguments: json!({}),
                    thought_signature: None,
                    other: Map::new(),
                })
            })
            .collect();
        AgentMessage::Assistant(AssistantMessage::new(
            content,
            "openai-completions".into(),
            "openai".into(),
            model_id.into(),
            Usage::default(),
            stop,
            2,
        ))
    }

    fn result(id: &str) -> AgentMessage {
        AgentMessage::ToolResult(ToolResultMessage::new(
            id.into(),
            "read".into(),
            vec![ContentBlock::text("ok")],
            false,
            3,
        ))
    }

    /// A compact picture of the replay: `u`, `a` (same model) / `A` (other model),
    /// `r:<id>` / `missing:<id>`.
    fn shape(messages: &[AgentMessage]) -> Vec<String> {
        replay(messages, &model())
            .iter()
            .map(|replayed| match replayed {
                Replayed::User(_) => "u".to_owned(),
                Replayed::Assistant(a) if a.same_model => "a".to_owned(),
                Replayed::Assistant(_) => "A".to_owned(),
                Replayed::ToolResult(r) if r.content.is_some() => format!("r:{}", r.call_id),
                Replayed::ToolResult(r) => format!("missing:{}", r.call_id),
            })
            .collect()
    }

    #[test]
    fn a_well_formed_conversation_is_unchanged() {
        let messages = [
            user("hi"),
            assistant("gpt-x", &["a", "b"], StopReason::ToolUse),
            result("b"),
            result("a"),
            assistant("other", &[], StopReason::Stop),
        ];
        assert_eq!(shape(&messages), ["u", "a", "r:b", "r:a", "A"]);
    }

    #[test]
    fn failed_replies_and_their_results_are_dropped() {
        let messages = [
            user("hi"),
            assistant("gpt-x", &["a"], StopReason::Aborted),
            result("a"),
            user("again"),
            assistant("gpt-x", &[], StopReason::Error),
        ];
        assert_eq!(shape(&messages), ["u", "u"]);
    }

    #[test]
    fn unanswered_calls_get_an_error_result_where_the_conversation_moved_on() {
        let messages = [
            user("hi"),
            assistant("gpt-x", &["a", "b"], StopReason::ToolUse),
            result("a"),
            result("a"),
            result("zzz"),
            user("interrupting"),
            assistant("gpt-x", &["c"], StopReason::ToolUse),
        ];
        assert_eq!(
            shape(&messages),
            ["u", "a", "r:a", "missing:b", "u", "a", "missing:c"]
        );
        let replayed = replay(&messages, &model());
        let Replayed::ToolResult(missing) = replayed[3] else {
            panic!("not a result")
        };
        assert_eq!(missing.text(), "No result provided");
        assert!(missing.is_error);
        assert_eq!(missing.tool_name, "read");
    }
}
