//! Telegram updates as the router takes them ([`ReceivedMessage`]).
//!
//! Pure, so every rule is tested on JSON fixtures. The rules follow OpenClaw's Telegram
//! channel: private chats are direct chats, groups and supergroups are groups, channel posts are
//! channels, each keyed by the chat's numeric id; a forum's topic is the message's thread (the
//! General topic, which has no `message_thread_id`, is thread 1, as OpenClaw numbers it); the
//! sender is the user's numeric id (OpenClaw does not match `@username` in allowlists, so no
//! aliases); the bot is mentioned by an `@username` or text-mention entity or a
//! `/command@username`. A button press (a callback query with data) becomes a message whose
//! text is the button's data. The bot's own messages, edits, and messages with neither text nor
//! an attachment (service messages, stickers, polls) give nothing.

use rustyclaw_protocol::origin::{AccountId, Chat, ChatId, MessageId, PeerId, Sender};
use rustyclaw_protocol::session_entry::{ChatType, ThreadId};

use super::types::{
    self, AllowedUpdate, CallbackQuery, EntityKind, Message, MessageEntity, Update, UpdateKind,
};
use crate::account::{AttachmentKind, InboundBatch, ReceivedAttachment, ReceivedMessage};

/// The updates asked for, by polling and by webhook alike: messages, channel posts and button
/// presses. Edits and the bot's own membership changes are not turned into messages, so they
/// are not fetched.
pub(crate) const ALLOWED_UPDATES: [AllowedUpdate; 3] = [
    AllowedUpdate::Message,
    AllowedUpdate::ChannelPost,
    AllowedUpdate::CallbackQuery,
];

/// The thread id OpenClaw gives a forum's General topic (Telegram sends none for it).
pub(crate) const GENERAL_TOPIC: i64 = 1;

/// What prefixes the message id of a button press: `cb:<callback query id>`. A press has no
/// message of its own, and the router keys messages by chat and id, so each press needs an id
/// of its own that a redelivery of the same update repeats.
pub(crate) const CALLBACK_ID_PREFIX: &str = "cb:";

/// Who the bot is, as `getMe` said: what mentions and replies are matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BotIdentity {
    /// The bot's user id.
    pub id: i64,
    /// Its `@username`, without the `@`.
    pub username: String,
}

/// The batch `updates` bring the router: their messages, in order, with `next_offset` (the
/// polling offset that confirms them; `None` for a webhook delivery, which has none). Updates
/// that do not parse are logged and left out.
pub(crate) fn batch(
    account: &AccountId,
    updates: &[Update],
    bot: &BotIdentity,
    received_ms: i64,
    next_offset: Option<i64>,
) -> InboundBatch {
    let messages = updates
        .iter()
        .filter_map(|update| {
            if let UpdateKind::Malformed { detail } = &update.kind {
                tracing::warn!(
                    %account,
                    update_id = update.update_id,
                    "telegram: skipping an update that does not parse: {detail}"
                );
            }
            received_message(update, bot, received_ms)
        })
        .collect();
    InboundBatch {
        messages,
        next_offset,
    }
}

/// The message `update` brings the router, if any.
pub(crate) fn received_message(
    update: &Update,
    bot: &BotIdentity,
    received_ms: i64,
) -> Option<ReceivedMessage> {
    match &update.kind {
        UpdateKind::Message(message) | UpdateKind::ChannelPost(message) => {
            from_message(message, bot, received_ms)
        }
        UpdateKind::CallbackQuery(query) => from_callback(query, received_ms),
        // Edits are not requested (`allowed_updates`); should an earlier setting still
        // deliver them, they are confirmed and dropped, as a new turn per edit would be wrong.
        UpdateKind::EditedMessage(_)
        | UpdateKind::EditedChannelPost(_)
        | UpdateKind::Unsupported { .. }
        | UpdateKind::Malformed { .. } => None,
    }
}

fn from_message(message: &Message, bot: &BotIdentity, received_ms: i64) -> Option<ReceivedMessage> {
    if message.from.as_ref().is_some_and(|from| from.id == bot.id) {
        return None;
    }
    let chat = chat(&message.chat)?;
    let (text, entities) = match (&message.text, &message.caption) {
        (Some(text), _) => (text.as_str(), message.entities.as_slice()),
        (None, Some(caption)) => (caption.as_str(), message.caption_entities.as_slice()),
        (None, None) => ("", [].as_slice()),
    };
    let attachments = attachments(message);
    if text.is_empty() && attachments.is_empty() {
        return None;
    }
    let reply = message
        .reply_to_message
        .as_deref()
        .filter(|reply| !is_topic_root(message, reply));
    Some(ReceivedMessage {
        message_id: MessageId::new(message.message_id.to_string()),
        chat,
        thread_id: thread_id(message),
        sender: sender(message),
        sender_aliases: Vec::new(),
        reply_to_id: reply.map(|reply| MessageId::new(reply.message_id.to_string())),
        text: text.to_owned(),
        attachments,
        mentions_bot: mentions_bot(text, entities, bot),
        replies_to_bot: reply
            .and_then(|reply| reply.from.as_ref())
            .is_some_and(|from| from.id == bot.id),
        received_ms,
    })
}

fn from_callback(query: &CallbackQuery, received_ms: i64) -> Option<ReceivedMessage> {
    let data = query.data.as_deref().filter(|data| !data.is_empty())?;
    // A button of an inline-mode message has no chat to answer in.
    let message = query.message.as_ref()?;
    Some(ReceivedMessage {
        message_id: MessageId::new(format!("{CALLBACK_ID_PREFIX}{}", query.id)),
        chat: chat(&message.chat)?,
        thread_id: thread_id(message),
        sender: Some(user_sender(&query.from)),
        sender_aliases: Vec::new(),
        reply_to_id: Some(MessageId::new(message.message_id.to_string())),
        text: data.to_owned(),
        attachments: Vec::new(),
        mentions_bot: false,
        // Only the bot's own messages carry its inline keyboards, so a press always answers
        // the bot (even when Telegram sends the message without its sender, as for old ones).
        replies_to_bot: true,
        received_ms,
    })
}

fn chat(chat: &types::Chat) -> Option<Chat> {
    let kind = match chat.kind {
        types::ChatType::Private => ChatType::Direct,
        types::ChatType::Group | types::ChatType::Supergroup => ChatType::Group,
        types::ChatType::Channel => ChatType::Channel,
        types::ChatType::Other => {
            tracing::debug!(
                chat_id = chat.id,
                "telegram: skipping a chat of an unknown kind"
            );
            return None;
        }
    };
    Some(Chat {
        kind,
        id: ChatId::new(chat.id.to_string()),
    })
}

/// The forum topic (General is [`GENERAL_TOPIC`]), or the topic of a private chat with topics.
fn thread_id(message: &Message) -> Option<ThreadId> {
    let topic = message
        .message_thread_id
        .filter(|_| message.is_topic_message);
    match message.chat.kind {
        types::ChatType::Supergroup if message.chat.is_forum => {
            Some(ThreadId::Number(topic.unwrap_or(GENERAL_TOPIC)))
        }
        types::ChatType::Private => topic.map(ThreadId::Number),
        types::ChatType::Supergroup
        | types::ChatType::Group
        | types::ChatType::Channel
        | types::ChatType::Other => None,
    }
}

/// Telegram gives a topic message that replies to nothing the topic's creation message as
/// `reply_to_message`; that is where it was posted, not what it answers.
fn is_topic_root(message: &Message, reply: &Message) -> bool {
    message.is_topic_message && message.message_thread_id == Some(reply.message_id)
}

fn sender(message: &Message) -> Option<Sender> {
    if let Some(from) = &message.from {
        return Some(user_sender(from));
    }
    // Channel posts have no user: the channel speaks.
    message.sender_chat.as_ref().map(|chat| Sender {
        id: PeerId::new(chat.id.to_string()),
        name: chat.title.clone().or_else(|| chat.username.clone()),
    })
}

fn user_sender(user: &types::User) -> Sender {
    let full_name = match &user.last_name {
        Some(last) if !last.is_empty() => format!("{} {last}", user.first_name),
        _ => user.first_name.clone(),
    };
    let name = Some(full_name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| user.username.clone());
    Sender {
        id: PeerId::new(user.id.to_string()),
        name,
    }
}

fn attachments(message: &Message) -> Vec<ReceivedAttachment> {
    let mut attachments = Vec::new();
    if let Some(photo) = message.largest_photo() {
        attachments.push(ReceivedAttachment {
            kind: AttachmentKind::Image,
            file_id: photo.file_id.clone(),
            file_name: None,
            // Telegram re-encodes every photo as JPEG.
            mime_type: Some("image/jpeg".to_owned()),
            size_bytes: photo.file_size,
        });
    }
    if let Some(document) = &message.document {
        let is_image = document
            .mime_type
            .as_deref()
            .is_some_and(|mime| mime.to_ascii_lowercase().starts_with("image/"));
        attachments.push(ReceivedAttachment {
            kind: if is_image {
                AttachmentKind::Image
            } else {
                AttachmentKind::File
            },
            file_id: document.file_id.clone(),
            file_name: document.file_name.clone(),
            mime_type: document.mime_type.clone(),
            size_bytes: document.file_size,
        });
    }
    let media = [
        (&message.voice, AttachmentKind::Voice),
        (&message.audio, AttachmentKind::Audio),
        (&message.video, AttachmentKind::Video),
    ];
    for (file, kind) in media {
        if let Some(file) = file {
            attachments.push(ReceivedAttachment {
                kind,
                file_id: file.file_id.clone(),
                file_name: file.file_name.clone(),
                mime_type: file.mime_type.clone(),
                size_bytes: file.file_size,
            });
        }
    }
    attachments
}

/// Whether an entity of `text` addresses the bot: `@username` (any case), a text mention of
/// its user, or `/command@username`.
fn mentions_bot(text: &str, entities: &[MessageEntity], bot: &BotIdentity) -> bool {
    if entities.is_empty() {
        return false;
    }
    let units: Vec<u16> = text.encode_utf16().collect();
    let is_bot_name =
        |name: &str| !bot.username.is_empty() && name.eq_ignore_ascii_case(&bot.username);
    entities.iter().any(|entity| match entity.kind {
        EntityKind::Mention => entity_text(&units, entity)
            .is_some_and(|mention| mention.strip_prefix('@').is_some_and(is_bot_name)),
        EntityKind::TextMention => entity.user.as_ref().is_some_and(|user| user.id == bot.id),
        EntityKind::BotCommand => entity_text(&units, entity).is_some_and(|command| {
            command
                .split_once('@')
                .is_some_and(|(_, name)| is_bot_name(name))
        }),
        EntityKind::Hashtag
        | EntityKind::Url
        | EntityKind::Bold
        | EntityKind::Italic
        | EntityKind::Code
        | EntityKind::Pre
        | EntityKind::TextLink
        | EntityKind::Other => false,
    })
}

/// The text an entity covers (its offsets are UTF-16 units); `None` when out of range.
fn entity_text(units: &[u16], entity: &MessageEntity) -> Option<String> {
    let end = entity.offset.checked_add(entity.length)?;
    units.get(entity.offset..end).map(String::from_utf16_lossy)
}

#[cfg(test)]
#[path = "receive_tests.rs"]
mod tests;
