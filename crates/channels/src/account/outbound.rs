//! What an account sends, and how a send fails.

use std::time::Duration;

use rustyclaw_protocol::origin::{ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use rustyclaw_protocol::session_entry::ThreadId;

/// Where a message goes within an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundTarget {
    /// The chat (Telegram chat id, IRC channel or nick).
    pub chat: ChatId,
    /// The thread or forum topic within it.
    pub thread_id: Option<ThreadId>,
    /// The message it answers (quoted or threaded under where the platform can).
    pub reply_to_id: Option<MessageId>,
}

/// One platform message, as [`ChannelAccount::prepare`](super::ChannelAccount::prepare) made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    /// The text in the platform's markup (Telegram HTML, IRC formatting); a caption when there
    /// is media; may be empty for media alone.
    pub text: String,
    /// The same text without markup, sent when the platform rejects the markup of `text`;
    /// `None` when `text` is plain already.
    pub fallback_text: Option<String>,
    /// Attachments, in order.
    pub media: Vec<MediaRef>,
}

impl OutboundMessage {
    /// A plain-text message.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            fallback_text: None,
            media: Vec::new(),
        }
    }
}

/// A message the platform accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// Its id on the platform, when the platform gives one (IRC does not).
    pub message_id: Option<MessageId>,
}

/// Why a send failed, and whether to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// The platform asked to wait (a rate limit): try again after `wait`.
    #[error("rate limited for {}s: {message}", wait.as_secs())]
    RetryAfter {
        /// How long the platform asked to wait.
        wait: Duration,
        /// The platform's words.
        message: String,
    },
    /// A network error, a timeout, a server error, or the account is not connected: try again
    /// with backoff.
    #[error("{0}")]
    Transient(String),
    /// The platform refused the message for good (the bot was blocked, the chat is gone, the
    /// message is malformed): do not try again.
    #[error("{0}")]
    Permanent(String),
}

/// Why an edit, delete, reaction or typing call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The account or platform cannot do it.
    #[error("{0}")]
    Unsupported(String),
    /// The platform asked to wait (a rate limit): try again after `wait`.
    #[error("rate limited for {}s: {message}", wait.as_secs())]
    RetryAfter {
        /// How long the platform asked to wait.
        wait: Duration,
        /// The platform's words.
        message: String,
    },
    /// The platform refused or the call failed.
    #[error("{0}")]
    Failed(String),
}
