//! Where a `message` call acts: the channel, account, chat and thread, from the call's arguments
//! and, for what they leave out, the conversation the turn answers.
//!
//! Upstream's rules (`normalizeMessageActionInput`, `resolveMessageChannelSelection`, the
//! channels' `resolveAutoThreadId`): a call without `channel` uses the turn's channel, or the only
//! channel there is; a call without `target` acts in the turn's chat; a send to that chat stays
//! in its thread or topic; the turn's account is used on its own channel. A turn from the web UI
//! (`webchat`) looking at a channel's session acts in the chat its session key names. A turn with
//! no chat (the CLI, the runtime's own) has no implicit target: the model must name one.

use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId, MessageOrigin};
use rustyclaw_protocol::session_entry::ThreadId;
use rustyclaw_protocol::{SessionKey, SessionKeyKind};

use crate::messenger::{ChannelSupport, Conversation, MessageAction};
use crate::tool::ToolError;

/// The conversation the turn answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Current {
    pub channel: ChannelId,
    pub account: Option<AccountId>,
    pub chat: ChatId,
    pub thread: Option<ThreadId>,
    /// The platform message the turn answers (what `react` defaults to).
    pub message_id: Option<MessageId>,
}

/// The conversation a turn from `origin` in session `key` answers, if it has one.
pub(super) fn current(origin: &MessageOrigin, key: &SessionKey) -> Option<Current> {
    if let Some((channel, chat)) = origin.delivery_target() {
        return Some(Current {
            channel: channel.clone(),
            account: origin.account_id.clone(),
            chat: chat.id.clone(),
            thread: origin.thread_id.clone(),
            message_id: origin.message_id.clone(),
        });
    }
    // Upstream infers the chat from the session key only for its web UI, which shows (and
    // writes into) a channel's sessions; other surfaces without a chat have none.
    if origin.channel_id() != Some("webchat") {
        return None;
    }
    let (channel, account, chat) = match key.kind() {
        SessionKeyKind::Direct {
            channel: Some(channel),
            account_id,
            peer,
        } => (channel, account_id, peer),
        SessionKeyKind::Group { channel, id }
        | SessionKeyKind::Channel { channel, id }
        | SessionKeyKind::Room { channel, id } => (channel, None, id),
        _ => return None,
    };
    let channel = ChannelId::new(channel);
    if channel.is_internal() {
        return None;
    }
    Some(Current {
        channel,
        account: account.map(AccountId::new),
        chat: ChatId::new(chat),
        thread: key.thread_id().map(thread_id),
        message_id: None,
    })
}

/// A thread id as the model or a session key gives it: Telegram topics are numbers.
pub(super) fn thread_id(id: &str) -> ThreadId {
    id.parse::<i64>()
        .map_or_else(|_| ThreadId::Text(id.to_owned()), ThreadId::Number)
}

/// What the call says about where it acts (trimmed, empty as absent).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Wanted<'a> {
    pub channel: Option<&'a str>,
    pub target: Option<&'a str>,
    pub account: Option<&'a str>,
    pub thread: Option<&'a str>,
}

/// Where a call acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Route {
    pub conversation: Conversation,
    /// Whether the chat is the turn's own (its current message applies).
    pub in_current_chat: bool,
}

/// The channel a call acts on: the one it names, else the turn's, else the only one running.
pub(super) fn channel<'c>(
    wanted: Option<&str>,
    current: Option<&Current>,
    channels: &'c [ChannelSupport],
) -> Result<&'c ChannelSupport, ToolError> {
    let find = |id: &ChannelId| channels.iter().find(|c| &c.channel == id);
    if let Some(name) = wanted {
        let id = ChannelId::new(name);
        return find(&id).ok_or_else(|| {
            ToolError::failed(format!(
                "Channel is unavailable: {id}. {}",
                available(channels)
            ))
        });
    }
    if let Some(found) = current.and_then(|c| find(&c.channel)) {
        return Ok(found);
    }
    match channels {
        [only] => Ok(only),
        [] => Err(ToolError::failed(
            "Channel is required (no configured channels detected).",
        )),
        _ => Err(ToolError::failed(format!(
            "Channel is required when multiple channels are configured: {}. Pass channel to choose one.",
            names(channels)
        ))),
    }
}

/// Where `action` acts, or why it cannot.
pub(super) fn resolve(
    action: MessageAction,
    wanted: Wanted<'_>,
    current: Option<&Current>,
    channels: &[ChannelSupport],
) -> Result<Route, ToolError> {
    let support = channel(wanted.channel, current, channels)?;
    if !support.supports(action) {
        return Err(unsupported(action.as_str(), support));
    }
    let channel = support.channel.clone();
    // The turn's conversation counts only on its own channel: its chat id means nothing on
    // another one.
    let here = current.filter(|c| c.channel == channel);
    let (chat, in_current_chat) = match (wanted.target, here) {
        (Some(target), here) => (
            ChatId::new(target),
            here.is_some_and(|c| c.chat.as_str() == target),
        ),
        (None, Some(here)) => (here.chat.clone(), true),
        (None, None) => {
            return Err(ToolError::failed(format!(
                "Action {action} requires a target. This turn has no chat on {channel} to default to: give target (a chat id or name on {channel})."
            )));
        }
    };
    let account = match (wanted.account, here) {
        (Some(account), _) => Some(AccountId::new(account)),
        (None, Some(here)) => here.account.clone(),
        (None, None) => None,
    };
    let thread = match (action, wanted.thread) {
        (MessageAction::Send, Some(thread)) => Some(thread_id(thread)),
        (MessageAction::Send, None) if in_current_chat => here.and_then(|c| c.thread.clone()),
        _ => None,
    };
    Ok(Route {
        conversation: Conversation {
            channel,
            account,
            chat,
            thread,
        },
        in_current_chat,
    })
}

/// Upstream's refusal of an action a channel does not have, with what it does have.
pub(super) fn unsupported(action: &str, support: &ChannelSupport) -> ToolError {
    let mut actions: Vec<&str> = support.actions.iter().map(|a| a.as_str()).collect();
    actions.sort_unstable();
    let offered = if actions.is_empty() {
        "none".to_owned()
    } else {
        actions.join(", ")
    };
    ToolError::failed(format!(
        "Message action {action} not supported for channel {}. Supported there: {offered}.",
        support.channel
    ))
}

fn names(channels: &[ChannelSupport]) -> String {
    channels
        .iter()
        .map(|c| c.channel.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn available(channels: &[ChannelSupport]) -> String {
    if channels.is_empty() {
        "No channels are running.".to_owned()
    } else {
        format!("Available channels: {}.", names(channels))
    }
}
