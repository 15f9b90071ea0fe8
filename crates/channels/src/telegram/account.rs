//! The Telegram channel account: a bot behind the channel contract ([`ChannelAccount`]).
//!
//! Receiving is long polling (`poll`), or a webhook (`webhook`, with its HTTP edge in
//! `webhook_route`) when `webhookUrl` is set; preparing replies is `prepare`, sending and
//! editing is `send`, and the other calls (deletions, reactions, typing, downloads, probe,
//! logout) are in `actions`; this file holds the account and routes the contract's calls to them. Telegram
//! needs no connection to send, so every outbound call works whether `run` is active or not.
//!
//! The account keeps the [`StatusHandle`] its latest `run` was given, so successful sends are
//! recorded on it ([`StatusHandle::sent`]); sends made before the first `run` are not.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rustyclaw_protocol::origin::{AccountId, ChannelId, MessageId};
use rustyclaw_protocol::reply::ReplyPayload;

use super::api::{BotApi, BotApiOptions};
use super::config::TelegramAccountConfig;
use super::error::TelegramError;
use super::prepare::prepare;
use crate::account::{
    ActionError, BoxFuture, Capabilities, ChannelAccount, ChannelError, InboundSink,
    OutboundMessage, OutboundTarget, ProbeReport, ReceivedAttachment, SendFailure, Sent,
    StatusHandle, TextSettings,
};

/// The channel id of Telegram accounts.
const CHANNEL: &str = "telegram";

/// How much longer than one long poll the account may go without a sign of life before the
/// supervisor restarts it: the poll's HTTP grace (10 s) and a margin for a slow answer.
const STALL_MARGIN: Duration = Duration::from_secs(30);

/// How often a webhook account checks its webhook with `getWebhookInfo` (`webhook`): a quiet
/// webhook shows no other sign of life.
pub(super) const WEBHOOK_CHECK_EVERY: Duration = Duration::from_secs(60);

/// How long a webhook account may show no sign of life: long enough for one check to fail
/// (after the Bot API client's 30 s) and the next one to answer, with a margin, so a single
/// failed check does not restart the account.
const WEBHOOK_STALL_TIMEOUT: Duration =
    Duration::from_secs(2 * (WEBHOOK_CHECK_EVERY.as_secs() + 30) + 30);

/// A Telegram bot account.
#[derive(Debug)]
pub struct TelegramAccount {
    channel: ChannelId,
    pub(super) config: TelegramAccountConfig,
    pub(super) api: BotApi,
    /// The status handle of the latest `run`, for recording sends.
    status: Mutex<Option<StatusHandle>>,
    /// The offset of the last batch the journal stored: where a restarted `run` resumes
    /// (the configured initial offset until the first batch is stored).
    acknowledged: Mutex<Option<i64>>,
    /// Where the webhook listener of the running `run` listens.
    webhook_address: Mutex<Option<SocketAddr>>,
}

impl TelegramAccount {
    /// An account for `config`'s bot. Nothing is sent to Telegram until `run` or a call; this
    /// fails only if the HTTP client cannot be set up.
    pub fn new(config: TelegramAccountConfig) -> Result<Self, TelegramError> {
        let options = BotApiOptions {
            base_url: config.api_root.clone(),
            ..BotApiOptions::default()
        };
        let api = BotApi::new(config.token.clone(), options)?;
        Ok(Self {
            channel: ChannelId::new(CHANNEL),
            acknowledged: Mutex::new(config.initial_offset),
            config,
            api,
            status: Mutex::new(None),
            webhook_address: Mutex::new(None),
        })
    }

    /// Where the next `run` starts polling.
    pub(super) fn resume_offset(&self) -> Option<i64> {
        *self
            .acknowledged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that the journal stored everything before `offset`.
    pub(super) fn acknowledge(&self, offset: i64) {
        *self
            .acknowledged
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(offset);
    }

    pub(super) fn webhook_address_slot(&self) -> MutexGuard<'_, Option<SocketAddr>> {
        self.webhook_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn status_slot(&self) -> MutexGuard<'_, Option<StatusHandle>> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `status` (from `run`) for recording sends.
    pub(super) fn keep_status(&self, status: &StatusHandle) {
        *self.status_slot() = Some(status.clone());
    }

    /// Records a successful send on the kept status handle, if `run` has given one.
    pub(super) fn record_sent(&self) {
        let status = self.status_slot().clone();
        if let Some(status) = status {
            status.sent();
        }
    }
}

impl ChannelAccount for TelegramAccount {
    fn channel(&self) -> &ChannelId {
        &self.channel
    }

    fn account(&self) -> &AccountId {
        &self.config.account_id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            edit: true,
            delete: true,
            react: true,
            typing: true,
            media: true,
            threads: true,
        }
    }

    fn stall_timeout(&self) -> Duration {
        match &self.config.webhook {
            None => self.config.poll_timeout + STALL_MARGIN,
            Some(_) => WEBHOOK_STALL_TIMEOUT,
        }
    }

    fn run<'a>(
        &'a self,
        sink: InboundSink,
        status: StatusHandle,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        match &self.config.webhook {
            None => Box::pin(self.poll(sink, status)),
            Some(webhook) => Box::pin(self.serve_webhook(webhook, sink, status)),
        }
    }

    fn prepare(&self, reply: &ReplyPayload, settings: &TextSettings) -> Vec<OutboundMessage> {
        prepare(reply, settings)
    }

    fn send<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message: &'a OutboundMessage,
    ) -> BoxFuture<'a, Result<Sent, SendFailure>> {
        Box::pin(self.send_prepared(target, message))
    }

    fn edit<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message_id: &'a MessageId,
        message: &'a OutboundMessage,
    ) -> BoxFuture<'a, Result<(), ActionError>> {
        Box::pin(self.edit_prepared(target, message_id, message))
    }

    fn delete<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message_id: &'a MessageId,
    ) -> BoxFuture<'a, Result<(), ActionError>> {
        Box::pin(self.delete_message(target, message_id))
    }

    fn react<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message_id: &'a MessageId,
        emoji: &'a str,
    ) -> BoxFuture<'a, Result<(), ActionError>> {
        Box::pin(self.set_reaction(target, message_id, emoji))
    }

    fn typing<'a>(&'a self, target: &'a OutboundTarget) -> BoxFuture<'a, Result<(), ActionError>> {
        Box::pin(self.show_typing(target))
    }

    fn probe(&self) -> BoxFuture<'_, Result<ProbeReport, ChannelError>> {
        Box::pin(self.probe_bot())
    }

    fn logout(&self) -> BoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(self.drop_webhook())
    }

    fn download<'a>(
        &'a self,
        attachment: &'a ReceivedAttachment,
        dest: &'a Path,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<u64, ActionError>> {
        Box::pin(self.download_attachment(attachment, dest, max_bytes))
    }
}

/// What a failed account-wide call (start, probe, logout) means to the supervisor.
pub(super) fn channel_error(error: TelegramError) -> ChannelError {
    match &error {
        TelegramError::Unauthorized { .. } | TelegramError::InvalidToken => {
            ChannelError::Unauthorized(error.to_string())
        }
        // The Bot API answers 404 to a path whose token is malformed, and to an `apiRoot` that
        // already ends in `/bot<token>`.
        TelegramError::Api {
            error_code: 404,
            method,
            ..
        } => ChannelError::Unauthorized(format!(
            "Telegram answered {method} with 404 Not Found: the bot token is wrong, or apiRoot \
             is not the Bot API root (it must not include /bot<token>)"
        )),
        TelegramError::Conflict { .. } => ChannelError::Conflict(error.to_string()),
        TelegramError::RateLimited { .. }
        | TelegramError::Forbidden { .. }
        | TelegramError::ChatMigrated { .. }
        | TelegramError::BadRequest { .. }
        | TelegramError::Api { .. }
        | TelegramError::Malformed { .. }
        | TelegramError::Timeout { .. }
        | TelegramError::Transport { .. }
        | TelegramError::TooLarge { .. }
        | TelegramError::UnsafeFilePath { .. }
        | TelegramError::ReadUpload { .. }
        | TelegramError::WriteDownload { .. }
        | TelegramError::Setup { .. } => ChannelError::Connection(error.to_string()),
    }
}
