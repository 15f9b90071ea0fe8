//! Where a message came from: the channel, the chat and the platform message, as the adapter
//! that received it knows them.
//!
//! The origin rides with the message through the run to its outcome, so whoever delivers the
//! reply knows the chat to answer in and the message to thread it under, and the session's lane
//! records it on the session entry in OpenClaw's delivery fields (the agent's `route`), where cron and
//! heartbeat delivery ("deliver to last") find it later. Ids are opaque strings in the
//! platform's own spelling; only the channel id is normalized (lowercase), as upstream's
//! `normalizeMessageChannel` does.

use std::fmt;

use crate::session_entry::{ChatType, ThreadId};

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id! {
    /// A channel id: `telegram`, `discord`, `slack`, …, or a surface that is not a chat channel
    /// (`webchat`, `cli`, `cron`, …).
    ChannelId
}

string_id! {
    /// An account of a channel (one bot of several on the same platform).
    AccountId
}

string_id! {
    /// The address replies are sent to on a channel, in that channel's spelling (upstream's
    /// `OriginatingTo`, stored as `lastTo`/`deliveryContext.to`).
    ChatId
}

string_id! {
    /// A user on a channel (the sender of a message).
    PeerId
}

string_id! {
    /// A message on a platform (what a reply is threaded under).
    MessageId
}

/// Upstream's internal web surface (`INTERNAL_MESSAGE_CHANNEL`): a session never gets it as a
/// delivery route.
const WEBCHAT: &str = "webchat";

/// Upstream's channels that run turns but never take delivery (`INTERNAL_NON_DELIVERY_CHANNELS`).
const INTERNAL_NON_DELIVERY: [&str; 5] = ["heartbeat", "cron", "webhook", "voice", "sessions_send"];

impl ChannelId {
    /// A channel id, trimmed and lowercased.
    pub fn new(id: &str) -> Self {
        Self(id.trim().to_lowercase())
    }

    /// Whether replies can never be delivered here: `webchat` and upstream's internal
    /// channels (`heartbeat`, `cron`, `webhook`, `voice`, `sessions_send`).
    pub fn is_internal(&self) -> bool {
        self.0 == WEBCHAT || INTERNAL_NON_DELIVERY.contains(&self.0.as_str())
    }
}

impl AccountId {
    /// An account id as the channel spells it.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl ChatId {
    /// A chat address as the channel spells it.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl PeerId {
    /// A user id as the channel spells it.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl MessageId {
    /// A platform message id as the channel spells it.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

/// The chat a message was posted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    /// One-to-one, group or channel (upstream's `chatType`; `dm` is `direct`). A thread or forum
    /// topic is not a kind of chat: it is [`MessageOrigin::thread_id`] within one.
    pub kind: ChatType,
    /// Where replies go.
    pub id: ChatId,
}

/// Who sent a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The sender's id on the platform.
    pub id: PeerId,
    /// The sender's display name, when the platform gives one.
    pub name: Option<String>,
}

/// Where a message came from. The default is the runtime's own origin (no channel): a message
/// the gateway or the runtime submits on nobody's behalf (`sessions.compact`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageOrigin {
    /// The channel or surface; `None` for the runtime's own messages.
    pub channel: Option<ChannelId>,
    /// The channel account that received it.
    pub account_id: Option<AccountId>,
    /// The chat; `None` on surfaces without one (`webchat`, `cli`).
    pub chat: Option<Chat>,
    /// The thread or forum topic within the chat.
    pub thread_id: Option<ThreadId>,
    /// Who sent it.
    pub sender: Option<Sender>,
    /// The platform's id of this message: a reply to it is threaded under it.
    pub message_id: Option<MessageId>,
    /// The message this one answers on the platform (the user replied to or quoted it).
    pub reply_to_id: Option<MessageId>,
}

impl MessageOrigin {
    /// A message from a surface that knows nothing but its name (`webchat`, `cli`).
    pub fn from_channel(channel: ChannelId) -> Self {
        Self {
            channel: Some(channel),
            ..Self::default()
        }
    }

    /// The channel id, for lookups keyed by channel (`messages.queue.byChannel`).
    pub fn channel_id(&self) -> Option<&str> {
        self.channel.as_ref().map(ChannelId::as_str)
    }

    /// The channel and chat a reply can be delivered to: `None` for internal surfaces and for
    /// origins without a chat, which leave a session's delivery route alone.
    pub fn delivery_target(&self) -> Option<(&ChannelId, &Chat)> {
        let channel = self.channel.as_ref().filter(|c| !c.is_internal())?;
        Some((channel, self.chat.as_ref()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(id: &str) -> Chat {
        Chat {
            kind: ChatType::Direct,
            id: ChatId::new(id),
        }
    }

    #[test]
    fn channel_ids_are_lowercased_and_internal_ones_known() {
        assert_eq!(ChannelId::new(" Telegram ").as_str(), "telegram");
        for internal in ["webchat", "WebChat", "cron", "heartbeat", "sessions_send"] {
            assert!(ChannelId::new(internal).is_internal(), "{internal}");
        }
        assert!(!ChannelId::new("telegram").is_internal());
        assert!(!ChannelId::new("cli").is_internal());
    }

    #[test]
    fn only_a_deliverable_channel_with_a_chat_is_a_delivery_target() {
        let telegram = MessageOrigin {
            chat: Some(chat("123")),
            ..MessageOrigin::from_channel(ChannelId::new("telegram"))
        };
        assert_eq!(
            telegram
                .delivery_target()
                .map(|(c, chat)| (c.as_str(), chat.id.as_str())),
            Some(("telegram", "123"))
        );
        let webchat = MessageOrigin {
            chat: Some(chat("123")),
            ..MessageOrigin::from_channel(ChannelId::new("webchat"))
        };
        assert_eq!(webchat.delivery_target(), None);
        let cli = MessageOrigin::from_channel(ChannelId::new("cli"));
        assert_eq!(cli.delivery_target(), None);
        assert_eq!(MessageOrigin::default().delivery_target(), None);
    }
}
