//! A run's outcome turned into deliveries: the reply cut into the platform's messages by the
//! account, threaded by `replyToMode`, and queued with the messages it answers marked in the
//! same durable transaction; the typing indicator while the run is busy; replies that need no
//! run (a pairing code, a refusal).
//!
//! A turn that answered several messages at once (a collected burst) hands the same outcome to
//! each of their runs: the first watcher to claim the batch delivers it once and marks every
//! message of the batch, the others do nothing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustyclaw_agent::{RunId, RunOutcome, RunStatus};
use rustyclaw_channels::account::{OutboundMessage, OutboundTarget, TextSettings};
use rustyclaw_config::file::ReplyToMode;
use rustyclaw_config::{AccountSettings, Config};
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::origin::MessageOrigin;
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_store::{AnsweredRun, DeliveryRecord, DeliveryTarget, InboundEnd, StoredInbound};
use rustyclaw_support::now_ms_i64;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::hub::{AccountKey, Hub, lock};
use super::limits::DELIVERY_TTL_MS;
use super::streamed::{Streamed, without_streamed};

/// How often the typing indicator is renewed (platforms show it for about five seconds).
const TYPING_EVERY: Duration = Duration::from_secs(4);

/// Batches already claimed by a watcher, most recent last (bounded).
static CLAIMED: Mutex<VecDeque<RunId>> = Mutex::new(VecDeque::new());
const CLAIMED_KEPT: usize = 1024;

/// Whether this watcher delivers `outcome` (the first to claim its batch does).
pub(crate) fn claim(outcome: &RunOutcome) -> bool {
    let Some(first) = outcome.answered.first() else {
        return true;
    };
    let mut claimed = lock(&CLAIMED);
    if claimed.contains(first) {
        return false;
    }
    claimed.push_back(first.clone());
    while claimed.len() > CLAIMED_KEPT {
        claimed.pop_front();
    }
    true
}

/// What the answer path waits on for one dispatched run.
pub(crate) struct Watch {
    /// The run.
    pub run_id: RunId,
    /// Its session.
    pub session_key: SessionKey,
    /// Its outcome, once it ends.
    pub outcome: oneshot::Receiver<RunOutcome>,
    /// The typing indicator, stopped when it ends.
    pub typing: Option<JoinHandle<()>>,
    /// Its block stream, which says what of the reply it already sent.
    pub blocks: Option<JoinHandle<Streamed>>,
}

/// The longest wait for a block stream to queue its last blocks once the run ended.
const BLOCKS_SETTLE: Duration = Duration::from_secs(10);

/// Waits for the run answering `message`, stops the typing indicator, and answers.
pub(crate) async fn await_outcome(
    hub: Arc<Hub>,
    key: AccountKey,
    message: StoredInbound,
    watch: Watch,
) {
    let Watch {
        run_id,
        session_key,
        outcome,
        typing,
        blocks,
    } = watch;
    let outcome = outcome.await;
    if let Some(typing) = typing {
        typing.abort();
    }
    let streamed_here = match blocks {
        Some(blocks) => Some(
            tokio::time::timeout(BLOCKS_SETTLE, blocks)
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default(),
        ),
        None => None,
    };
    lock(&hub.dispatched).remove(&run_id);
    let Ok(outcome) = outcome else {
        // The runtime stopped (the gateway is shutting down): the message stays dispatched, and
        // the next start finds how its run ended.
        return;
    };
    if !claim(&outcome) {
        return;
    }
    let batch: Vec<String> = if outcome.answered.is_empty() {
        vec![run_id.0.clone()]
    } else {
        outcome.answered.iter().map(|r| r.0.clone()).collect()
    };
    let answered = match hub.store.inbound_dispatched_to(&batch).await {
        Ok(rows) => rows,
        Err(error) => {
            tracing::error!(account = %key, %error, "cannot read the messages a run answered; they are answered at the next start");
            return;
        }
    };
    let ids: Vec<_> = answered.iter().map(|m| m.id).collect();
    let config = hub.config();
    let Some(settings) = hub.settings(&key) else {
        tracing::warn!(account = %key, "a reply for an account no longer configured is dropped");
        finish(&hub, &key, &ids, &[], InboundEnd::Failed).await;
        return;
    };
    // The reply goes where the batch's last message came from, when that is this account.
    let origin = if same_account(&outcome.origin, &key) && outcome.origin.chat.is_some() {
        outcome.origin.clone()
    } else {
        message.record.origin()
    };
    let (payloads, end) = match outcome.status {
        RunStatus::Done => {
            let mut payloads = outcome.payloads.clone();
            if let Some(here) = streamed_here {
                let streamed = streamed_by_batch(&hub, here, &batch).await;
                payloads = without_streamed(payloads, &streamed);
            }
            (payloads, InboundEnd::Answered)
        }
        RunStatus::Aborted => (Vec::new(), InboundEnd::Failed),
        RunStatus::Failed | RunStatus::TimedOut => {
            let error = outcome
                .error
                .clone()
                .unwrap_or_else(|| "the run failed".to_owned());
            let reply_to = origin.message_id.clone();
            (
                vec![ReplyPayload::text(format!("⚠️ {error}"), reply_to)],
                InboundEnd::Failed,
            )
        }
    };
    // `MEDIA:` lines become attachments, local ones only from the agent's workspace or the
    // received media.
    let agent = session_key
        .agent_id()
        .unwrap_or_else(rustyclaw_protocol::AgentId::main);
    let mut roots: Vec<std::path::PathBuf> = config
        .agents
        .list
        .iter()
        .filter(|a| a.id == agent.as_str())
        .map(|a| a.workspace.clone())
        .collect();
    roots.push(hub.media_dir.clone());
    let payloads: Vec<ReplyPayload> = payloads
        .iter()
        .map(|p| super::reply_media::split_media(p, &roots))
        .collect();
    let answers = AnsweredRun {
        run_id: run_id.0.clone(),
        session_key,
    };
    let records = deliveries(
        &hub,
        &key,
        &config,
        &settings,
        &origin,
        &payloads,
        Some(answers),
        answered.len() > 1,
    );
    finish(&hub, &key, &ids, &records, end).await;
}

/// What the batch's block streams sent: this run's stream, or when a turn answered several
/// runs and another's stream did the streaming, what the store says that one covered.
async fn streamed_by_batch(hub: &Hub, here: Streamed, batch: &[String]) -> Streamed {
    if !here.covered.is_empty() {
        return here;
    }
    for run in batch {
        if let Ok(Some(covered)) = hub.store.streamed_prefix(run).await {
            return Streamed {
                covered,
                ..Streamed::default()
            };
        }
    }
    here
}

fn same_account(origin: &MessageOrigin, key: &AccountKey) -> bool {
    origin.channel_id() == Some(key.channel.as_str())
        && origin.account_id.as_ref().map(|a| a.as_str()) == Some(key.account.as_str())
}

/// Queues `records` and ends the messages `ids`, in one transaction; wakes the delivery worker.
async fn finish(
    hub: &Hub,
    key: &AccountKey,
    ids: &[rustyclaw_store::InboundId],
    records: &[DeliveryRecord],
    end: InboundEnd,
) {
    match hub
        .store
        .answer_inbound(ids, records, end, now_ms_i64())
        .await
    {
        Ok(_) => hub.deliveries.notify_one(),
        Err(error) => {
            tracing::error!(account = %key, %error, "cannot store a reply; it is stored at the next start");
        }
    }
}

/// Answers `message` with `text` without a run (a pairing code, a refusal).
pub(crate) async fn reply_without_run(
    hub: &Arc<Hub>,
    key: &AccountKey,
    message: &StoredInbound,
    text: String,
) {
    let config = hub.config();
    let Some(settings) = hub.settings(key) else {
        return;
    };
    let origin = message.record.origin();
    let payload = ReplyPayload::text(text, origin.message_id.clone());
    let records = deliveries(
        hub,
        key,
        &config,
        &settings,
        &origin,
        &[payload],
        None,
        false,
    );
    let ids = hub.take_burst(message.id);
    finish(hub, key, &ids, &records, InboundEnd::Answered).await;
}

/// A channel's `textChunkLimit` when the account sets none (upstream's defaults).
fn default_chunk_limit(channel: &str) -> usize {
    match channel {
        "telegram" => rustyclaw_channels::text::TELEGRAM_TEXT_CHUNK_LIMIT,
        "irc" => rustyclaw_channels::text::IRC_TEXT_CHUNK_LIMIT,
        _ => rustyclaw_channels::text::DEFAULT_TEXT_CHUNK_LIMIT,
    }
}

/// The text settings of an account: `textChunkLimit`, `chunkMode`, `responsePrefix` (the
/// account's, else `messages.responsePrefix`).
pub(crate) fn text_settings(
    key: &AccountKey,
    config: &Config,
    settings: &AccountSettings,
) -> TextSettings {
    TextSettings {
        chunk_limit: settings
            .text_chunk_limit
            .unwrap_or_else(|| default_chunk_limit(&key.channel))
            .max(1),
        chunk_mode: match settings.chunk_mode {
            Some(rustyclaw_config::file::ChunkMode::Newline) => {
                rustyclaw_channels::text::ChunkMode::Newline
            }
            _ => rustyclaw_channels::text::ChunkMode::Length,
        },
        response_prefix: settings
            .response_prefix
            .clone()
            .or_else(|| config.messages.response_prefix.clone())
            .filter(|p| !p.trim().is_empty()),
    }
}

/// The delivery rows of `payloads` to `origin`'s chat, prepared by the account.
#[allow(clippy::too_many_arguments)]
pub(crate) fn deliveries(
    hub: &Hub,
    key: &AccountKey,
    config: &Config,
    settings: &AccountSettings,
    origin: &MessageOrigin,
    payloads: &[ReplyPayload],
    answers: Option<AnsweredRun>,
    batched: bool,
) -> Vec<DeliveryRecord> {
    let Some(adapter) = hub.adapter(key) else {
        tracing::warn!(account = %key, "the account is not running; its reply waits for it");
        return prepared_later(key, origin, payloads, answers);
    };
    let Some(chat) = origin.chat.as_ref() else {
        return Vec::new();
    };
    let text = text_settings(key, config, settings);
    let mode = settings
        .reply_to_mode
        .unwrap_or(default_reply_mode(&key.channel));
    let now = now_ms_i64();
    let mut records = Vec::new();
    let mut first = true;
    for payload in payloads {
        for message in adapter.prepare(payload, &text) {
            let reply_to = match mode {
                ReplyToMode::Off => None,
                ReplyToMode::All => payload.reply_to_id.clone(),
                ReplyToMode::First => first.then(|| payload.reply_to_id.clone()).flatten(),
                ReplyToMode::Batched => (batched && first)
                    .then(|| payload.reply_to_id.clone())
                    .flatten(),
            };
            first = false;
            records.push(record(
                key,
                chat.id.clone(),
                origin,
                reply_to,
                message,
                answers.clone(),
                now,
            ));
        }
    }
    records
}

fn default_reply_mode(channel: &str) -> ReplyToMode {
    // OpenClaw's defaults: Telegram quotes the first message, IRC references all.
    if channel == "irc" {
        ReplyToMode::All
    } else {
        ReplyToMode::First
    }
}

/// Rows for an account that is not running (stopped by a reload or a logout while the run was
/// busy): the text cut at the channel's limit as plain text, so the account sends it as it is
/// once it runs again; nothing is lost.
fn prepared_later(
    key: &AccountKey,
    origin: &MessageOrigin,
    payloads: &[ReplyPayload],
    answers: Option<AnsweredRun>,
) -> Vec<DeliveryRecord> {
    let Some(chat) = origin.chat.as_ref() else {
        return Vec::new();
    };
    let options = rustyclaw_channels::text::ChunkOptions {
        limit: default_chunk_limit(&key.channel),
        mode: rustyclaw_channels::text::ChunkMode::Length,
    };
    let now = now_ms_i64();
    let mut records = Vec::new();
    for payload in payloads {
        let mut chunks = rustyclaw_channels::text::chunk_markdown(&payload.text, &options);
        if chunks.is_empty() && !payload.media.is_empty() {
            chunks.push(String::new());
        }
        let last = chunks.len().saturating_sub(1);
        for (n, text) in chunks.into_iter().enumerate() {
            let message = OutboundMessage {
                text,
                fallback_text: None,
                // Attachments ride with the last piece of text.
                media: if n == last {
                    payload.media.clone()
                } else {
                    Vec::new()
                },
            };
            let reply_to = (n == 0).then(|| payload.reply_to_id.clone()).flatten();
            records.push(record(
                key,
                chat.id.clone(),
                origin,
                reply_to,
                message,
                answers.clone(),
                now,
            ));
        }
    }
    records
}

fn record(
    key: &AccountKey,
    chat: rustyclaw_protocol::origin::ChatId,
    origin: &MessageOrigin,
    reply_to: Option<rustyclaw_protocol::origin::MessageId>,
    message: OutboundMessage,
    answers: Option<AnsweredRun>,
    now: i64,
) -> DeliveryRecord {
    DeliveryRecord {
        channel: key.channel_id(),
        account: key.account_id(),
        target: DeliveryTarget {
            chat,
            thread_id: origin.thread_id.clone(),
            reply_to_id: reply_to,
        },
        text: message.text,
        fallback_text: message.fallback_text,
        media: message.media,
        answers,
        created_ms: now,
        expires_ms: now.saturating_add(DELIVERY_TTL_MS),
    }
}

/// Keeps the typing indicator on in the message's chat until the returned task is aborted.
pub(crate) fn keep_typing(
    hub: &Arc<Hub>,
    key: &AccountKey,
    message: &StoredInbound,
) -> Option<JoinHandle<()>> {
    let adapter = hub.adapter(key)?;
    if !adapter.capabilities().typing {
        return None;
    }
    let target = OutboundTarget {
        chat: message.record.chat.id.clone(),
        thread_id: message.record.thread_id.clone(),
        reply_to_id: None,
    };
    Some(tokio::spawn(async move {
        loop {
            if let Err(error) = adapter.typing(&target).await {
                tracing::debug!(%error, "typing indicator failed");
            }
            tokio::time::sleep(TYPING_EVERY).await;
        }
    }))
}

#[cfg(test)]
mod tests {
    use rustyclaw_protocol::origin::{Chat, ChatId, MessageId};
    use rustyclaw_protocol::reply::MediaRef;
    use rustyclaw_protocol::session_entry::ChatType;

    use super::*;

    #[test]
    fn a_reply_for_an_account_not_running_is_kept_in_pieces_it_can_send_later() {
        let key = AccountKey::new("telegram", "default");
        let origin = MessageOrigin {
            chat: Some(Chat {
                kind: ChatType::Direct,
                id: ChatId::new("42"),
            }),
            ..MessageOrigin::default()
        };
        let mut payload = ReplyPayload::text("word ".repeat(2_000), Some(MessageId::new("7")));
        payload.media = vec![MediaRef::Url("https://example.com/a.png".into())];
        let records = prepared_later(&key, &origin, &[payload], None);
        assert!(records.len() >= 3, "{}", records.len());
        assert!(
            records
                .iter()
                .all(|r| r.text.encode_utf16().count() <= 4_000)
        );
        assert_eq!(records[0].target.reply_to_id, Some(MessageId::new("7")));
        assert!(records[1..].iter().all(|r| r.target.reply_to_id.is_none()));
        assert!(
            records[..records.len() - 1]
                .iter()
                .all(|r| r.media.is_empty())
        );
        assert_eq!(records.last().map(|r| r.media.len()), Some(1));
    }
}
