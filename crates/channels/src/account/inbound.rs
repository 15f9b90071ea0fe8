//! What an account receives, and the sink it hands it to.
//!
//! The sink is the acknowledgement point: [`InboundSink::store`] returns once the batch is in
//! the router's durable journal, and only then may the account tell its platform the messages
//! arrived (Telegram's next `getUpdates` offset). A crash before that leaves them on the
//! platform, which sends them again; the journal recognises the ones it already has.

pub use rustyclaw_protocol::attachment::AttachmentKind;
use rustyclaw_protocol::origin::{Chat, MessageId, Sender};
use rustyclaw_protocol::session_entry::ThreadId;
use tokio::sync::{mpsc, oneshot};

/// An attachment of a received message, as the platform describes it (not downloaded yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedAttachment {
    /// What it is.
    pub kind: AttachmentKind,
    /// The platform's handle to fetch it with (Telegram's `file_id`).
    pub file_id: String,
    /// Its file name, when the platform gives one.
    pub file_name: Option<String>,
    /// Its MIME type, when known.
    pub mime_type: Option<String>,
    /// Its size in bytes, when known.
    pub size_bytes: Option<u64>,
}

/// A message an account received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The platform's id of the message, unique within its chat.
    pub message_id: MessageId,
    /// The chat it was posted in (a group's id, or the sender's for a direct message).
    pub chat: Chat,
    /// The thread or forum topic within the chat.
    pub thread_id: Option<ThreadId>,
    /// Who sent it.
    pub sender: Option<Sender>,
    /// Other spellings of the sender allowlists may name (an IRC `nick!user@host`).
    pub sender_aliases: Vec<String>,
    /// The message it replies to.
    pub reply_to_id: Option<MessageId>,
    /// The text (a caption for media; a button's data for a callback).
    pub text: String,
    /// Attachments, in order.
    pub attachments: Vec<ReceivedAttachment>,
    /// The platform marks it as mentioning the account (`@botname` entity, nick prefix).
    pub mentions_bot: bool,
    /// It replies to one of the account's own messages.
    pub replies_to_bot: bool,
    /// When it was received, Unix milliseconds.
    pub received_ms: i64,
}

/// Messages received together, with the acknowledgement that goes with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundBatch {
    /// The messages, in the platform's order (may be empty when only the offset moves).
    pub messages: Vec<ReceivedMessage>,
    /// Where the account resumes reading once these are stored (Telegram: the last
    /// `update_id` + 1); `None` for platforms without an offset.
    pub next_offset: Option<i64>,
}

/// What storing a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Stored; acknowledge it.
    Stored,
    /// The journal could not store it; do not acknowledge it (the platform sends it again),
    /// and try again later.
    Failed,
}

/// The sink closed: the gateway is shutting down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the router is no longer taking messages")]
pub struct SinkClosed;

/// Where an account hands what it receives. Cheap to clone.
#[derive(Debug, Clone)]
pub struct InboundSink {
    sender: mpsc::Sender<(InboundBatch, oneshot::Sender<StoreOutcome>)>,
}

impl InboundSink {
    /// A sink and the receiver its batches arrive on, each with the channel its outcome is
    /// sent back on. `capacity` batches may wait.
    #[allow(clippy::type_complexity)]
    pub fn new(
        capacity: usize,
    ) -> (
        Self,
        mpsc::Receiver<(InboundBatch, oneshot::Sender<StoreOutcome>)>,
    ) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        (Self { sender }, receiver)
    }

    /// Hands `batch` over and waits until it is stored (or could not be).
    pub async fn store(&self, batch: InboundBatch) -> Result<StoreOutcome, SinkClosed> {
        let (reply, outcome) = oneshot::channel();
        self.sender
            .send((batch, reply))
            .await
            .map_err(|_| SinkClosed)?;
        outcome.await.map_err(|_| SinkClosed)
    }
}
