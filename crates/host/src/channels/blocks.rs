//! Block streaming (`streaming.block.enabled`, `agents.defaults.blockStreamingDefault`): a
//! reply sent in blocks while the model writes it, as OpenClaw's `concepts/streaming.md`
//! describes.
//!
//! The run's text is cut by [`BlockChunker`] (at `blockStreamingChunk`'s bounds, capped by the
//! channel's `textChunkLimit`), either as it arrives (`blockStreamingBreak: "text_end"`) or when
//! each message of the model ends (`"message_end"`); the text a model writes before calling a
//! tool is sent whole when the call starts. Consecutive blocks are merged
//! (`blockStreamingCoalesce`, a channel's `streaming.block.coalesce` first) until they are long
//! enough and no new one came for `idleMs`, and `humanDelay` pauses between them.
//!
//! Blocks take the durable delivery queue like any reply, each queued together with how much of
//! the model's current message it covers ([`Store::queue_streamed_block`]). When the run ends,
//! [`super::streamed::remainder`] is what the final reply still has to say: the answer path queues only that,
//! with the messages it answers, in one transaction; and a restart between the two finds the
//! covered part in the store and sends only the rest ([`super::streamed`]). `MEDIA:` lines never leave in a block:
//! they ride with the remainder, where they become attachments. A Telegram account streaming
//! blocks shows no preview draft (two streams of one reply would be one too many).
//!
//! [`Store::queue_streamed_block`]: rustyclaw_store::Store::queue_streamed_block

use std::sync::Arc;
use std::time::Duration;

use rustyclaw_agent::{EventKind, RunEvents, RunId};
use rustyclaw_channels::text::{BlockBounds, BlockChunker, BreakPreference};
use rustyclaw_config::file::{BlockBreakPreference, BlockStreamingBreak, StreamingMode};
use rustyclaw_config::{AccountSettings, Config};
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_store::{AnsweredRun, StoredInbound};
use rustyclaw_support::now_ms_i64;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::answer::{deliveries, text_settings};
use super::hub::{AccountKey, Hub};
use super::streamed::Streamed;

/// Longest wait for idle blocks to be merged (upstream's bound on `idleMs`).
const MAX_IDLE: Duration = Duration::from_secs(5);

/// How one account streams blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    bounds: BlockBounds,
    break_at: BlockStreamingBreak,
    coalesce_min: usize,
    coalesce_max: usize,
    idle: Duration,
    joiner: &'static str,
    human_delay: Option<(u64, u64)>,
}

/// The plan of an account, when it streams blocks: its `streaming.block.enabled`, else the
/// agents' `blockStreamingDefault` — except that a Telegram account whose preview mode is
/// written (and not `off`) keeps its preview unless blocks are turned on for it explicitly.
pub(crate) fn plan(config: &Config, key: &AccountKey, settings: &AccountSettings) -> Option<Plan> {
    let defaults = &config.agents.defaults.block_streaming;
    let telegram = config
        .channel_accounts
        .telegram
        .iter()
        .find(|a| key.channel == "telegram" && a.common.account_id == key.account);
    let preview_written =
        telegram.is_some_and(|a| a.streaming_written && a.streaming != StreamingMode::Off);
    let enabled = settings
        .block_streaming
        .unwrap_or(defaults.on && !preview_written);
    if !enabled {
        return None;
    }
    let limit = text_settings(key, config, settings).chunk_limit;
    let max_chars = defaults.max_chars.min(limit).max(1);
    let min_chars = defaults.min_chars.min(max_chars);
    let coalesce = settings
        .block_coalesce
        .clone()
        .unwrap_or_else(|| defaults.coalesce.clone());
    let coalesce_max = coalesce
        .max_chars
        .map_or(limit, |n| n as usize)
        .clamp(1, max_chars);
    let coalesce_min = coalesce
        .min_chars
        .map_or(min_chars, |n| n as usize)
        .min(coalesce_max);
    let (preference, joiner) = match defaults.preference {
        BlockBreakPreference::Paragraph => (BreakPreference::Paragraph, "\n\n"),
        BlockBreakPreference::Newline => (BreakPreference::Newline, "\n"),
        BlockBreakPreference::Sentence => (BreakPreference::Sentence, " "),
    };
    Some(Plan {
        bounds: BlockBounds {
            min_chars,
            max_chars,
            preference,
        },
        break_at: defaults.break_at,
        coalesce_min,
        coalesce_max,
        idle: Duration::from_millis(coalesce.idle_ms.unwrap_or(1_000)).min(MAX_IDLE),
        joiner,
        human_delay: defaults.human_delay,
    })
}

/// Blocks cut and not sent yet.
#[derive(Debug, Default)]
struct Pending {
    /// Their texts, `MEDIA:` lines taken out.
    texts: Vec<String>,
    /// The `MEDIA:` lines taken out of them.
    media: Vec<String>,
    /// The message text covered once they are sent.
    covers: String,
}

impl Pending {
    fn len(&self, joiner: &str) -> usize {
        let texts: usize = self.texts.iter().map(|t| t.chars().count()).sum();
        texts + joiner.len() * self.texts.len().saturating_sub(1)
    }
}

/// What the stream sent so far.
#[derive(Debug, Default)]
struct Sent {
    /// Messages queued.
    count: usize,
    /// The current message's text they covered.
    covered: String,
    /// The current message's `MEDIA:` lines they held back.
    media_lines: Vec<String>,
}

/// The block stream of one run, set up before the run is submitted (so it misses none of its
/// events).
pub(crate) struct BlockStream {
    hub: Arc<Hub>,
    key: AccountKey,
    settings: AccountSettings,
    message: StoredInbound,
    run_id: RunId,
    session_key: SessionKey,
    plan: Plan,
    events: RunEvents,
}

impl BlockStream {
    /// The stream of run `run_id` (in `session_key`), which answers `message`, when the
    /// account streams blocks.
    pub(crate) fn follow(
        hub: &Arc<Hub>,
        key: &AccountKey,
        settings: &AccountSettings,
        message: &StoredInbound,
        run_id: &RunId,
        session_key: &SessionKey,
    ) -> Option<Self> {
        let plan = plan(&hub.config(), key, settings)?;
        Some(Self {
            hub: hub.clone(),
            key: key.clone(),
            settings: settings.clone(),
            message: message.clone(),
            run_id: run_id.clone(),
            session_key: session_key.clone(),
            plan,
            events: hub.runtime.follow_run(run_id),
        })
    }

    /// Streams in a task of its own until the run ends; the task says what was covered.
    pub(crate) fn spawn(self) -> JoinHandle<Streamed> {
        tokio::spawn(self.run())
    }

    async fn run(mut self) -> Streamed {
        let mut chunker = BlockChunker::new(self.plan.bounds);
        let mut pending = Pending::default();
        let mut sent = Sent::default();
        let mut last_cut = Instant::now();
        loop {
            let flush_at = (!pending.texts.is_empty()).then_some(last_cut + self.plan.idle);
            tokio::select! {
                biased;
                event = self.events.next() => match event {
                    None | Some(EventKind::Finished(_)) => break,
                    Some(EventKind::AssistantDelta { delta }) => {
                        chunker.append(&delta);
                        if self.plan.break_at == BlockStreamingBreak::TextEnd
                            && !maybe_silent(chunker.text())
                        {
                            let blocks = chunker.drain();
                            if !blocks.is_empty() {
                                last_cut = Instant::now();
                                take(blocks, chunker.covered(), &mut pending);
                            }
                            if pending.len(self.plan.joiner) >= self.plan.coalesce_max {
                                self.send(&mut pending, &mut sent).await;
                            }
                        }
                    }
                    // The message calling the tool is over: all of it leaves now, and the next
                    // message starts afresh.
                    Some(EventKind::ToolStarted { .. }) => {
                        if !maybe_silent(chunker.text()) {
                            let blocks = chunker.finish();
                            take(blocks, chunker.covered(), &mut pending);
                        }
                        self.send(&mut pending, &mut sent).await;
                        chunker = BlockChunker::new(self.plan.bounds);
                        pending = Pending::default();
                        sent.covered.clear();
                        sent.media_lines.clear();
                    }
                    // The model that failed is replaced: what it wrote and was not sent is
                    // not the answer.
                    Some(EventKind::Failover { .. }) => {
                        chunker = BlockChunker::new(self.plan.bounds);
                        pending = Pending::default();
                        sent.covered.clear();
                        sent.media_lines.clear();
                    }
                    Some(_) => {}
                },
                () = sleep_until(flush_at.unwrap_or_else(Instant::now)), if flush_at.is_some() => {
                    if pending.len(self.plan.joiner) >= self.plan.coalesce_min {
                        self.send(&mut pending, &mut sent).await;
                    } else {
                        // Too short to go alone: it waits for more, or for the run's end.
                        last_cut = Instant::now() + Duration::from_secs(3600);
                    }
                }
            }
        }
        // Blocks already cut leave before the rest of the reply.
        self.send(&mut pending, &mut sent).await;
        let reopen = if sent.covered == chunker.covered() {
            reopen_of(&chunker)
        } else {
            None
        };
        Streamed {
            covered: sent.covered,
            reopen,
            media_lines: sent.media_lines,
        }
    }

    /// Sends the pending blocks as one message (merged), durably, with what they cover.
    async fn send(&self, pending: &mut Pending, sent: &mut Sent) {
        if pending.texts.is_empty() {
            // Nothing to say yet (at most `MEDIA:` lines, still in the uncovered text).
            return;
        }
        let batch = std::mem::take(pending);
        if sent.count > 0
            && let Some((min, max)) = self.plan.human_delay
        {
            tokio::time::sleep(Duration::from_millis(fastrand::u64(min..=max))).await;
        }
        let config = self.hub.config();
        let origin = self.message.record.origin();
        let reply_to = (sent.count == 0)
            .then(|| origin.message_id.clone())
            .flatten();
        let payload = ReplyPayload::text(batch.texts.join(self.plan.joiner), reply_to);
        let answers = AnsweredRun {
            run_id: self.run_id.0.clone(),
            session_key: self.session_key.clone(),
        };
        let records = deliveries(
            &self.hub,
            &self.key,
            &config,
            &self.settings,
            &origin,
            &[payload],
            Some(answers),
            false,
        );
        match self
            .hub
            .store
            .queue_streamed_block(&self.run_id.0, &batch.covers, &records, now_ms_i64())
            .await
        {
            Ok(_) => {
                sent.count += 1;
                sent.covered = batch.covers;
                sent.media_lines.extend(batch.media);
                self.hub.deliveries.notify_one();
            }
            Err(error) => {
                tracing::error!(account = %self.key, %error, "cannot queue a streamed block; the final reply says it instead");
            }
        }
    }
}

/// Adds cut blocks to `pending`, `MEDIA:` lines taken out; `covered` is the message text
/// covered once they are sent.
fn take(blocks: Vec<String>, covered: &str, pending: &mut Pending) {
    for block in blocks {
        let (kept, media): (Vec<&str>, Vec<&str>) = block
            .lines()
            .partition(|line| !line.trim_start().starts_with("MEDIA:"));
        pending.media.extend(media.into_iter().map(str::to_owned));
        let text = kept.join("\n").trim().to_owned();
        if !text.is_empty() {
            pending.texts.push(text);
        }
    }
    pending.covers = covered.to_owned();
}

/// The fence the chunker will reopen, when its last cut fell inside one.
fn reopen_of(chunker: &BlockChunker) -> Option<String> {
    let rest = chunker.rest();
    let uncovered = &chunker.text()[chunker.covered().len()..];
    rest.strip_suffix(uncovered)
        .filter(|prefix| !prefix.is_empty())
        .map(str::to_owned)
}

/// Whether the message so far may still become `NO_REPLY` (which sends nothing).
fn maybe_silent(text: &str) -> bool {
    let trimmed = text.trim();
    !trimmed.is_empty() && "NO_REPLY".starts_with(&trimmed.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_that_may_still_be_no_reply_is_held() {
        assert!(maybe_silent("NO_"));
        assert!(maybe_silent(" no_reply "));
        assert!(!maybe_silent("No, really"));
        assert!(!maybe_silent(""));
    }
}
