//! The chat channels as the gateway sees them: a [`ChannelControl`] the host implements over
//! its running channel accounts, and the plain data the protocol methods need from it.
//!
//! The gateway holds no channel logic. `channels.status`, `channels.logout`, `send`,
//! `message.action` and the channel part of `health` turn their params into these types, ask
//! the host, and shape the answer as OpenClaw does; which channels exist, how an account
//! resolves its credentials, how a message reaches a platform, all stay behind the trait. A
//! gateway built without one (`GatewayOptions::channels` is `None`) answers as OpenClaw does
//! with no channel configured: empty lists, and sends refused.
//!
//! The trait is object-safe (boxed futures), so the host hands over an
//! `Arc<dyn ChannelControl>` and tests can put a double at this boundary.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use rustyclaw_protocol::session_entry::ThreadId;

/// A boxed future, so [`ChannelControl`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The host's chat channels, as the gateway's protocol methods use them.
pub trait ChannelControl: Send + Sync + 'static {
    /// Every configured channel (only `request.channel` when it names one) with the status of
    /// each of its accounts, probing each enabled and configured account when
    /// `request.probe` says so. A channel id the host does not know is
    /// [`ChannelControlError::UnknownChannel`]; a known channel without configuration is left
    /// out of the list.
    fn status<'a>(
        &'a self,
        request: &'a StatusRequest,
    ) -> BoxFuture<'a, Result<Vec<ChannelStatus>, ChannelControlError>>;

    /// Stops `account` of `channel` (its default account when `None`) and clears its saved
    /// credentials where the channel has any.
    fn logout<'a>(
        &'a self,
        channel: &'a ChannelId,
        account: Option<&'a AccountId>,
    ) -> BoxFuture<'a, Result<LogoutOutcome, ChannelControlError>>;

    /// Sends a message through an account, as the channel cuts and renders it.
    fn send<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<SendReceipt, ChannelControlError>>;

    /// Acts on a message already in a chat: react, edit, delete.
    fn act<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> BoxFuture<'a, Result<(), ChannelControlError>>;
}

impl fmt::Debug for dyn ChannelControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChannelControl")
    }
}

/// What `channels.status` (and `health`) asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRequest {
    /// Only this channel.
    pub channel: Option<ChannelId>,
    /// Probe every enabled, configured account (a live check of its credentials and
    /// connection), each within this long; `None` reports the state known without asking the
    /// platforms.
    pub probe: Option<Duration>,
}

/// One configured channel and its accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelStatus {
    /// The channel (`telegram`, `irc`).
    pub channel: ChannelId,
    /// Its name for people (`Telegram`).
    pub label: String,
    /// Its longer name (`Telegram Bot`).
    pub detail_label: String,
    /// The SF Symbol the macOS app shows for it (`paperplane`), when it has one.
    pub system_image: Option<String>,
    /// The account used when a request names none.
    pub default_account: AccountId,
    /// Every account, in the host's order.
    pub accounts: Vec<AccountStatus>,
}

/// One account of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    /// The account (`default`, or its key under `accounts`).
    pub account: AccountId,
    /// Its display name.
    pub name: Option<String>,
    /// `enabled` is not false for it or its channel.
    pub enabled: bool,
    /// It has what it needs to connect (credentials, a server).
    pub configured: bool,
    /// Whether it runs now.
    pub state: AccountState,
    /// How it receives (`polling`, `webhook`, `irc`).
    pub mode: Option<String>,
    /// Who it is on the platform (a bot's `@username`, an IRC nick), once known.
    pub identity: Option<String>,
    /// Where its token or password comes from (`config`, `env`, `tokenFile`, `none`); never
    /// the secret itself.
    pub credential_source: Option<String>,
    /// The last error, in words.
    pub last_error: Option<String>,
    /// When things last happened to it.
    pub activity: AccountActivity,
    /// How many times it was restarted after failing.
    pub restarts: u32,
    /// The probe's result, when one was asked for and the account is enabled and configured.
    pub probe: Option<Probe>,
    /// What the host sees wrong with it (a credential that does not resolve, a setting
    /// missing); runtime problems the state shows are found by the gateway.
    pub issues: Vec<StatusIssue>,
}

/// Whether an account runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    /// Not running: disabled, not configured, stopped, or failed for good.
    Stopped,
    /// Running, connected to its platform or not (yet).
    Running {
        /// Connected right now.
        connected: bool,
    },
}

/// When things last happened to an account, Unix milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountActivity {
    /// It was last started.
    pub started_ms: Option<u64>,
    /// It last connected.
    pub connected_ms: Option<u64>,
    /// It last received a message.
    pub inbound_ms: Option<u64>,
    /// It last sent a message.
    pub outbound_ms: Option<u64>,
    /// Its transport last showed it is alive (a poll returned, the server answered).
    pub alive_ms: Option<u64>,
}

/// What a probe of an account found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The platform accepted the credentials.
    Ok {
        /// Who the account is there.
        identity: Option<String>,
        /// How long the probe took.
        elapsed: Duration,
    },
    /// The platform refused, or could not be reached.
    Failed {
        /// Why, in words (no secret in it).
        error: String,
        /// How long the probe took.
        elapsed: Duration,
    },
    /// No answer within the time allowed.
    TimedOut {
        /// The time allowed.
        after: Duration,
    },
}

/// Something wrong with an account, for `statusIssues`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusIssue {
    /// What kind of problem.
    pub kind: IssueKind,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: Option<String>,
}

/// The kinds of [`StatusIssue`] (upstream's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// A setting is missing or wrong.
    Config,
    /// A credential is missing or refused.
    Auth,
    /// The running account misbehaves.
    Runtime,
}

impl IssueKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Config => "config",
            IssueKind::Auth => "auth",
            IssueKind::Runtime => "runtime",
        }
    }
}

/// What a logout did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOutcome {
    /// The account logged out (the default one when the request named none).
    pub account: AccountId,
    /// Saved credentials were removed (from the config).
    pub cleared: bool,
    /// The account has no credential left.
    pub logged_out: bool,
    /// A credential from the environment (`TELEGRAM_BOT_TOKEN`) still applies.
    pub env_credential: bool,
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// The channel.
    pub channel: ChannelId,
    /// The account; the channel's default account when `None`.
    pub account: Option<AccountId>,
    /// The chat, in the channel's spelling (a Telegram chat id or `@username`, an IRC channel
    /// or nick).
    pub to: ChatId,
    /// The text (markdown, rendered by the channel); may be empty when there is media.
    pub text: String,
    /// Attachments, in order: URLs or paths on the gateway's host.
    pub media: Vec<MediaRef>,
    /// The message it answers.
    pub reply_to: Option<MessageId>,
    /// The thread or forum topic within the chat.
    pub thread: Option<ThreadId>,
    /// Send without a notification, where the platform can.
    pub silent: bool,
}

/// What the platform accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The account that sent it.
    pub account: AccountId,
    /// The chat as the platform names it (a `@username` target becomes its numeric id).
    pub chat: ChatId,
    /// The platform's ids of the messages sent, in order (a long text or an album is several;
    /// empty when the platform gives none, as IRC).
    pub message_ids: Vec<MessageId>,
}

/// An action on a message already in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// The channel.
    pub channel: ChannelId,
    /// The account; the channel's default account when `None`.
    pub account: Option<AccountId>,
    /// The chat the message is in.
    pub chat: ChatId,
    /// The message.
    pub message: MessageId,
    /// What to do.
    pub action: MessageAction,
}

/// What [`ChannelControl::act`] does to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageAction {
    /// Add a reaction.
    React {
        /// The emoji.
        emoji: String,
    },
    /// Remove the account's reaction with this emoji.
    RemoveReaction {
        /// The emoji.
        emoji: String,
    },
    /// Remove every reaction of the account on the message (a reaction with an empty emoji,
    /// as upstream spells it).
    ClearReactions,
    /// Replace the text of a message the account sent.
    Edit {
        /// The new text (markdown, rendered by the channel).
        text: String,
    },
    /// Delete the message.
    Delete,
}

/// Why the host could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelControlError {
    /// The host has no such channel.
    #[error("unknown channel: {channel}")]
    UnknownChannel {
        /// The channel asked for.
        channel: ChannelId,
    },
    /// The channel has no such account.
    #[error("unknown {channel} account: {account}")]
    UnknownAccount {
        /// The channel.
        channel: ChannelId,
        /// The account asked for.
        account: AccountId,
    },
    /// The channel cannot do this (`logout`, `react`, `edit`, …).
    #[error("channel {channel} does not support {operation}")]
    Unsupported {
        /// The channel.
        channel: ChannelId,
        /// What was asked.
        operation: String,
    },
    /// The request cannot work as made (a malformed target, a message id the platform cannot
    /// have).
    #[error("{message}")]
    Invalid {
        /// What is wrong with it.
        message: String,
    },
    /// The account cannot take it now: disabled, not configured, not running.
    #[error("{channel} account {account} is not available: {reason}")]
    NotReady {
        /// The channel.
        channel: ChannelId,
        /// The account.
        account: AccountId,
        /// Why.
        reason: String,
    },
    /// The platform asked to wait (a rate limit).
    #[error("{message}")]
    RetryAfter {
        /// How long it asked to wait.
        wait: Duration,
        /// The platform's words.
        message: String,
    },
    /// A network error, a timeout, a server error: trying again may work.
    #[error("{message}")]
    Transient {
        /// What happened.
        message: String,
    },
    /// The platform refused for good (the bot was blocked, the chat is gone).
    #[error("{message}")]
    Permanent {
        /// What the platform said.
        message: String,
    },
}
