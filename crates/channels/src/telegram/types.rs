//! What Telegram sends: updates and the objects inside them, as the Bot API documents them
//! (only the fields a channel uses; unknown fields are ignored, so a newer API still parses).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One incoming update (`getUpdates` result element or webhook body).
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The update's id; confirm it by polling with `offset = update_id + 1`.
    pub update_id: i64,
    /// What happened.
    pub kind: UpdateKind,
}

/// The one optional field of an update that is present.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UpdateKind {
    /// A new message.
    Message(Box<Message>),
    /// An edit of an earlier message.
    EditedMessage(Box<Message>),
    /// A new channel post.
    ChannelPost(Box<Message>),
    /// An edit of a channel post.
    EditedChannelPost(Box<Message>),
    /// A press on an inline keyboard button.
    CallbackQuery(Box<CallbackQuery>),
    /// A kind this client does not model (polls, reactions, chat members, …).
    Unsupported {
        /// The update's field name, e.g. `"poll"`.
        field: String,
    },
    /// An update whose payload did not parse. It still has an id, so polling can confirm it
    /// and move on instead of fetching the same batch forever.
    Malformed {
        /// Why it did not parse.
        detail: String,
    },
}

impl Update {
    /// Parses one element of a `getUpdates` result (or a webhook body). Never fails once the
    /// id is known: a payload this client cannot read becomes [`UpdateKind::Malformed`].
    pub fn from_value(value: Value) -> Result<Self, NoUpdateId> {
        let Value::Object(mut fields) = value else {
            return Err(NoUpdateId);
        };
        let update_id = fields
            .remove("update_id")
            .and_then(|id| id.as_i64())
            .ok_or(NoUpdateId)?;
        // Telegram sends exactly one payload field; prefer a known one should there be more.
        let known = fields
            .keys()
            .position(|field| KNOWN_KINDS.contains(&field.as_str()));
        let kind = match fields.into_iter().nth(known.unwrap_or(0)) {
            None => UpdateKind::Unsupported {
                field: String::new(),
            },
            Some((field, payload)) => parse_kind(field, payload),
        };
        Ok(Self { update_id, kind })
    }

    /// The message of a message-like update (new or edited message or channel post).
    pub fn message(&self) -> Option<&Message> {
        match &self.kind {
            UpdateKind::Message(message)
            | UpdateKind::EditedMessage(message)
            | UpdateKind::ChannelPost(message)
            | UpdateKind::EditedChannelPost(message) => Some(message),
            UpdateKind::CallbackQuery(_)
            | UpdateKind::Unsupported { .. }
            | UpdateKind::Malformed { .. } => None,
        }
    }
}

/// An update that is not an object with an integer `update_id`: it cannot even be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an update is not a JSON object with an integer update_id")]
pub struct NoUpdateId;

const KNOWN_KINDS: [&str; 5] = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
];

fn parse_kind(field: String, payload: Value) -> UpdateKind {
    fn message(payload: Value) -> Result<Box<Message>, serde_json::Error> {
        serde_json::from_value(payload).map(Box::new)
    }
    let parsed = match field.as_str() {
        "message" => message(payload).map(UpdateKind::Message),
        "edited_message" => message(payload).map(UpdateKind::EditedMessage),
        "channel_post" => message(payload).map(UpdateKind::ChannelPost),
        "edited_channel_post" => message(payload).map(UpdateKind::EditedChannelPost),
        "callback_query" => serde_json::from_value(payload)
            .map(Box::new)
            .map(UpdateKind::CallbackQuery),
        _ => return UpdateKind::Unsupported { field },
    };
    parsed.unwrap_or_else(|error| UpdateKind::Malformed {
        detail: format!("{field}: {error}"),
    })
}

/// The update kinds `getUpdates` and `setWebhook` can be limited to (`allowed_updates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AllowedUpdate {
    /// New messages.
    Message,
    /// Edited messages.
    EditedMessage,
    /// Channel posts.
    ChannelPost,
    /// Edited channel posts.
    EditedChannelPost,
    /// Inline keyboard presses.
    CallbackQuery,
    /// Reactions to messages (delivered only when listed explicitly).
    MessageReaction,
}

/// A Telegram user or bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: i64,
    /// Whether this is a bot.
    #[serde(default)]
    pub is_bot: bool,
    /// First name.
    pub first_name: String,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// `@username` without the `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// IETF language tag of the user's client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
}

/// The kind of a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatType {
    /// A direct conversation with one user.
    Private,
    /// A basic group.
    Group,
    /// A supergroup (possibly a forum with topics).
    Supergroup,
    /// A broadcast channel.
    Channel,
    /// A kind newer than this client.
    #[serde(other)]
    Other,
}

/// A chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    /// The chat's id (negative for groups and channels).
    pub id: i64,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: ChatType,
    /// Title of a group or channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `@username` of the chat, without the `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// First name of the other party of a private chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Whether the supergroup has topics.
    #[serde(default)]
    pub is_forum: bool,
}

/// A message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Message {
    /// The message's id, unique within its chat.
    pub message_id: i64,
    /// The forum topic (or reply thread) it belongs to.
    #[serde(default)]
    pub message_thread_id: Option<i64>,
    /// Whether it was sent in a forum topic.
    #[serde(default)]
    pub is_topic_message: bool,
    /// The sender; absent in channels.
    #[serde(default)]
    pub from: Option<User>,
    /// The chat that sent it on behalf of itself (anonymous admins, channels).
    #[serde(default)]
    pub sender_chat: Option<Chat>,
    /// Unix time in seconds.
    pub date: i64,
    /// The chat it belongs to.
    pub chat: Chat,
    /// The message it replies to.
    #[serde(default)]
    pub reply_to_message: Option<Box<Message>>,
    /// Text of a text message.
    #[serde(default)]
    pub text: Option<String>,
    /// Entities in `text` (offsets in UTF-16 code units).
    #[serde(default)]
    pub entities: Vec<MessageEntity>,
    /// Caption of a media message.
    #[serde(default)]
    pub caption: Option<String>,
    /// Entities in `caption`.
    #[serde(default)]
    pub caption_entities: Vec<MessageEntity>,
    /// A photo in its available sizes, smallest first.
    #[serde(default)]
    pub photo: Vec<PhotoSize>,
    /// A general file.
    #[serde(default)]
    pub document: Option<Document>,
    /// A voice note (OGG/Opus recorded in the app).
    #[serde(default)]
    pub voice: Option<MediaFile>,
    /// An audio file the app plays as music.
    #[serde(default)]
    pub audio: Option<MediaFile>,
    /// A video.
    #[serde(default)]
    pub video: Option<MediaFile>,
    /// Id shared by the messages of one album.
    #[serde(default)]
    pub media_group_id: Option<String>,
}

impl Message {
    /// The largest size of the photo, if the message has one.
    pub fn largest_photo(&self) -> Option<&PhotoSize> {
        self.photo.iter().max_by_key(|size| {
            (
                size.file_size.unwrap_or(0),
                u64::from(size.width) * u64::from(size.height),
            )
        })
    }
}

/// One size of a photo.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PhotoSize {
    /// Id to download or resend the file.
    pub file_id: String,
    /// Stable id of the file across bots (cannot download).
    pub file_unique_id: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size in bytes.
    #[serde(default)]
    pub file_size: Option<u64>,
}

/// A general file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Document {
    /// Id to download or resend the file.
    pub file_id: String,
    /// Stable id of the file across bots.
    pub file_unique_id: String,
    /// The name the sender gave it.
    #[serde(default)]
    pub file_name: Option<String>,
    /// Its MIME type as the sender declared it.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub file_size: Option<u64>,
}

/// A voice note, audio file or video: the fields of the Bot API's `Voice`, `Audio` and `Video`
/// that a channel uses (their dimensions, durations and thumbnails are left out).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MediaFile {
    /// Id to download or resend the file.
    pub file_id: String,
    /// Stable id of the file across bots.
    pub file_unique_id: String,
    /// The name the sender gave it (audio and video only).
    #[serde(default)]
    pub file_name: Option<String>,
    /// Its MIME type as the sender declared it.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub file_size: Option<u64>,
}

/// A special span of a message's text (mention, link, code, …).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageEntity {
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: EntityKind,
    /// Start, in UTF-16 code units.
    pub offset: usize,
    /// Length, in UTF-16 code units.
    pub length: usize,
    /// Target of a `text_link`.
    #[serde(default)]
    pub url: Option<String>,
    /// The user of a `text_mention` (a mention of a user without a username).
    #[serde(default)]
    pub user: Option<User>,
    /// Language of a `pre` block.
    #[serde(default)]
    pub language: Option<String>,
}

/// The kinds of [`MessageEntity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntityKind {
    /// `@username`.
    Mention,
    /// `#hashtag`.
    Hashtag,
    /// `/command` or `/command@bot`.
    BotCommand,
    /// A URL in the text.
    Url,
    /// Bold.
    Bold,
    /// Italic.
    Italic,
    /// Inline code.
    Code,
    /// A code block.
    Pre,
    /// A link with its own text.
    TextLink,
    /// A mention of a user without a username.
    TextMention,
    /// Any other kind.
    #[serde(other)]
    Other,
}

/// A press on an inline keyboard button.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CallbackQuery {
    /// Id to answer with `answerCallbackQuery`.
    pub id: String,
    /// Who pressed it.
    pub from: User,
    /// The message with the button (for an old one Telegram sends only its chat and id,
    /// with `date` 0).
    #[serde(default)]
    pub message: Option<Message>,
    /// Identifies the chat the button was pressed in, across messages.
    #[serde(default)]
    pub chat_instance: Option<String>,
    /// The button's `callback_data`.
    #[serde(default)]
    pub data: Option<String>,
}

/// A file ready to download (`getFile`); the path is valid for at least an hour.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct File {
    /// The file's id.
    pub file_id: String,
    /// Its stable id.
    pub file_unique_id: String,
    /// Size in bytes, when known.
    #[serde(default)]
    pub file_size: Option<u64>,
    /// Path for `/file/bot<token>/<file_path>`; absent when the file cannot be downloaded.
    #[serde(default)]
    pub file_path: Option<String>,
}

/// The webhook's state (`getWebhookInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookInfo {
    /// The webhook URL; empty when none is set (long polling).
    pub url: String,
    /// Whether a self-signed certificate was uploaded.
    #[serde(default)]
    pub has_custom_certificate: bool,
    /// Updates waiting to be delivered.
    #[serde(default)]
    pub pending_update_count: u64,
    /// Unix time of the last delivery error.
    #[serde(default)]
    pub last_error_date: Option<i64>,
    /// The last delivery error.
    #[serde(default)]
    pub last_error_message: Option<String>,
    /// Simultaneous connections Telegram opens to the webhook.
    #[serde(default)]
    pub max_connections: Option<u32>,
    /// The update kinds delivered.
    #[serde(default)]
    pub allowed_updates: Vec<String>,
}
