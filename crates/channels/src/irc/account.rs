//! The IRC channel account: an [`IrcClient`] behind the channel contract ([`ChannelAccount`]).
//!
//! [`run`](ChannelAccount::run) starts a client and keeps it in the account while it runs, so
//! `send`, called from any task, writes on the same connection. The client reconnects by itself
//! with backoff, so `run` returns only when the client stops for good (refused credentials, a
//! rejected nick, a ban, `logout`) or the router closes; when `run` returns or is dropped, the
//! client quits. What IRC lacks (message ids, edits, deletions, reactions, typing, attachments)
//! is declared in [`Capabilities`] and refused as `Unsupported`, never faked.
//!
//! Receiving is in `account_receive`, preparing and sending replies in `account_send`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rustyclaw_protocol::origin::{AccountId, ChannelId, MessageId};
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_support::now_ms_i64;

use super::client::IrcClient;
use super::config::IrcConfig;
use super::event::irc_eq;
use crate::account::{
    ActionError, BoxFuture, Capabilities, ChannelAccount, ChannelError, InboundSink,
    OutboundMessage, OutboundTarget, ProbeReport, ReceivedAttachment, SendFailure, Sent,
    StatusHandle, TextSettings,
};
use crate::text::IrcFormatting;

/// The channel id of IRC accounts.
const CHANNEL: &str = "irc";

/// One IRC account's settings, resolved from `channels.irc` (or one of its `accounts`).
#[derive(Debug, Clone)]
pub struct IrcAccountConfig {
    /// The account (`default` unless configured under `accounts`).
    pub account_id: AccountId,
    /// The connection: server, nick, credentials, channels to join, pacing, time limits.
    pub client: IrcConfig,
    /// Plain text, as OpenClaw sends, or mIRC formatting codes for bold, italic, strikethrough
    /// and inline code.
    pub formatting: IrcFormatting,
}

/// An IRC account: connects with [`ChannelAccount::run`], sends through the connection `run`
/// keeps.
#[derive(Debug)]
pub struct IrcAccount {
    channel: ChannelId,
    config: IrcAccountConfig,
    /// The connection while `run` is active.
    live: Mutex<Option<Arc<Live>>>,
    ids: MessageIds,
}

impl IrcAccount {
    /// An account that is not connected yet.
    pub fn new(config: IrcAccountConfig) -> Self {
        Self {
            channel: ChannelId::new(CHANNEL),
            config,
            live: Mutex::new(None),
            ids: MessageIds::new(now_ms_i64()),
        }
    }

    pub(super) fn config(&self) -> &IrcAccountConfig {
        &self.config
    }

    /// `host:port`, for messages.
    pub(super) fn server(&self) -> String {
        format!("{}:{}", self.config.client.host, self.config.client.port)
    }

    pub(super) fn next_message_id(&self) -> MessageId {
        self.ids.next()
    }

    /// The connection of the active `run`, if any.
    pub(super) fn live(&self) -> Option<Arc<Live>> {
        lock(&self.live).clone()
    }

    /// Makes `live` the account's connection until the returned guard is dropped.
    pub(super) fn install(&self, live: &Arc<Live>) -> LiveSlot<'_> {
        *lock(&self.live) = Some(Arc::clone(live));
        LiveSlot {
            slot: &self.live,
            live: Arc::clone(live),
        }
    }
}

/// A running client, shared by `run` (which reads its events) and the outbound calls.
/// Dropping the last reference drops the client, which quits.
#[derive(Debug)]
pub(super) struct Live {
    pub(super) client: IrcClient,
    /// The status handle `run` was given, so sends are recorded too.
    pub(super) status: StatusHandle,
    /// The channels joined on the current connection, in join order.
    joined: Mutex<Vec<String>>,
    /// `logout` asked the client to stop: `run` ends without an error.
    stopping: AtomicBool,
}

impl Live {
    pub(super) fn new(client: IrcClient, status: StatusHandle) -> Self {
        Self {
            client,
            status,
            joined: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
        }
    }

    pub(super) fn joined(&self) -> Vec<String> {
        lock(&self.joined).clone()
    }

    pub(super) fn add_joined(&self, channel: &str) {
        let mut joined = lock(&self.joined);
        if !joined.iter().any(|c| irc_eq(c, channel)) {
            joined.push(channel.to_owned());
        }
    }

    pub(super) fn remove_joined(&self, channel: &str) {
        lock(&self.joined).retain(|c| !irc_eq(c, channel));
    }

    pub(super) fn clear_joined(&self) {
        lock(&self.joined).clear();
    }

    pub(super) fn stop_requested(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn request_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }
}

/// Clears the account's connection when `run` ends, however it ends (returned, or dropped by
/// the supervisor), unless a newer `run` has replaced it.
pub(super) struct LiveSlot<'a> {
    slot: &'a Mutex<Option<Arc<Live>>>,
    live: Arc<Live>,
}

impl Drop for LiveSlot<'_> {
    fn drop(&mut self) {
        let mut slot = lock(self.slot);
        if slot
            .as_ref()
            .is_some_and(|live| Arc::ptr_eq(live, &self.live))
        {
            *slot = None;
        }
    }
}

/// Message ids for received messages. IRC gives messages no id (the IRCv3 `msgid` tag is not
/// read by the client), so the account makes one up: `<ms>-<n>`, where `<ms>` is when the
/// account was created and `<n>` counts up, unique for the account across restarts of `run`
/// and of the process. Such an id cannot recognise a message the server sends twice, but IRC
/// never sends a message twice.
#[derive(Debug)]
struct MessageIds {
    epoch_ms: i64,
    next: AtomicU64,
}

impl MessageIds {
    fn new(epoch_ms: i64) -> Self {
        Self {
            epoch_ms,
            next: AtomicU64::new(1),
        }
    }

    fn next(&self) -> MessageId {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        MessageId::new(format!("{}-{n}", self.epoch_ms))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `error` and its sources, `: `-separated (the client's errors keep the OS error as a source).
pub(super) fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl ChannelAccount for IrcAccount {
    fn channel(&self) -> &ChannelId {
        &self.channel
    }

    fn account(&self) -> &AccountId {
        &self.config.account_id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// The client's own silence limit: it sends a `PING` after `idle` without a line from the
    /// server and gives up `pong` later, so a healthy connection is heard from at least that
    /// often, and `run` reports it alive several times within it (see `account_receive`).
    fn stall_timeout(&self) -> Duration {
        let timeouts = self.config.client.timeouts;
        timeouts.idle + timeouts.pong
    }

    fn run<'a>(
        &'a self,
        sink: InboundSink,
        status: StatusHandle,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        Box::pin(self.receive(sink, status))
    }

    fn prepare(&self, reply: &ReplyPayload, settings: &TextSettings) -> Vec<OutboundMessage> {
        let nick = self.live().and_then(|live| live.client.nick());
        self.prepare_lines(reply, settings, nick.as_deref())
    }

    fn send<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message: &'a OutboundMessage,
    ) -> BoxFuture<'a, Result<Sent, SendFailure>> {
        Box::pin(self.send_line(target, message))
    }

    fn edit<'a>(
        &'a self,
        _target: &'a OutboundTarget,
        _message_id: &'a MessageId,
        _message: &'a OutboundMessage,
    ) -> BoxFuture<'a, Result<(), ActionError>> {
        Box::pin(async { Err(unsupported("edit messages")) })
    }

    fn delete<'a>(
        &'a self,
        _target: &'a OutboundTarget,
        _message_id: &'a MessageId,
    ) -> BoxFuture<'a, Result<(), ActionError>> {
        Box::pin(async { Err(unsupported("delete messages")) })
    }

    fn react<'a>(
        &'a self,
        _target: &'a OutboundTarget,
        _message_id: &'a MessageId,
        _emoji: &'a str,
    ) -> BoxFuture<'a, Result<(), ActionError>> {
        Box::pin(async { Err(unsupported("react to messages")) })
    }

    /// IRC has no typing indicator ([`Capabilities::typing`] is false): nothing to do.
    fn typing<'a>(&'a self, _target: &'a OutboundTarget) -> BoxFuture<'a, Result<(), ActionError>> {
        Box::pin(async { Ok(()) })
    }

    fn probe(&self) -> BoxFuture<'_, Result<ProbeReport, ChannelError>> {
        Box::pin(self.probe_connection())
    }

    /// Quits the server (`QUIT :logout`) when `run` is active; `run` then returns `Ok`.
    fn logout(&self) -> BoxFuture<'_, Result<(), ChannelError>> {
        Box::pin(async {
            if let Some(live) = self.live() {
                live.request_stop();
                live.client.shutdown("logout").await;
            }
            Ok(())
        })
    }

    fn download<'a>(
        &'a self,
        _attachment: &'a ReceivedAttachment,
        _dest: &'a std::path::Path,
        _max_bytes: u64,
    ) -> BoxFuture<'a, Result<u64, ActionError>> {
        Box::pin(async { Err(unsupported("carry attachments")) })
    }
}

fn unsupported(what: &str) -> ActionError {
    ActionError::Unsupported(format!("IRC cannot {what}"))
}
