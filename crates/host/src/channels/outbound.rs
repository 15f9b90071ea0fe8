//! Messages sent on request rather than in answer to one — by the agent's `message` tool or a
//! client's `send` — and the actions on sent messages (react, edit, delete).
//!
//! A send goes straight to the platform and its message ids come back to the caller (the
//! model or the client may edit or delete them next); a failure is the caller's to see and
//! retry, as upstream's message tool reports it. Replies to chat messages take the durable
//! delivery queue instead ([`answer`](super::answer)).

use rustyclaw_channels::account::{
    ActionError, ChannelAccount, OutboundMessage, OutboundTarget, SendFailure,
};
use rustyclaw_protocol::origin::{ChatId, MessageId};
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_protocol::session_entry::ThreadId;

use super::answer::text_settings;
use super::hub::{AccountKey, Hub, lock};

/// Why an outbound request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// No running account of the channel.
    #[error("channel {channel} is not configured or not running")]
    ChannelUnavailable {
        /// The channel.
        channel: String,
    },
    /// The config has no account of the channel (and none runs).
    #[error("channel {channel} is not configured")]
    NotConfigured {
        /// The channel.
        channel: String,
    },
    /// The named account does not exist or does not run.
    #[error("account {account} of channel {channel} is not configured or not running")]
    UnknownAccount {
        /// The channel.
        channel: String,
        /// The account.
        account: String,
    },
    /// The channel cannot do it.
    #[error("{0}")]
    Unsupported(String),
    /// The platform refused it for good.
    #[error("{0}")]
    Rejected(String),
    /// The platform could not be reached, or asked to wait.
    #[error("{0}")]
    Unreachable(String),
    /// Some messages of a send went out before one failed.
    #[error("{sent} message(s) were sent before a failure: {reason}", sent = sent.len())]
    PartiallySent {
        /// The ids of those sent.
        sent: Vec<MessageId>,
        /// Why the next failed.
        reason: String,
    },
}

/// The running account of `channel` named `account`, or the channel's default account
/// (`defaultAccount`, else `default`, else its only account).
pub(crate) fn resolve_account(
    hub: &Hub,
    channel: &str,
    account: Option<&str>,
) -> Result<(AccountKey, std::sync::Arc<dyn ChannelAccount>), OutboundError> {
    let channel = channel.trim().to_lowercase();
    let accounts = lock(&hub.accounts);
    let running: Vec<&AccountKey> = accounts
        .iter()
        .filter(|(key, slot)| key.channel == channel && slot.adapter.is_some())
        .map(|(key, _)| key)
        .collect();
    let wanted = match account {
        Some(account) => account.to_owned(),
        None => {
            let configured = hub
                .config()
                .channel_accounts
                .default_accounts
                .get(&channel)
                .cloned();
            match configured {
                Some(account) => account,
                None if running.iter().any(|k| k.account == "default") => "default".to_owned(),
                None if running.len() == 1 => running[0].account.clone(),
                None if running.is_empty() => {
                    return Err(OutboundError::NotConfigured { channel });
                }
                None => "default".to_owned(),
            }
        }
    };
    let key = AccountKey::new(&channel, &wanted);
    match accounts.get(&key).and_then(|slot| slot.adapter.clone()) {
        Some(adapter) => Ok((key, adapter)),
        None if running.is_empty() => Err(OutboundError::ChannelUnavailable { channel }),
        None => Err(OutboundError::UnknownAccount {
            channel,
            account: wanted,
        }),
    }
}

/// A chat id as a caller may spell it (`telegram:123`, `tg:123`), as the channel spells it.
pub(crate) fn normalize_chat(channel: &str, chat: &str) -> ChatId {
    let chat = chat.trim();
    let lower = chat.to_lowercase();
    for prefix in [format!("{channel}:"), "tg:".to_owned()] {
        if lower.starts_with(&prefix) && (prefix != "tg:" || channel == "telegram") {
            return ChatId::new(chat[prefix.len()..].trim().to_owned());
        }
    }
    ChatId::new(chat.to_owned())
}

/// Sends `payload` to `chat` on `channel`; the ids of the messages sent.
pub(crate) async fn send(
    hub: &Hub,
    channel: &str,
    account: Option<&str>,
    chat: &str,
    thread: Option<ThreadId>,
    payload: ReplyPayload,
) -> Result<(ChatId, Vec<MessageId>), OutboundError> {
    let (key, adapter) = resolve_account(hub, channel, account)?;
    let config = hub.config();
    let Some(settings) = hub.settings(&key) else {
        return Err(OutboundError::UnknownAccount {
            channel: key.channel,
            account: key.account,
        });
    };
    let chat = normalize_chat(&key.channel, chat);
    let mut text = text_settings(&key, &config, &settings);
    // A message the agent or a client chose to send carries no reply prefix.
    text.response_prefix = None;
    let messages: Vec<OutboundMessage> = adapter.prepare(&payload, &text);
    if messages.is_empty() {
        return Err(OutboundError::Rejected(
            "nothing to send: no text and no media".to_owned(),
        ));
    }
    let mut sent = Vec::new();
    for (n, message) in messages.iter().enumerate() {
        let target = OutboundTarget {
            chat: chat.clone(),
            thread_id: thread.clone(),
            reply_to_id: (n == 0).then(|| payload.reply_to_id.clone()).flatten(),
        };
        match adapter.send(&target, message).await {
            Ok(receipt) => {
                if let Some(status) = hub.status(&key) {
                    status.sent();
                }
                sent.extend(receipt.message_id);
            }
            Err(failure) => {
                let reason = failure.to_string();
                if n > 0 {
                    return Err(OutboundError::PartiallySent { sent, reason });
                }
                return Err(match failure {
                    SendFailure::Permanent(_) => OutboundError::Rejected(reason),
                    _ => OutboundError::Unreachable(reason),
                });
            }
        }
    }
    Ok((chat, sent))
}

/// What to do to a sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    React(String),
    Edit(String),
    Delete,
}

/// Applies `action` to message `message_id` in `chat`.
pub(crate) async fn act(
    hub: &Hub,
    channel: &str,
    account: Option<&str>,
    chat: &str,
    message_id: &MessageId,
    action: Action,
) -> Result<(), OutboundError> {
    let (key, adapter) = resolve_account(hub, channel, account)?;
    let target = OutboundTarget {
        chat: normalize_chat(&key.channel, chat),
        thread_id: None,
        reply_to_id: None,
    };
    let result = match &action {
        Action::React(emoji) => adapter.react(&target, message_id, emoji).await,
        Action::Delete => adapter.delete(&target, message_id).await,
        Action::Edit(text) => {
            let config = hub.config();
            let settings = hub.settings(&key);
            let mut messages = settings
                .map(|settings| {
                    let mut text_settings = text_settings(&key, &config, &settings);
                    text_settings.response_prefix = None;
                    adapter.prepare(&ReplyPayload::text(text.clone(), None), &text_settings)
                })
                .unwrap_or_default();
            if messages.len() != 1 {
                return Err(OutboundError::Rejected(format!(
                    "the new text does not fit in one message on {}",
                    key.channel
                )));
            }
            let message = messages.remove(0);
            adapter.edit(&target, message_id, &message).await
        }
    };
    result.map_err(|error| match error {
        ActionError::Unsupported(why) => OutboundError::Unsupported(why),
        ActionError::Failed(why) => OutboundError::Rejected(why),
        error @ ActionError::RetryAfter { .. } => OutboundError::Unreachable(error.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids_lose_the_channel_prefix() {
        assert_eq!(
            normalize_chat("telegram", "telegram:-100"),
            ChatId::new("-100")
        );
        assert_eq!(normalize_chat("telegram", "TG:42"), ChatId::new("42"));
        assert_eq!(normalize_chat("irc", "tg:42"), ChatId::new("tg:42"));
        assert_eq!(normalize_chat("irc", "irc:#ops"), ChatId::new("#ops"));
        assert_eq!(normalize_chat("irc", "#ops"), ChatId::new("#ops"));
    }
}
