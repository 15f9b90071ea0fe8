//! How a received message is written in the journal: the record, and the extras the router
//! needs again when it dispatches the message (possibly after a restart) — attachments as the
//! platform described them, and whether the message mentioned the bot or replied to it.

use rustyclaw_channels::account::{ReceivedAttachment, ReceivedMessage};
use rustyclaw_store::InboundRecord;
use serde_json::{Value, json};

use super::hub::AccountKey;
use super::limits::{MAX_INBOUND_ATTACHMENTS, MAX_INBOUND_TEXT_BYTES};

/// The journal record of a received message.
pub(crate) fn record(key: &AccountKey, message: &ReceivedMessage) -> InboundRecord {
    InboundRecord {
        channel: key.channel_id(),
        account: key.account_id(),
        message_id: message.message_id.clone(),
        chat: message.chat.clone(),
        thread_id: message.thread_id.clone(),
        sender: message.sender.clone(),
        sender_aliases: message.sender_aliases.clone(),
        reply_to_id: message.reply_to_id.clone(),
        text: capped_text(&message.text),
        attachments: attachments_json(key, message),
        received_ms: message.received_ms,
    }
}

/// `text` within [`MAX_INBOUND_TEXT_BYTES`], cut at a character boundary with the cut said.
fn capped_text(text: &str) -> String {
    if text.len() <= MAX_INBOUND_TEXT_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_INBOUND_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n[message cut: {} of its {} bytes were kept]",
        &text[..end],
        end,
        text.len()
    )
}

/// Attachments and mention flags as the journal keeps them: the flags decide admission, so a
/// message dispatched after a restart is judged as it would have been at once.
fn attachments_json(key: &AccountKey, message: &ReceivedMessage) -> Value {
    if message.attachments.len() > MAX_INBOUND_ATTACHMENTS {
        tracing::warn!(
            account = %key,
            attachments = message.attachments.len(),
            kept = MAX_INBOUND_ATTACHMENTS,
            "a message carried more attachments than are kept"
        );
    }
    json!({
        "attachments": message
            .attachments
            .iter()
            .take(MAX_INBOUND_ATTACHMENTS)
            .map(attachment_json)
            .collect::<Vec<_>>(),
        "mentionsBot": message.mentions_bot,
        "repliesToBot": message.replies_to_bot,
    })
}

fn attachment_json(attachment: &ReceivedAttachment) -> Value {
    json!({
        "kind": attachment.kind.as_str(),
        "fileId": attachment.file_id,
        "fileName": attachment.file_name,
        "mimeType": attachment.mime_type,
        "sizeBytes": attachment.size_bytes,
    })
}

/// What [`attachments_json`] stored, read back.
pub(crate) struct Extras {
    pub attachments: Vec<ReceivedAttachment>,
    pub mentions_bot: bool,
    pub replies_to_bot: bool,
}

pub(crate) fn extras(stored: &Value) -> Extras {
    let attachments = stored
        .get("attachments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    Some(ReceivedAttachment {
                        kind: rustyclaw_protocol::attachment::AttachmentKind::parse(
                            a.get("kind")?.as_str()?,
                        ),
                        file_id: a.get("fileId")?.as_str()?.to_owned(),
                        file_name: a.get("fileName").and_then(Value::as_str).map(str::to_owned),
                        mime_type: a.get("mimeType").and_then(Value::as_str).map(str::to_owned),
                        size_bytes: a.get("sizeBytes").and_then(Value::as_u64),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Extras {
        attachments,
        mentions_bot: stored.get("mentionsBot").and_then(Value::as_bool) == Some(true),
        replies_to_bot: stored.get("repliesToBot").and_then(Value::as_bool) == Some(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_text_is_cut_at_a_character_boundary_and_says_so() {
        let text = "é".repeat(MAX_INBOUND_TEXT_BYTES);
        let kept = capped_text(&text);
        assert!(kept.len() < text.len());
        assert!(kept.ends_with(&format!("of its {} bytes were kept]", text.len())));
        assert_eq!(capped_text("short"), "short");
    }
}
