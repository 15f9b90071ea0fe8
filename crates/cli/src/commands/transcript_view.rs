//! Human-readable rendering of transcript lines (`sessions show`).

use rustyclaw_protocol::TranscriptLine;
use rustyclaw_protocol::transcript::{AgentMessage, ContentBlock, EntryBody, MessageContent};

/// Longest tool result shown, in characters.
const RESULT_PREVIEW: usize = 600;

fn preview(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({} more characters)", count - max)
}

fn blocks_text(blocks: &[ContentBlock]) -> String {
    blocks
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text(t) => Some(t.text.clone()),
            ContentBlock::Image(i) => Some(format!("[image {}]", i.mime_type)),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line of `sessions show`, or `None` for lines not worth showing.
pub fn render_line(line: &TranscriptLine) -> Option<String> {
    let TranscriptLine::Entry(entry) = line else {
        let TranscriptLine::Session(header) = line else {
            return None;
        };
        return Some(format!(
            "# session {} (started {})",
            header.id, header.timestamp
        ));
    };
    let time = entry.timestamp.get(11..19).unwrap_or(&entry.timestamp);
    Some(match &entry.body {
        EntryBody::Message(m) => match &m.message {
            AgentMessage::User(u) => {
                let text = match &u.content {
                    MessageContent::Text(t) => t.clone(),
                    MessageContent::Blocks(b) => blocks_text(b),
                };
                format!("[{time}] user: {text}")
            }
            AgentMessage::Assistant(a) => {
                let mut parts = Vec::new();
                for block in &a.content {
                    match block {
                        ContentBlock::Text(t) if !t.text.trim().is_empty() => {
                            parts.push(t.text.trim().to_owned())
                        }
                        ContentBlock::Thinking(t) if !t.thinking.is_empty() => {
                            parts.push(format!("(thinking) {}", preview(t.thinking.trim(), 200)))
                        }
                        ContentBlock::ToolCall(c) => parts.push(format!(
                            "→ {} {}",
                            c.name,
                            preview(&c.arguments.to_string(), 300)
                        )),
                        _ => {}
                    }
                }
                if let Some(error) = &a.error_message {
                    parts.push(format!("(error: {error})"));
                }
                format!(
                    "[{time}] assistant ({}/{}): {}",
                    a.provider,
                    a.model,
                    parts.join("\n    ")
                )
            }
            AgentMessage::ToolResult(r) => {
                let status = if r.is_error { "error" } else { "ok" };
                format!(
                    "[{time}] tool {} {status}: {}",
                    r.tool_name,
                    preview(&blocks_text(&r.content), RESULT_PREVIEW)
                )
            }
            AgentMessage::Unknown(_) => format!("[{time}] ({} message)", m.message.role()),
        },
        EntryBody::ModelChange(c) => format!("[{time}] model → {}/{}", c.provider, c.model_id),
        EntryBody::ThinkingLevelChange(t) => {
            format!("[{time}] thinking → {}", t.thinking_level.as_str())
        }
        EntryBody::Compaction(c) => format!(
            "[{time}] compacted ({} tokens before): {}",
            c.tokens_before,
            preview(&c.summary, 300)
        ),
        EntryBody::Reset(_) => format!("[{time}] session reset"),
        EntryBody::CustomMessage(c) => format!(
            "[{time}] ({}) {}",
            c.custom_type,
            match &c.content {
                MessageContent::Text(t) => t.clone(),
                MessageContent::Blocks(b) => blocks_text(b),
            }
        ),
        EntryBody::BranchSummary(_)
        | EntryBody::Custom(_)
        | EntryBody::Label(_)
        | EntryBody::SessionInfo(_) => return None,
    })
}
