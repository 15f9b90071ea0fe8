//! How a received message is written in the journal: the record, and the extras the router
//! needs again when it dispatches the message (possibly after a restart) — attachments as the
//! platform described them, and whether the message mentioned the bot or replied to it.

use rustyclaw_channels::account::{ReceivedAttachment, ReceivedMessage};
use rustyclaw_store::InboundRecord;
use serde_json::{Value, json};

use super::hub::AccountKey;

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
        text: message.text.clone(),
        attachments: attachments_json(message),
        received_ms: message.received_ms,
    }
}

/// Attachments and mention flags as the journal keeps them: the flags decide admission, so a
/// message dispatched after a restart is judged as it would have been at once.
fn attachments_json(message: &ReceivedMessage) -> Value {
    json!({
        "attachments": message.attachments.iter().map(attachment_json).collect::<Vec<_>>(),
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
