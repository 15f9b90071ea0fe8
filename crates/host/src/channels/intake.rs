//! The intake of one account: every batch the account receives is stored in the journal
//! (durably) before the account may acknowledge it to its platform, then each new message is
//! dispatched, in the order received. A redelivered message is recognised by the journal and
//! not dispatched again.

use std::sync::Arc;

use rustyclaw_channels::account::{
    InboundBatch, ReceivedAttachment, ReceivedMessage, StoreOutcome,
};
use rustyclaw_store::{ChannelOffset, InboundOutcome, InboundRecord, StoredInbound};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::dispatch;
use super::hub::{AccountKey, Hub};

/// Receives `key`'s batches until its sink closes: first dispatches what a previous process
/// stored but never dispatched, then journals, acknowledges and dispatches each batch.
pub(crate) async fn run(
    hub: Arc<Hub>,
    key: AccountKey,
    mut batches: mpsc::Receiver<(InboundBatch, oneshot::Sender<StoreOutcome>)>,
) {
    match hub
        .store
        .inbound_not_dispatched(&key.channel_id(), &key.account_id())
        .await
    {
        Ok(waiting) => {
            for message in waiting {
                dispatch::dispatch(&hub, &key, message).await;
            }
        }
        Err(error) => {
            tracing::error!(account = %key, %error, "cannot read messages waiting from before the restart");
        }
    }
    while let Some((batch, acknowledge)) = batches.recv().await {
        let stored = journal(&hub, &key, &batch).await;
        let outcome = if stored.is_some() {
            StoreOutcome::Stored
        } else {
            StoreOutcome::Failed
        };
        // The platform may forget the batch from here on.
        let _ = acknowledge.send(outcome);
        for message in stored.unwrap_or_default() {
            dispatch::dispatch(&hub, &key, message).await;
        }
    }
}

/// Stores `batch`, returning the new messages (redeliveries left out); `None` when the journal
/// could not store it (the account must not acknowledge it).
async fn journal(hub: &Hub, key: &AccountKey, batch: &InboundBatch) -> Option<Vec<StoredInbound>> {
    let records: Vec<InboundRecord> = batch
        .messages
        .iter()
        .map(|message| record(key, message))
        .collect();
    let outcomes = match batch.next_offset {
        Some(next_offset) => {
            let offset = ChannelOffset {
                channel: key.channel_id(),
                account: key.account_id(),
                next_offset,
            };
            hub.store.record_inbound_batch(&records, &offset).await
        }
        None => {
            let mut outcomes = Vec::with_capacity(records.len());
            for record in &records {
                match hub.store.record_inbound(record).await {
                    Ok(outcome) => outcomes.push(outcome),
                    Err(error) => {
                        tracing::error!(account = %key, %error, "cannot store a received message");
                        return None;
                    }
                }
            }
            Ok(outcomes)
        }
    };
    let outcomes = match outcomes {
        Ok(outcomes) => outcomes,
        Err(error) => {
            tracing::error!(account = %key, %error, "cannot store received messages; the platform will send them again");
            return None;
        }
    };
    let mut fresh = Vec::new();
    for (outcome, record) in outcomes.into_iter().zip(records) {
        match outcome {
            InboundOutcome::Recorded(id) => fresh.push(StoredInbound {
                id,
                record,
                state: rustyclaw_store::InboundState::Received,
                run_id: None,
                updated_ms: rustyclaw_support::now_ms_i64(),
            }),
            InboundOutcome::Duplicate { id, state } => {
                tracing::debug!(account = %key, %id, state = state.as_str(), "a redelivered message was recognised");
            }
        }
    }
    Some(fresh)
}

/// The journal record of a received message.
fn record(key: &AccountKey, message: &ReceivedMessage) -> InboundRecord {
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
