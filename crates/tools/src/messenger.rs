//! The contract between the `message` tool and the chat channels: what the tool asks a channel
//! to do, and what comes back.
//!
//! The channels run in the host, beside the agent runtime, so the tool cannot own them; the host
//! implements [`Messenger`] over the channels it runs and hands it to the tools through
//! [`crate::ToolServices::with_messenger`]. The types here are plain data in the protocol's
//! typed ids (no channel crate, no transport), so either side can change its internals freely.
//!
//! A channel declares what it can do ([`ChannelSupport`]), and the tool refuses an action a
//! channel does not declare before anything is sent, with upstream's wording; anything finer a
//! channel finds it cannot do at call time (a local file on a channel without uploads) is an
//! explicit [`MessengerError::Unsupported`], never a silent success.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId};
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_protocol::session_entry::ThreadId;

/// The future a [`Messenger`] call returns.
pub type MessengerFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, MessengerError>> + Send + 'a>>;

/// Sends into the chat channels the host runs. Object-safe: the tools hold it as
/// `Arc<dyn Messenger>`.
pub trait Messenger: Send + Sync + 'static {
    /// The channels messages can go to now, each with the actions it supports. Called for every
    /// turn's tool schema and for every call, so it should be cheap (a snapshot of what runs).
    fn channels(&self) -> Vec<ChannelSupport>;

    /// Posts `request.payload` in `request.to`. Long text may become several platform
    /// messages; the receipt lists them in order.
    fn send(&self, request: SendRequest) -> MessengerFuture<'_, SendReceipt>;

    /// Adds or removes the bot's reaction on a message.
    fn react(&self, request: ReactRequest) -> MessengerFuture<'_, ()>;

    /// Replaces the text of a message the bot sent.
    fn edit(&self, request: EditRequest) -> MessengerFuture<'_, ()>;

    /// Deletes a message.
    fn delete(&self, request: DeleteRequest) -> MessengerFuture<'_, ()>;
}

/// An action of the `message` tool that rustyclaw implements (upstream's names). Ordered by
/// name, as upstream lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageAction {
    /// Delete a message.
    Delete,
    /// Change a message's text.
    Edit,
    /// Add or remove a reaction.
    React,
    /// Post text and/or media.
    Send,
}

impl MessageAction {
    /// Every action, in upstream's (alphabetical) order.
    pub const ALL: [MessageAction; 4] = [
        MessageAction::Delete,
        MessageAction::Edit,
        MessageAction::React,
        MessageAction::Send,
    ];

    /// The action's name in the tool's `action` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageAction::Send => "send",
            MessageAction::React => "react",
            MessageAction::Edit => "edit",
            MessageAction::Delete => "delete",
        }
    }

    /// The action named `name`, exactly as the schema spells it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for MessageAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel and what it can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSupport {
    /// The channel (`telegram`, `irc`).
    pub channel: ChannelId,
    /// The actions it supports; an action not listed is refused before the channel is asked.
    pub actions: Vec<MessageAction>,
}

impl ChannelSupport {
    /// Whether the channel supports `action`.
    pub fn supports(&self, action: MessageAction) -> bool {
        self.actions.contains(&action)
    }
}

/// A chat on a channel: where a message goes, or where the message acted on is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The channel.
    pub channel: ChannelId,
    /// The channel account (bot) to act as; `None` is the channel's default account.
    pub account: Option<AccountId>,
    /// The chat, in the channel's spelling (a Telegram chat id or `@username`, an IRC `#channel`
    /// or nick); the channel resolves and validates it.
    pub chat: ChatId,
    /// For a send, the thread or forum topic to post in; `None` posts at the top level. Always
    /// `None` for the other actions, which address a message by its id.
    pub thread: Option<ThreadId>,
}

/// Post a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// Where.
    pub to: Conversation,
    /// What: text, media (URLs, or files the tool resolved inside the workspace), and the
    /// platform message to reply to.
    pub payload: ReplyPayload,
}

/// What a send delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The chat as the platform knows it (a `@username` resolved to its id).
    pub chat: ChatId,
    /// The platform ids of the messages posted, in order; empty on platforms without message ids
    /// (IRC).
    pub message_ids: Vec<MessageId>,
}

/// What a reaction request does (upstream's `emoji` and `remove` semantics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// Add this emoji.
    Add(String),
    /// Remove the bot's reaction with this emoji.
    Remove(String),
    /// Remove every reaction of the bot on the message (`emoji: ""`).
    ClearOwn,
}

/// React to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactRequest {
    /// The chat the message is in.
    pub conversation: Conversation,
    /// The message.
    pub message_id: MessageId,
    /// Add or remove.
    pub reaction: Reaction,
}

/// Edit a message's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditRequest {
    /// The chat the message is in.
    pub conversation: Conversation,
    /// The message.
    pub message_id: MessageId,
    /// The new text.
    pub text: String,
}

/// Delete a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRequest {
    /// The chat the message is in.
    pub conversation: Conversation,
    /// The message.
    pub message_id: MessageId,
}

/// Why a channel did not do what was asked. Every variant reaches the model as an error result
/// it can act on (pick another target, give up); none aborts the run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessengerError {
    /// The channel is not running here (not configured, disabled, or stopped).
    #[error("Channel is unavailable: {channel}")]
    ChannelUnavailable {
        /// The channel asked for.
        channel: ChannelId,
    },
    /// The channel has no account of this id.
    #[error("Unknown account {account} for channel {channel}")]
    UnknownAccount {
        /// The channel.
        channel: ChannelId,
        /// The account asked for.
        account: AccountId,
    },
    /// The target is not something this channel can address.
    #[error("Invalid target {target} for channel {channel}: {reason}")]
    InvalidTarget {
        /// The channel.
        channel: ChannelId,
        /// The target as given.
        target: ChatId,
        /// Why, for the model.
        reason: String,
    },
    /// Part of the request is beyond what the channel can do (a local file where the channel
    /// takes only URLs, a reaction emoji the platform does not offer).
    #[error("{what} is not supported on channel {channel}")]
    Unsupported {
        /// The channel.
        channel: ChannelId,
        /// What cannot be done, as a noun phrase (`sending local files`).
        what: String,
    },
    /// The platform refused the request (message not found, not the bot's message, the bot was
    /// blocked or removed from the chat).
    #[error("{channel} refused the request: {reason}")]
    Rejected {
        /// The channel.
        channel: ChannelId,
        /// The platform's explanation.
        reason: String,
    },
    /// The platform could not be reached or kept failing; nothing was delivered.
    #[error("{channel} could not be reached: {reason}")]
    Unreachable {
        /// The channel.
        channel: ChannelId,
        /// What failed.
        reason: String,
    },
    /// A send split into several messages failed after some of them were posted; the model
    /// should not send those again.
    #[error("{channel} delivered {} message(s) before failing: {reason}", sent.len())]
    PartiallySent {
        /// The channel.
        channel: ChannelId,
        /// The messages that were posted, in order.
        sent: Vec<MessageId>,
        /// What failed.
        reason: String,
    },
}
