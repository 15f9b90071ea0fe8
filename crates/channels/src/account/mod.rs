//! The channel contract: what every chat channel account offers the router, whatever its
//! platform.
//!
//! An account ([`ChannelAccount`]) is started by the host's supervisor with [`ChannelAccount::run`]:
//! it connects, hands what it receives to an [`InboundSink`] in [`InboundBatch`]es and
//! acknowledges them to its platform only once the sink says they are stored, and returns when
//! its connection fails for good (the supervisor restarts it with backoff) or the sink closes.
//! Outbound calls (`send`, `edit`, `delete`, `react`, `typing`) may be made at any time, from
//! any task, and fail with a [`SendFailure`] that says whether to try again and when.
//!
//! Replies are cut into platform messages by the account ([`ChannelAccount::prepare`]) before
//! they are stored for delivery, so a reply that fails half-way resumes at the message that
//! failed. The account reports its state through a [`StatusHandle`]: connected or not, who it
//! is on the platform, and a heartbeat the supervisor watches for a stalled connection.
//!
//! Adapters live beside this module (`telegram`, `irc`); they never touch the store or the agent:
//! everything they learn goes through the sink and the status handle.

mod inbound;
mod outbound;
mod status;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

pub use inbound::{
    AttachmentKind, InboundBatch, InboundSink, ReceivedAttachment, ReceivedMessage, SinkClosed,
    StoreOutcome,
};
pub use outbound::{ActionError, OutboundMessage, OutboundTarget, SendFailure, Sent};
pub use status::{AccountSnapshot, StatusHandle};

use rustyclaw_protocol::origin::{AccountId, ChannelId, MessageId};
use rustyclaw_protocol::reply::ReplyPayload;

/// A boxed future, so the contract can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why an account stopped running, or an account-wide call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The platform refused the credentials: restarting will not help until they change.
    #[error("{0}")]
    Unauthorized(String),
    /// Another client uses the same credentials (Telegram's 409 Conflict).
    #[error("{0}")]
    Conflict(String),
    /// The connection failed or stalled; a restart may fix it.
    #[error("{0}")]
    Connection(String),
    /// The router stopped taking messages: the gateway is shutting down.
    #[error("the gateway is shutting down")]
    Closed,
    /// The account cannot do this.
    #[error("{0}")]
    Unsupported(String),
}

impl ChannelError {
    /// Whether restarting the account may help (a refused token will not change by itself,
    /// but is still retried slowly, in case it was a platform hiccup).
    pub fn is_permanent(&self) -> bool {
        matches!(self, ChannelError::Unauthorized(_) | ChannelError::Closed)
    }
}

impl From<SinkClosed> for ChannelError {
    fn from(_: SinkClosed) -> Self {
        ChannelError::Closed
    }
}

/// What an account can do besides sending text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Edit a sent message.
    pub edit: bool,
    /// Delete a message.
    pub delete: bool,
    /// React to a message with an emoji.
    pub react: bool,
    /// Show a typing indicator.
    pub typing: bool,
    /// Send files and images.
    pub media: bool,
    /// Threads or forum topics within a chat.
    pub threads: bool,
}

/// What a probe found out about an account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeReport {
    /// The account's identity on the platform (a bot's `@username`, an IRC nick).
    pub identity: Option<String>,
    /// Human-readable details (`webhook set`, `joined #ops`).
    pub details: Vec<String>,
}

/// A reply as the channel's text settings cut it: what [`ChannelAccount::prepare`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSettings {
    /// `textChunkLimit`: the longest message, in the channel's unit (UTF-16 units of the
    /// rendered text for Telegram, visible characters for IRC).
    pub chunk_limit: usize,
    /// `chunkMode`: cut at the length limit, or between paragraphs first.
    pub chunk_mode: crate::text::ChunkMode,
    /// `responsePrefix`, put before the first message of a reply.
    pub response_prefix: Option<String>,
}

/// One chat channel account.
pub trait ChannelAccount: Send + Sync + 'static {
    /// The channel (`telegram`, `irc`).
    fn channel(&self) -> &ChannelId;

    /// The account (`default` unless configured under `accounts`).
    fn account(&self) -> &AccountId;

    /// What this account can do.
    fn capabilities(&self) -> Capabilities;

    /// How long the account may go without calling [`StatusHandle::alive`] while running before
    /// the supervisor calls it stalled and restarts it.
    fn stall_timeout(&self) -> Duration;

    /// Connects and receives until the connection fails for good or `sink` closes. Received
    /// messages go to `sink`; they are acknowledged to the platform only after
    /// [`InboundSink::store`] returns. `status` is updated as the connection comes and goes.
    fn run<'a>(
        &'a self,
        sink: InboundSink,
        status: StatusHandle,
    ) -> BoxFuture<'a, Result<(), ChannelError>>;

    /// Cuts `reply` into the platform messages to send, rendered for the platform, in order.
    /// An empty reply (no text, no media) gives no messages.
    fn prepare(&self, reply: &ReplyPayload, settings: &TextSettings) -> Vec<OutboundMessage>;

    /// Sends one prepared message.
    fn send<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message: &'a OutboundMessage,
    ) -> BoxFuture<'a, Result<Sent, SendFailure>>;

    /// Replaces the text of a message the account sent.
    fn edit<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message_id: &'a MessageId,
        message: &'a OutboundMessage,
    ) -> BoxFuture<'a, Result<(), ActionError>>;

    /// Deletes a message.
    fn delete<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message_id: &'a MessageId,
    ) -> BoxFuture<'a, Result<(), ActionError>>;

    /// Reacts to a message with `emoji` (an empty string removes the reaction).
    fn react<'a>(
        &'a self,
        target: &'a OutboundTarget,
        message_id: &'a MessageId,
        emoji: &'a str,
    ) -> BoxFuture<'a, Result<(), ActionError>>;

    /// Shows the typing indicator in `target` for a few seconds (platforms that have none do
    /// nothing).
    fn typing<'a>(&'a self, target: &'a OutboundTarget) -> BoxFuture<'a, Result<(), ActionError>>;

    /// Checks the credentials and the connection without receiving anything.
    fn probe(&self) -> BoxFuture<'_, Result<ProbeReport, ChannelError>>;

    /// Signs the account out of the platform where that means something (Telegram drops its
    /// webhook; IRC quits).
    fn logout(&self) -> BoxFuture<'_, Result<(), ChannelError>>;

    /// Downloads `attachment` into `dest`, refusing more than `max_bytes`. Returns the bytes
    /// written.
    fn download<'a>(
        &'a self,
        attachment: &'a ReceivedAttachment,
        dest: &'a Path,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<u64, ActionError>>;
}
