//! Sending and editing prepared messages, and what a failed call means to the delivery queue.
//!
//! A message is sent in parse mode HTML when it has a plain fallback; if Telegram cannot parse
//! the markup ("can't parse entities") it is sent once more as the plain fallback without a
//! parse mode, as OpenClaw does, so a renderer bug costs formatting and never the reply. A reply
//! is sent with `allow_sending_without_reply`, so a deleted original does not fail the send.
//! Forum sends leave out the General topic's thread id, which Telegram refuses ("message
//! thread not found"); typing keeps it, as OpenClaw found the indicator needs it.
//!
//! Failures map to [`SendFailure`] from the client's typed errors: a rate limit with its wait,
//! network errors, timeouts and server errors as transient, everything else (blocked by the
//! user, chat not found, a malformed message) as permanent.

use rustyclaw_protocol::origin::{ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use rustyclaw_protocol::session_entry::ThreadId;

use super::account::TelegramAccount;
use super::error::TelegramError;
use super::prepare::is_photo;
use super::receive::{CALLBACK_ID_PREFIX, GENERAL_TOPIC};
use super::requests::{
    self, EditMessageText, InputFile, LinkPreviewOptions, ParseMode, ReplyParameters, SendMedia,
    SendMessage,
};
use super::types::Message;
use crate::account::{ActionError, OutboundMessage, OutboundTarget, SendFailure, Sent};

/// Where a send goes, in the Bot API's terms.
struct Address {
    chat: requests::ChatId,
    /// The forum topic for a send (General left out).
    thread: Option<i64>,
    reply_to: Option<i64>,
}

impl TelegramAccount {
    /// The account's `send`.
    pub(super) async fn send_prepared(
        &self,
        target: &OutboundTarget,
        message: &OutboundMessage,
    ) -> Result<Sent, SendFailure> {
        let address = send_address(target).map_err(SendFailure::Permanent)?;
        let sent = match message.media.as_slice() {
            [] => self.send_text(&address, message).await,
            [media] => self.send_media(&address, media, message).await,
            [_, _, ..] => {
                return Err(SendFailure::Permanent(
                    "a Telegram message carries one attachment (prepare makes one message per \
                     attachment)"
                        .to_owned(),
                ));
            }
        }
        .map_err(send_failure)?;
        self.record_sent();
        Ok(Sent {
            message_id: Some(MessageId::new(sent.message_id.to_string())),
        })
    }

    /// The account's `edit`: the text of a text message (an attachment cannot be replaced).
    pub(super) async fn edit_prepared(
        &self,
        target: &OutboundTarget,
        message_id: &MessageId,
        message: &OutboundMessage,
    ) -> Result<(), ActionError> {
        if !message.media.is_empty() {
            return Err(ActionError::Unsupported(
                "the Telegram account edits the text of a message, not its attachments".to_owned(),
            ));
        }
        let mut params = EditMessageText {
            chat_id: chat_id(&target.chat).map_err(ActionError::Failed)?,
            message_id: sent_message_id(message_id).map_err(ActionError::Failed)?,
            text: message.text.clone(),
            parse_mode: message.fallback_text.as_ref().map(|_| ParseMode::Html),
            link_preview_options: self.link_preview_options(),
            reply_markup: None,
        };
        let mut result = self.api.edit_message_text(&params).await;
        if let (Err(error), Some(plain)) = (&result, &message.fallback_text)
            && error.is_cant_parse_entities()
        {
            tracing::warn!(
                account = %self.config.account_id,
                "telegram: edit markup rejected ({error}); editing as plain text"
            );
            params.text = plain.clone();
            params.parse_mode = None;
            result = self.api.edit_message_text(&params).await;
        }
        match result {
            Ok(_) => Ok(()),
            // Editing to the same text is what the caller wanted: done.
            Err(error) if error.is_message_not_modified() => Ok(()),
            Err(error) => Err(super::actions::failed(&error)),
        }
    }

    async fn send_text(
        &self,
        address: &Address,
        message: &OutboundMessage,
    ) -> Result<Message, TelegramError> {
        let mut params = SendMessage::new(address.chat.clone(), message.text.clone());
        params.message_thread_id = address.thread;
        params.parse_mode = message.fallback_text.as_ref().map(|_| ParseMode::Html);
        params.link_preview_options = self.link_preview_options();
        params.reply_parameters = address.reply_to.map(ReplyParameters::to);
        let result = self.api.send_message(&params).await;
        match (result, &message.fallback_text) {
            (Err(error), Some(plain)) if error.is_cant_parse_entities() => {
                tracing::warn!(
                    account = %self.config.account_id,
                    "telegram: markup rejected ({error}); sending as plain text"
                );
                params.text = plain.clone();
                params.parse_mode = None;
                self.api.send_message(&params).await
            }
            (result, _) => result,
        }
    }

    async fn send_media(
        &self,
        address: &Address,
        media: &MediaRef,
        message: &OutboundMessage,
    ) -> Result<Message, TelegramError> {
        let file = match media {
            MediaRef::Path(path) => InputFile::Path(path.clone()),
            MediaRef::Url(url) => InputFile::Url(url.clone()),
        };
        let mut params = SendMedia::new(address.chat.clone(), file);
        params.message_thread_id = address.thread;
        params.reply_parameters = address.reply_to.map(ReplyParameters::to);
        if !message.text.is_empty() {
            params.caption = Some(message.text.clone());
            params.parse_mode = message.fallback_text.as_ref().map(|_| ParseMode::Html);
        }
        let photo = is_photo(media);
        let result = self.send_media_call(photo, &params).await;
        match (result, &message.fallback_text) {
            (Err(error), Some(plain)) if error.is_cant_parse_entities() => {
                tracing::warn!(
                    account = %self.config.account_id,
                    "telegram: caption markup rejected ({error}); sending it as plain text"
                );
                params.caption = Some(plain.clone());
                params.parse_mode = None;
                self.send_media_call(photo, &params).await
            }
            (result, _) => result,
        }
    }

    async fn send_media_call(
        &self,
        photo: bool,
        params: &SendMedia,
    ) -> Result<Message, TelegramError> {
        if photo {
            self.api.send_photo(params).await
        } else {
            self.api.send_document(params).await
        }
    }

    /// `linkPreview: false` turns previews off; otherwise Telegram's default is left alone.
    fn link_preview_options(&self) -> Option<LinkPreviewOptions> {
        (!self.config.link_preview).then(|| LinkPreviewOptions {
            is_disabled: true,
            ..LinkPreviewOptions::default()
        })
    }
}

/// What a failed send means to the delivery queue.
pub(super) fn send_failure(error: TelegramError) -> SendFailure {
    let message = error.to_string();
    if let Some(wait) = error.retry_after() {
        SendFailure::RetryAfter { wait, message }
    } else if error.is_transient() {
        SendFailure::Transient(message)
    } else {
        SendFailure::Permanent(message)
    }
}

fn send_address(target: &OutboundTarget) -> Result<Address, String> {
    let chat = chat_id(&target.chat)?;
    let is_group = match &chat {
        requests::ChatId::Id(id) => *id < 0,
        // Only public groups and channels are addressed by `@username`.
        requests::ChatId::Username(_) => true,
    };
    let thread =
        topic(target.thread_id.as_ref())?.filter(|thread| !(is_group && *thread == GENERAL_TOPIC));
    let reply_to = match &target.reply_to_id {
        None => None,
        // A button press has no message to quote (its id is the callback query's).
        Some(id) if id.as_str().starts_with(CALLBACK_ID_PREFIX) => None,
        Some(id) => Some(sent_message_id(id)?),
    };
    Ok(Address {
        chat,
        thread,
        reply_to,
    })
}

/// A chat as the router spells it (the decimal id, or `@username`) in the Bot API's terms.
pub(super) fn chat_id(chat: &ChatId) -> Result<requests::ChatId, String> {
    let text = chat.as_str().trim();
    if text.starts_with('@') && text.len() > 1 {
        return Ok(requests::ChatId::Username(text.to_owned()));
    }
    text.parse::<i64>()
        .map(requests::ChatId::Id)
        .map_err(|_| format!("{text:?} is not a Telegram chat id (a number or @username)"))
}

/// The forum topic of a target, all of it (typing shows in the General topic only with it).
pub(super) fn topic(thread: Option<&ThreadId>) -> Result<Option<i64>, String> {
    match thread {
        None => Ok(None),
        Some(ThreadId::Number(id)) => Ok(Some(*id)),
        Some(ThreadId::Text(text)) => text
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("{text:?} is not a Telegram topic id")),
    }
}

/// The Telegram id of a message (as [`Sent`] and the receiver spell it).
pub(super) fn sent_message_id(id: &MessageId) -> Result<i64, String> {
    id.as_str()
        .trim()
        .parse::<i64>()
        .map_err(|_| format!("{:?} is not a Telegram message id", id.as_str()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pretty_assertions::assert_eq;

    use super::*;
    use crate::telegram::ConflictReason;

    fn target(chat: &str, thread: Option<ThreadId>, reply_to: Option<&str>) -> OutboundTarget {
        OutboundTarget {
            chat: ChatId::new(chat),
            thread_id: thread,
            reply_to_id: reply_to.map(MessageId::new),
        }
    }

    #[test]
    fn the_general_topic_is_left_out_of_group_sends_only() {
        let general =
            send_address(&target("-1001", Some(ThreadId::Number(1)), Some("7"))).expect("address");
        assert_eq!(general.thread, None);
        assert_eq!(general.reply_to, Some(7));
        let topic = send_address(&target("-1001", Some(ThreadId::Text("5".into())), None))
            .expect("address");
        assert_eq!(topic.thread, Some(5));
        let dm_topic =
            send_address(&target("42", Some(ThreadId::Number(1)), None)).expect("address");
        assert_eq!(dm_topic.thread, Some(1));
    }

    #[test]
    fn bad_targets_are_refused_and_button_presses_are_not_quoted() {
        assert!(send_address(&target("general", None, None)).is_err());
        assert!(send_address(&target("1", None, Some("abc"))).is_err());
        let press = send_address(&target("@team", None, Some("cb:991"))).expect("address");
        assert_eq!(press.chat, requests::ChatId::Username("@team".into()));
        assert_eq!(press.reply_to, None);
    }

    #[test]
    fn failures_say_whether_and_when_to_retry() {
        let limited = send_failure(TelegramError::RateLimited {
            method: "sendMessage",
            retry_after: Some(Duration::from_secs(3)),
        });
        assert!(matches!(limited, SendFailure::RetryAfter { wait, .. } if wait.as_secs() == 3));
        let server = send_failure(TelegramError::Api {
            method: "sendMessage",
            error_code: 502,
            description: "Bad Gateway".into(),
        });
        assert!(matches!(server, SendFailure::Transient(_)));
        let blocked = send_failure(TelegramError::Forbidden {
            method: "sendMessage",
            description: "Forbidden: bot was blocked by the user".into(),
        });
        assert!(matches!(blocked, SendFailure::Permanent(_)));
        let conflict = send_failure(TelegramError::Conflict {
            method: "sendMessage",
            reason: ConflictReason::Other,
            description: String::new(),
        });
        assert!(matches!(conflict, SendFailure::Permanent(_)));
    }
}
