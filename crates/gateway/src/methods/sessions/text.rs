//! Reading a session's transcript as text: the messages, their visible text, previews and titles.

use rustyclaw_protocol::transcript::{AgentMessage, ContentBlock, EntryBody, MessageContent};
use rustyclaw_protocol::{SessionId, TranscriptLine};

use super::super::{Fail, unavailable};
use crate::state::GatewayState;

/// The messages of a transcript, in order.
pub(super) async fn messages(
    state: &GatewayState,
    session_id: &SessionId,
) -> Result<Vec<AgentMessage>, Fail> {
    let lines = state
        .0
        .store
        .transcript(session_id, 0, usize::MAX)
        .await
        .map_err(|e| unavailable("reading the transcript", &e))?;
    Ok(lines
        .into_iter()
        .filter_map(|stored| match stored.line {
            TranscriptLine::Entry(entry) => match entry.body {
                EntryBody::Message(body) => Some(body.message),
                _ => None,
            },
            TranscriptLine::Session(_) => None,
        })
        .collect())
}

/// The visible text of a user or assistant message (text blocks joined), `None` for tool results,
/// other roles and messages without text.
pub(super) fn visible_text(message: &AgentMessage) -> Option<String> {
    let text = match message {
        AgentMessage::User(user) => match &user.content {
            MessageContent::Text(text) => text.clone(),
            MessageContent::Blocks(blocks) => join_text(blocks),
        },
        AgentMessage::Assistant(reply) => join_text(&reply.content),
        AgentMessage::ToolResult(_) | AgentMessage::Unknown(_) => return None,
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn join_text(blocks: &[ContentBlock]) -> String {
    blocks
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text(text) => Some(text.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` on one line, cut to `max` characters with an ellipsis.
pub(super) fn clip(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut out: String = flat.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_flattens_whitespace_and_cuts_with_an_ellipsis() {
        assert_eq!(clip("a\n  b\tc", 10), "a b c");
        assert_eq!(clip("abcdefghij", 5), "abcd…");
        assert_eq!(clip("héllo", 5), "héllo");
    }
}
