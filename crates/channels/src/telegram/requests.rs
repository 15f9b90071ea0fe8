//! What the bot sends: the parameters of the Bot API methods the channel calls, serialized
//! exactly as the API names them (optional parameters are left out when unset).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::types::AllowedUpdate;

/// The target chat: a numeric id, or `@username` of a public channel or supergroup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ChatId {
    /// The chat's numeric id.
    Id(i64),
    /// `@channelusername`.
    Username(String),
}

impl From<i64> for ChatId {
    fn from(id: i64) -> Self {
        Self::Id(id)
    }
}

impl std::fmt::Display for ChatId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Username(name) => f.write_str(name),
        }
    }
}

/// The markup of a text or caption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ParseMode {
    /// Telegram's HTML subset.
    #[serde(rename = "HTML")]
    Html,
    /// MarkdownV2.
    MarkdownV2,
}

/// `getUpdates` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUpdates {
    /// The first update to return; every update before it is confirmed and forgotten by
    /// Telegram. `None` returns from the oldest unconfirmed update.
    pub offset: Option<i64>,
    /// At most this many updates (1–100; Telegram's default is 100).
    pub limit: Option<u8>,
    /// How long Telegram holds the request open when there is nothing to return (whole
    /// seconds; zero is short polling). The HTTP timeout is this plus the client's grace.
    pub timeout: Duration,
    /// The update kinds to receive; `None` keeps the previous setting.
    pub allowed_updates: Option<Vec<AllowedUpdate>>,
}

#[derive(Serialize)]
pub(crate) struct GetUpdatesWire<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u8>,
    pub timeout: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<&'a [AllowedUpdate]>,
}

impl GetUpdates {
    pub(crate) fn wire(&self) -> GetUpdatesWire<'_> {
        GetUpdatesWire {
            offset: self.offset,
            limit: self.limit,
            timeout: self.timeout.as_secs(),
            allowed_updates: self.allowed_updates.as_deref(),
        }
    }
}

/// `setWebhook` parameters.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SetWebhook {
    /// The HTTPS URL Telegram posts updates to.
    pub url: String,
    /// Sent back in `X-Telegram-Bot-Api-Secret-Token` with every update (a secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_token: Option<String>,
    /// The update kinds to receive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<AllowedUpdate>>,
    /// Drop the updates waiting to be delivered.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub drop_pending_updates: bool,
    /// Simultaneous HTTPS connections (1–100, default 40).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u8>,
}

impl std::fmt::Debug for SetWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetWebhook")
            .field("url", &self.url)
            .field(
                "secret_token",
                &self.secret_token.as_ref().map(|_| "<redacted>"),
            )
            .field("allowed_updates", &self.allowed_updates)
            .field("drop_pending_updates", &self.drop_pending_updates)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// `deleteWebhook` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DeleteWebhook {
    /// Drop the updates waiting to be delivered.
    pub drop_pending_updates: bool,
}

/// Which message a new one answers (`reply_parameters`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyParameters {
    /// The message replied to.
    pub message_id: i64,
    /// Send even if that message is gone, as a plain message.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_sending_without_reply: bool,
}

impl ReplyParameters {
    /// A reply to `message_id` that is still sent if that message was deleted.
    pub fn to(message_id: i64) -> Self {
        Self {
            message_id,
            allow_sending_without_reply: true,
        }
    }
}

/// Link preview settings (`link_preview_options`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkPreviewOptions {
    /// No preview at all.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_disabled: bool,
    /// Preview this URL instead of the first in the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Show the preview above the text.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub show_above_text: bool,
}

/// An inline keyboard under a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlineKeyboardMarkup {
    /// Rows of buttons.
    pub inline_keyboard: Vec<Vec<InlineKeyboardButton>>,
}

/// A button of an inline keyboard: a press sends `callback_data` back as a callback query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlineKeyboardButton {
    /// The label.
    pub text: String,
    /// Up to 64 bytes returned in the callback query.
    pub callback_data: String,
}

/// `sendMessage` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendMessage {
    /// The chat.
    pub chat_id: ChatId,
    /// The forum topic to post in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_thread_id: Option<i64>,
    /// 1–4096 characters after entity parsing.
    pub text: String,
    /// The markup of `text`; `None` is plain text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<ParseMode>,
    /// Link preview settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_preview_options: Option<LinkPreviewOptions>,
    /// Deliver silently.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_notification: bool,
    /// The message this one replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_parameters: Option<ReplyParameters>,
    /// Buttons under the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
}

impl SendMessage {
    /// Plain `text` to `chat_id`, no reply, no topic.
    pub fn new(chat_id: impl Into<ChatId>, text: impl Into<String>) -> Self {
        Self {
            chat_id: chat_id.into(),
            message_thread_id: None,
            text: text.into(),
            parse_mode: None,
            link_preview_options: None,
            disable_notification: false,
            reply_parameters: None,
            reply_markup: None,
        }
    }
}

/// `editMessageText` parameters (messages in chats; inline messages are not supported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditMessageText {
    /// The chat.
    pub chat_id: ChatId,
    /// The message to edit.
    pub message_id: i64,
    /// The new text.
    pub text: String,
    /// Its markup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<ParseMode>,
    /// Link preview settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_preview_options: Option<LinkPreviewOptions>,
    /// Buttons under the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
}

/// `deleteMessage` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeleteMessage {
    /// The chat.
    pub chat_id: ChatId,
    /// The message.
    pub message_id: i64,
}

/// What the bot is doing, shown for 5 s or until its next message (`sendChatAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatAction {
    /// "typing…".
    Typing,
    /// "sending photo…".
    UploadPhoto,
    /// "sending file…".
    UploadDocument,
}

/// `sendChatAction` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendChatAction {
    /// The chat.
    pub chat_id: ChatId,
    /// The forum topic the action shows in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_thread_id: Option<i64>,
    /// The action.
    pub action: ChatAction,
}

/// A reaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReactionType {
    /// One of Telegram's allowed reaction emoji.
    Emoji {
        /// The emoji, e.g. "👍".
        emoji: String,
    },
}

/// `setMessageReaction` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetMessageReaction {
    /// The chat.
    pub chat_id: ChatId,
    /// The message.
    pub message_id: i64,
    /// The bot's reactions; empty removes them.
    pub reaction: Vec<ReactionType>,
    /// Play the big animation.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_big: bool,
}

/// `answerCallbackQuery` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerCallbackQuery {
    /// The query's id.
    pub callback_query_id: String,
    /// A notification shown to the user (0–200 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Show `text` as an alert instead of a toast.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub show_alert: bool,
}

/// Where the content of a photo or document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFile {
    /// A local file, streamed in a multipart upload.
    Path(PathBuf),
    /// A URL Telegram downloads itself (photos up to 5 MB, documents up to 20 MB).
    Url(String),
    /// A file already on Telegram's servers.
    FileId(String),
}

/// `sendPhoto` / `sendDocument` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMedia {
    /// The chat.
    pub chat_id: ChatId,
    /// The forum topic to post in.
    pub message_thread_id: Option<i64>,
    /// The photo or document.
    pub media: InputFile,
    /// 0–1024 characters after entity parsing.
    pub caption: Option<String>,
    /// The markup of `caption`.
    pub parse_mode: Option<ParseMode>,
    /// The message this one replies to.
    pub reply_parameters: Option<ReplyParameters>,
    /// Deliver silently.
    pub disable_notification: bool,
}

impl SendMedia {
    /// `media` to `chat_id`, no caption, no reply, no topic.
    pub fn new(chat_id: impl Into<ChatId>, media: InputFile) -> Self {
        Self {
            chat_id: chat_id.into(),
            message_thread_id: None,
            media,
            caption: None,
            parse_mode: None,
            reply_parameters: None,
            disable_notification: false,
        }
    }
}

/// The parameters of [`SendMedia`] other than the file, serialized as JSON (file by URL or
/// id) or turned into multipart text fields (upload).
#[derive(Serialize)]
pub(crate) struct SendMediaFields<'a> {
    pub chat_id: &'a ChatId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_thread_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<ParseMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_parameters: Option<&'a ReplyParameters>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_notification: bool,
}

impl SendMedia {
    pub(crate) fn fields(&self) -> SendMediaFields<'_> {
        SendMediaFields {
            chat_id: &self.chat_id,
            message_thread_id: self.message_thread_id,
            caption: self.caption.as_deref(),
            parse_mode: self.parse_mode,
            reply_parameters: self.reply_parameters.as_ref(),
            disable_notification: self.disable_notification,
        }
    }
}
