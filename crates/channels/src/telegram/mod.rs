//! The Telegram channel: a small client for the Telegram Bot API
//! (<https://core.telegram.org/bots/api>) and the channel account built on it.
//!
//! Only the calls the channel makes are here: long polling and the webhook switches, sending,
//! editing and deleting text, typing and reactions, photo and document uploads, and capped file
//! downloads. It runs on the workspace's own `reqwest` (the published Telegram crates bring a
//! second HTTP/TLS stack), and its base URL is configurable so tests talk to the fake Bot API
//! in `rustyclaw-testkit`.
//!
//! Two decisions shape it. Errors are typed from Telegram's error answers ([`TelegramError`]):
//! rate limits carry their wait, conflicts say whether another poller or a webhook is in the
//! way, and the 400s a caller acts on (invalid markup, a vanished message) are classified
//! once. And the bot token, which Telegram puts in every URL path, never leaves [`BotToken`]:
//! no error, log line or `Debug` output contains it.
//!
//! On top of the client, [`TelegramAccount`] is the Telegram channel account: the channel
//! contract ([`ChannelAccount`](crate::account::ChannelAccount)) over long polling or, with
//! `webhookUrl`, a webhook served by a small local listener (the workspace's axum on hyper),
//! with replies rendered as Telegram HTML and sent with a plain-text fallback.

mod account;
mod actions;
mod api;
mod buttons;
mod config;
mod envelope;
mod error;
mod poll;
mod prepare;
mod receive;
mod requests;
mod send;
mod token;
mod types;
mod webhook;
mod webhook_route;

pub use account::TelegramAccount;

pub use api::{BotApi, BotApiOptions, DEFAULT_BASE_URL};
pub use config::{
    DEFAULT_POLL_TIMEOUT, RetryBackoff, TelegramAccountConfig, TelegramWebhookConfig,
};
pub use error::{BadRequestKind, ConflictReason, TelegramError};
pub use requests::{
    AnswerCallbackQuery, ChatAction, ChatId, DeleteMessage, DeleteWebhook, EditMessageText,
    GetUpdates, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LinkPreviewOptions,
    ParseMode, ReactionType, ReplyParameters, SendChatAction, SendMedia, SendMessage,
    SetMessageReaction, SetWebhook,
};
pub use token::BotToken;
pub use types::{
    AllowedUpdate, CallbackQuery, Chat, ChatType, Document, EntityKind, File, MediaFile, Message,
    MessageEntity, NoUpdateId, PhotoSize, Update, UpdateKind, User, WebhookInfo,
};
