//! Compaction: summarising older turns with the model so a long conversation keeps fitting
//! the context window.
//!
//! The cut is always placed before a user message, so an assistant tool call and its tool
//! results are never separated (providers reject a result without its call). The summary is
//! stored as a `compaction` entry naming the first kept entry; the context then starts with
//! the summary followed by the kept messages.

use rustyclaw_protocol::transcript::{
    AgentMessage, CompactionEntry, ContentBlock, EntryBody, MessageContent, UserMessage,
};
use rustyclaw_providers::{ModelRequest, ModelSpec, ProviderError};

use crate::clock::now_ms;
use crate::error::AgentError;
use crate::event::EventKind;
use crate::models::{ModelPlan, OpenError};
use crate::session::SessionState;
use crate::turn::{Turn, read_stream, reply_text};

/// Tokens kept free for the reply and tool results (capped at a quarter of the window).
const RESERVE_TOKENS: u64 = 16_384;
/// Recent history kept verbatim, in estimated tokens (capped at a quarter of the window).
const KEEP_RECENT_TOKENS: u64 = 20_000;
/// Characters of one tool result shown to the summariser.
const RESULT_EXCERPT_CHARS: usize = 2_000;

const SUMMARY_SYSTEM_PROMPT: &str = "You write the running summary of a conversation between a user and an AI assistant that uses tools. The assistant will continue the conversation from your summary alone, so keep every fact it needs: the user's goals and preferences, decisions made, files and paths touched, commands run and their outcomes, open tasks and exact identifiers (names, ids, URLs, numbers). Drop chit-chat and redundant tool output. Write plain prose and short lists, no preamble.";

/// Whether the last call's context is close enough to the window to compact.
pub(crate) fn should_compact(state: &SessionState, model: &ModelSpec) -> bool {
    let window = model.context_window;
    if window == 0 {
        return false;
    }
    let reserve = RESERVE_TOKENS.min(window / 4);
    let used = state.entry.total_tokens.unwrap_or(0);
    used > window.saturating_sub(reserve)
}

/// A rough token estimate (4 characters per token) for choosing the cut.
fn estimate(message: &AgentMessage) -> u64 {
    let chars = match message {
        AgentMessage::User(m) => match &m.content {
            MessageContent::Text(t) => t.len(),
            MessageContent::Blocks(b) => b.iter().map(block_len).sum(),
        },
        AgentMessage::Assistant(m) => m.content.iter().map(block_len).sum(),
        AgentMessage::ToolResult(m) => m.content.iter().map(block_len).sum(),
        AgentMessage::Unknown(map) => serde_json::to_string(map).map_or(0, |s| s.len()),
    };
    (chars as u64).div_ceil(4)
}

fn block_len(block: &ContentBlock) -> usize {
    match block {
        ContentBlock::Text(t) => t.text.len(),
        ContentBlock::Thinking(t) => t.thinking.len(),
        ContentBlock::Image(_) => 4_000,
        ContentBlock::ToolCall(c) => c.name.len() + c.arguments.to_string().len(),
        ContentBlock::Unknown(_) => 100,
    }
}

/// Where to cut: the index of the first kept item, or `None` when nothing can be summarised.
pub(crate) fn cut_point(messages: &[&AgentMessage], keep_tokens: u64) -> Option<usize> {
    let is_user = |i: usize| matches!(messages.get(i), Some(AgentMessage::User(_)));
    let mut kept = 0u64;
    let mut cut = messages.len();
    while cut > 0 {
        let cost = estimate(messages[cut - 1]);
        if kept + cost > keep_tokens {
            break;
        }
        kept += cost;
        cut -= 1;
    }
    // Move forward to a user message; if there is none, back to the last one.
    let forward = (cut..messages.len()).find(|i| is_user(*i));
    let at = match forward {
        Some(i) => i,
        None => (0..messages.len()).rev().find(|i| is_user(*i))?,
    };
    (at > 0).then_some(at)
}

fn render_for_summary(messages: &[&AgentMessage]) -> String {
    let mut out = String::new();
    for message in messages {
        match message {
            AgentMessage::User(m) => {
                let text = match &m.content {
                    MessageContent::Text(t) => t.clone(),
                    MessageContent::Blocks(blocks) => blocks
                        .iter()
                        .filter_map(|b| match b {
                            ContentBlock::Text(t) => Some(t.text.clone()),
                            ContentBlock::Image(_) => Some("[image]".into()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                };
                out.push_str(&format!("User: {text}\n\n"));
            }
            AgentMessage::Assistant(m) => {
                for block in &m.content {
                    match block {
                        ContentBlock::Text(t) => {
                            out.push_str(&format!("Assistant: {}\n\n", t.text))
                        }
                        ContentBlock::ToolCall(c) => out.push_str(&format!(
                            "Assistant called {} with {}\n\n",
                            c.name, c.arguments
                        )),
                        _ => {}
                    }
                }
            }
            AgentMessage::ToolResult(m) => {
                let text = crate::text::text_blocks(&m.content, "\n");
                let excerpt = crate::tool_calls::cap_text(&text, RESULT_EXCERPT_CHARS);
                let status = if m.is_error { "failed" } else { "returned" };
                out.push_str(&format!("Tool {} {status}: {excerpt}\n\n", m.tool_name));
            }
            AgentMessage::Unknown(_) => {}
        }
    }
    out
}

/// Compacts the session's context. Returns the context tokens before, or `None` when there
/// was nothing to summarise.
pub(crate) async fn compact(
    turn: &Turn<'_>,
    state: &mut SessionState,
    plan: &ModelPlan,
    instructions: Option<&str>,
) -> Result<Option<u64>, AgentError> {
    let window = plan.primary.context_window.max(1);
    let keep = KEEP_RECENT_TOKENS.min(window / 4);
    let messages: Vec<&AgentMessage> = state.context.items.iter().map(|i| &i.message).collect();
    let Some(cut) = cut_point(&messages, keep) else {
        return Ok(None);
    };
    let first_kept = state.context.items[cut].entry_id.clone();
    let tokens_before = state
        .entry
        .total_tokens
        .unwrap_or_else(|| messages.iter().map(|m| estimate(m)).sum());

    let mut prompt = String::new();
    if let Some(previous) = &state.context.summary {
        prompt.push_str(&format!(
            "Summary of the conversation so far:\n<summary>\n{previous}\n</summary>\n\n"
        ));
    }
    prompt.push_str("Conversation to summarise:\n<conversation>\n");
    prompt.push_str(&render_for_summary(&messages[..cut]));
    prompt.push_str("</conversation>\n\nWrite the updated summary.");
    if let Some(extra) = instructions {
        prompt.push_str(&format!(" Additional instructions: {extra}"));
    }
    let request = ModelRequest::new(
        SUMMARY_SYSTEM_PROMPT,
        vec![AgentMessage::User(UserMessage::new(
            MessageContent::Text(prompt),
            now_ms(),
        ))],
    );
    let opened = match turn
        .services
        .models
        .open(plan, &request, &turn.cancel, &|kind| turn.emit(kind))
        .await
    {
        Ok(opened) => opened,
        Err(OpenError::Aborted) => return Ok(None),
        Err(e) => {
            return Err(AgentError::Model {
                detail: format!("compaction failed: {e}"),
            });
        }
    };
    let (collected, failure) = read_stream(turn, opened.stream, false).await;
    match failure {
        None => {}
        Some(ProviderError::Aborted) => return Ok(None),
        Some(e) => {
            return Err(AgentError::Model {
                detail: format!("compaction failed: {e}"),
            });
        }
    }
    let (message, _) = collected.finish(&opened.spec, now_ms(), None);
    let summary = reply_text(&message).unwrap_or_default();
    if summary.is_empty() {
        return Err(AgentError::Model {
            detail: "compaction failed: the model returned an empty summary".into(),
        });
    }
    let body = EntryBody::Compaction(CompactionEntry::new(summary, first_kept, tokens_before));
    let ids = state
        .writer
        .append(&turn.services.store, vec![body.clone()])
        .await?;
    if let Some(id) = ids.first() {
        state.context.apply(id, &body);
        turn.emit(EventKind::EntryAppended {
            entry_id: id.as_str().to_owned(),
            entry_type: "compaction",
            role: None,
        });
    }
    state.entry.compaction_count = Some(state.context.compactions);
    state.entry.total_tokens_fresh = Some(false);
    turn.emit(EventKind::Compacted { tokens_before });
    Ok(Some(tokens_before))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyclaw_protocol::transcript::{
        AssistantMessage, StopReason, ToolCall, ToolResultMessage, Usage,
    };
    use serde_json::{Map, json};

    fn user(text: &str) -> AgentMessage {
        AgentMessage::User(UserMessage::new(MessageContent::Text(text.into()), 0))
    }

    fn assistant_call(id: &str) -> AgentMessage {
        AgentMessage::Assistant(AssistantMessage::new(
            vec![ContentBlock::ToolCall(ToolCall {
                id: id.into(),
                name: "read".into(),
                arguments: json!({"path": "a"}),
                thought_signature: None,
                other: Map::new(),
            })],
            "openai-completions".into(),
            "p".into(),
            "m".into(),
            Usage::default(),
            StopReason::ToolUse,
            0,
        ))
    }

    fn result(id: &str, text: &str) -> AgentMessage {
        AgentMessage::ToolResult(ToolResultMessage::new(
            id.into(),
            "read".into(),
            vec![ContentBlock::text(text)],
            false,
            0,
        ))
    }

    #[test]
    fn the_cut_lands_on_a_user_message_and_keeps_tool_pairs() {
        let big = "x".repeat(4_000);
        let messages = [
            user("first"),
            assistant_call("a"),
            result("a", &big),
            user("second"),
            assistant_call("b"),
            result("b", &big),
            user("third"),
        ];
        let refs: Vec<&AgentMessage> = messages.iter().collect();
        // Room for one big result: the last turn plus the start of the one before fit, and
        // the cut moves forward to that turn's user message so its tool pair stays whole.
        assert_eq!(cut_point(&refs, 1_100), Some(3));
        // Room for everything: nothing to cut.
        assert_eq!(cut_point(&refs, 1_000_000), None);
        // Room for nothing: keep the last turn only.
        assert_eq!(cut_point(&refs, 0), Some(6));
    }

    #[test]
    fn a_single_turn_cannot_be_cut() {
        let messages = [user("only"), assistant_call("a"), result("a", "ok")];
        let refs: Vec<&AgentMessage> = messages.iter().collect();
        assert_eq!(cut_point(&refs, 0), None);
    }
}
