//! Telegram's preview streaming (`channels.telegram.streaming.mode`, as OpenClaw 2026.9.6's
//! `channels/telegram/messaging.md` describes it): while a run is busy, its chat shows one
//! message that says so, edited as the run goes and deleted when it ends.
//!
//! - `progress` (the default) is upstream's quiet status draft: the label "Working", and once
//!   the model has written a preamble before calling tools, that preamble as the status
//!   headline instead;
//! - `partial` shows the answer as it is written, rendered by the account, for as long as it
//!   fits one message.
//!
//! The reply itself never goes through here. It takes the durable delivery queue
//! ([`answer`](super::answer)) exactly as without a preview, so the preview is deleted in
//! `partial` mode too, where upstream edits the final text into it: the queue's guarantee (a
//! reply stored before anything is sent, then sent once) stays whole, and the preview is only a
//! courtesy. It is sent, edited and deleted directly, never stored; a failure is logged and
//! never fails the run or its reply. A process that dies mid-run leaves its draft behind.
//!
//! Pacing follows upstream's draft stream: nothing until the run has been busy for 1.5 s after
//! its first activity (an instant answer makes no draft), at most one edit a second, a
//! rate-limited call waited out (a minute at most), and after three failures in a row the
//! preview stops changing — it is still deleted when the run ends, whatever the end.

use std::sync::Arc;
use std::time::Duration;

use rustyclaw_agent::{EventKind, RunEvents, RunId};
use rustyclaw_channels::account::{
    ActionError, ChannelAccount, OutboundMessage, OutboundTarget, SendFailure, TextSettings,
};
use rustyclaw_config::file::{ReplyToMode, StreamingMode};
use rustyclaw_config::{AccountSettings, Config};
use rustyclaw_protocol::origin::MessageId;
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_store::StoredInbound;
use tokio::time::{Instant, sleep, sleep_until};

use super::answer::text_settings;
use super::hub::{AccountKey, Hub};

/// How long a run must stay busy after its first activity before it gets a preview
/// (upstream's `DEFAULT_PROGRESS_DRAFT_INITIAL_DELAY_MS`).
const INITIAL_DELAY: Duration = Duration::from_millis(1500);
/// The least time between two changes of the preview (upstream's draft stream throttle).
const CHANGE_EVERY: Duration = Duration::from_secs(1);
/// The longest a rate limit holds the preview back (upstream's `MAX_PREVIEW_FLOOD_SUSPEND_MS`).
const LONGEST_PAUSE: Duration = Duration::from_secs(60);
/// The pause after the first failed edit, doubled after each further one. The channel contract
/// reports a failed edit without Telegram's `retry_after` (a send carries it), so an edit that
/// fails is taken for a rate limit of unknown length.
const FAILED_EDIT_PAUSE: Duration = Duration::from_secs(5);
/// Failures in a row after which the preview stops changing
/// (upstream's `MAX_CONSECUTIVE_PREVIEW_FAILURES`).
const MAX_FAILURES: u32 = 3;
/// Tries at deleting the preview when the run ends, and the pause before the second.
const DELETE_TRIES: u32 = 3;
const DELETE_PAUSE: Duration = Duration::from_secs(2);
/// The status label of a draft with no headline (upstream's `DEFAULT_PROGRESS_DRAFT_LABELS`).
const PROGRESS_LABEL: &str = "Working";
/// The longest status headline, in characters (upstream's `progress.maxLineChars` default).
const HEADLINE_MAX_CHARS: usize = 120;
/// Tools that are not work: a run calling only these gets no draft for them
/// (upstream's `NON_WORK_PROGRESS_TOOL_NAMES`).
const NOT_WORK: [&str; 9] = [
    "message",
    "messages",
    "reply",
    "send",
    "reaction",
    "react",
    "typing",
    "progress_card",
    "update_plan",
];

/// What a preview shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A status draft.
    Progress,
    /// The answer as it is written.
    Partial,
}

/// The preview of one run, set up before the run is submitted (so it misses none of its
/// events) and started once it is.
pub(crate) struct Preview {
    mode: Mode,
    key: AccountKey,
    adapter: Arc<dyn ChannelAccount>,
    target: OutboundTarget,
    text: TextSettings,
    events: RunEvents,
}

impl Preview {
    /// The preview of run `run_id`, which answers `message`, when the account streams
    /// previews: a Telegram account whose `streaming.mode` is `progress` or `partial` and
    /// whose adapter can edit and delete what it sent.
    pub(crate) fn follow(
        hub: &Hub,
        key: &AccountKey,
        settings: &AccountSettings,
        message: &StoredInbound,
        run_id: &RunId,
    ) -> Option<Self> {
        let config = hub.config();
        let mode = match streaming_mode(&config, key)? {
            StreamingMode::Progress => Mode::Progress,
            StreamingMode::Partial => Mode::Partial,
            StreamingMode::Off | StreamingMode::Block => return None,
        };
        let adapter = hub.adapter(key)?;
        let can = adapter.capabilities();
        if !(can.edit && can.delete) {
            return None;
        }
        let mut text = text_settings(key, &config, settings);
        text.response_prefix = None;
        let record = &message.record;
        let reply_to_id = match settings.reply_to_mode {
            Some(ReplyToMode::Off) => None,
            _ => Some(record.message_id.clone()),
        };
        Some(Self {
            mode,
            key: key.clone(),
            adapter,
            target: OutboundTarget {
                chat: record.chat.id.clone(),
                thread_id: record.thread_id.clone(),
                reply_to_id,
            },
            text,
            events: hub.runtime.follow_run(run_id),
        })
    }

    /// Drives the preview in a task of its own until the run ends.
    pub(crate) fn spawn(self) {
        tokio::spawn(self.run());
    }

    async fn run(mut self) {
        let mut view = RunView::default();
        let mut draft = Draft::default();
        let mut opens_at: Option<Instant> = None;
        let mut open = false;
        let mut changed = false;
        loop {
            let wake = if open {
                (changed && !draft.stuck).then_some(draft.quiet_until)
            } else {
                opens_at
            };
            tokio::select! {
                // The run's end goes first: a run that ends gets no draft from then on.
                biased;
                event = self.events.next() => match event {
                    // `None`: the runtime went away (the gateway is stopping).
                    None | Some(EventKind::Finished(_)) => break,
                    Some(kind) => {
                        changed |= view.note(self.mode, &kind);
                        if view.active && opens_at.is_none() {
                            opens_at = Some(Instant::now() + INITIAL_DELAY);
                        }
                    }
                },
                () = sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                    open = true;
                    // A change that could not be shown yet is tried again after the pause.
                    changed = match view.markdown(self.mode) {
                        Some(markdown) => !self.show(&mut draft, &markdown).await,
                        None => false,
                    };
                }
            }
        }
        self.clear(draft).await;
    }

    /// Puts `markdown` in the preview: sends it, or edits the preview sent. False when that
    /// failed and is worth trying again.
    async fn show(&self, draft: &mut Draft, markdown: &str) -> bool {
        // A text that no longer fits one message leaves the preview as it was.
        let Some(message) = self.render(markdown) else {
            return true;
        };
        if draft.stuck || draft.shown.as_deref() == Some(message.text.as_str()) {
            return true;
        }
        let result = match &draft.id {
            None => match self.adapter.send(&self.target, &message).await {
                Ok(sent) => match sent.message_id {
                    Some(id) => {
                        draft.id = Some(id);
                        Ok(())
                    }
                    None => Err(Failure::Final("the platform gave no message id".to_owned())),
                },
                Err(SendFailure::RetryAfter { wait, message: why }) => {
                    Err(Failure::Wait(wait.min(LONGEST_PAUSE), why))
                }
                Err(SendFailure::Transient(why)) => Err(Failure::Wait(CHANGE_EVERY, why)),
                Err(SendFailure::Permanent(why)) => Err(Failure::Final(why)),
            },
            Some(id) => match self.adapter.edit(&self.target, id, &message).await {
                Ok(()) => Ok(()),
                Err(ActionError::Failed(why)) => {
                    let pause = FAILED_EDIT_PAUSE.saturating_mul(1 << draft.failures.min(4));
                    Err(Failure::Wait(pause.min(LONGEST_PAUSE), why))
                }
                Err(ActionError::RetryAfter { wait, message: why }) => {
                    Err(Failure::Wait(wait.min(LONGEST_PAUSE), why))
                }
                Err(ActionError::Unsupported(why)) => Err(Failure::Final(why)),
            },
        };
        match result {
            Ok(()) => {
                draft.shown = Some(message.text);
                draft.failures = 0;
                draft.quiet_until = Instant::now() + CHANGE_EVERY;
                true
            }
            Err(Failure::Wait(pause, why)) => {
                draft.failures += 1;
                draft.quiet_until = Instant::now() + pause;
                if draft.failures >= MAX_FAILURES {
                    draft.stuck = true;
                    tracing::warn!(account = %self.key, %why, "the preview failed {MAX_FAILURES} times in a row; it stops changing");
                    return true;
                }
                tracing::info!(account = %self.key, %why, ?pause, "the preview could not be updated; it waits");
                false
            }
            Err(Failure::Final(why)) => {
                draft.stuck = true;
                tracing::warn!(account = %self.key, %why, "the preview was refused; it stops changing");
                true
            }
        }
    }

    /// `markdown` as the one message the account would send for it; `None` when it takes
    /// more than one.
    fn render(&self, markdown: &str) -> Option<OutboundMessage> {
        let payload = ReplyPayload::text(markdown.to_owned(), None);
        let mut messages = self.adapter.prepare(&payload, &self.text);
        let message = messages.pop()?;
        (messages.is_empty() && message.media.is_empty()).then_some(message)
    }

    /// Deletes the preview, trying again a few times: a preview must not outlive its run.
    async fn clear(&self, draft: Draft) {
        let Some(id) = draft.id else {
            return;
        };
        let mut pause = DELETE_PAUSE;
        for attempt in 1..=DELETE_TRIES {
            let error = match self.adapter.delete(&self.target, &id).await {
                Ok(()) => return,
                Err(error) => error,
            };
            if attempt == DELETE_TRIES || matches!(error, ActionError::Unsupported(_)) {
                tracing::warn!(account = %self.key, chat = %self.target.chat, message = %id, %error, "the preview could not be deleted; it stays in the chat");
                return;
            }
            tracing::info!(account = %self.key, %error, "the preview could not be deleted yet; trying again");
            sleep(pause).await;
            pause = pause.saturating_mul(2);
        }
    }
}

/// `streaming.mode` of the account `key`, when it is a Telegram account.
fn streaming_mode(config: &Config, key: &AccountKey) -> Option<StreamingMode> {
    if key.channel != "telegram" {
        return None;
    }
    config
        .channel_accounts
        .telegram
        .iter()
        .find(|account| account.common.account_id == key.account)
        .map(|account| account.streaming)
}

/// Why the preview could not change.
enum Failure {
    /// Try again after this long.
    Wait(Duration, String),
    /// Do not try again.
    Final(String),
}

/// The preview message, as far as it got.
struct Draft {
    /// Its id, once sent.
    id: Option<MessageId>,
    /// The rendered text it shows.
    shown: Option<String>,
    /// Failed calls in a row.
    failures: u32,
    /// No call before this (the pace between changes, or a pause after a failure).
    quiet_until: Instant,
    /// It stopped changing (it is still deleted at the end).
    stuck: bool,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            id: None,
            shown: None,
            failures: 0,
            quiet_until: Instant::now(),
            stuck: false,
        }
    }
}

/// What the preview knows of its run.
#[derive(Debug, Default)]
struct RunView {
    /// The run did something: wrote, reasoned, ran a tool at work, compacted.
    active: bool,
    /// The text of the model's current message.
    text: String,
    /// The status headline: the last preamble (the text a message calling tools began with).
    headline: Option<String>,
}

impl RunView {
    /// Takes in one event of the run; whether what the preview shows may have changed.
    fn note(&mut self, mode: Mode, kind: &EventKind) -> bool {
        match kind {
            EventKind::AssistantDelta { delta } => {
                self.active = true;
                self.text.push_str(delta);
                mode == Mode::Partial
            }
            EventKind::ThinkingDelta { .. } | EventKind::Compacted { .. } => {
                self.active = true;
                false
            }
            EventKind::ToolStarted { name, .. } => {
                self.active |= !NOT_WORK.contains(&name.as_str());
                // The message calling the tool is over; what it said is its preamble.
                let preamble = std::mem::take(&mut self.text);
                match headline(&preamble) {
                    Some(headline) if mode == Mode::Progress => {
                        self.headline = Some(headline);
                        true
                    }
                    _ => false,
                }
            }
            // The model that failed is replaced; what it wrote is not the answer.
            EventKind::Failover { .. } => {
                self.text.clear();
                false
            }
            _ => false,
        }
    }

    /// The markdown the preview shows now; `None` while there is nothing to show.
    fn markdown(&self, mode: Mode) -> Option<String> {
        match mode {
            Mode::Progress => Some(
                self.headline
                    .clone()
                    .unwrap_or_else(|| format!("**{PROGRESS_LABEL}**")),
            ),
            Mode::Partial => answer_so_far(&self.text),
        }
    }
}

/// A preamble as a status headline: one line of at most [`HEADLINE_MAX_CHARS`].
fn headline(preamble: &str) -> Option<String> {
    let line = preamble.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return None;
    }
    if line.chars().count() <= HEADLINE_MAX_CHARS {
        return Some(line);
    }
    let mut cut: String = line.chars().take(HEADLINE_MAX_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    Some(cut)
}

/// The answer written so far as the preview shows it: without `MEDIA:` lines (the reply sends
/// those as files), and nothing while it may still be `NO_REPLY`.
fn answer_so_far(text: &str) -> Option<String> {
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("MEDIA:"))
        .collect();
    let answer = kept.join("\n");
    let trimmed = answer.trim();
    let silent = "NO_REPLY".starts_with(&trimmed.to_ascii_uppercase());
    (!trimmed.is_empty() && !silent).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(text: &str) -> EventKind {
        EventKind::AssistantDelta {
            delta: text.to_owned(),
        }
    }

    fn tool(name: &str) -> EventKind {
        EventKind::ToolStarted {
            call_id: "c1".to_owned(),
            name: name.to_owned(),
            args: serde_json::Value::Null,
        }
    }

    #[test]
    fn a_progress_draft_is_the_label_until_a_preamble_becomes_its_headline() {
        let mut view = RunView::default();
        assert!(!view.note(Mode::Progress, &delta("Let me look\n at the  logs.")));
        assert!(view.active);
        assert_eq!(
            view.markdown(Mode::Progress).as_deref(),
            Some("**Working**")
        );
        assert!(view.note(Mode::Progress, &tool("exec")));
        assert_eq!(
            view.markdown(Mode::Progress).as_deref(),
            Some("Let me look at the logs.")
        );
        // A second call of the same message, then the answer: the headline stays.
        assert!(!view.note(Mode::Progress, &tool("read")));
        assert!(!view.note(Mode::Progress, &delta("All good.")));
        assert_eq!(
            view.markdown(Mode::Progress).as_deref(),
            Some("Let me look at the logs.")
        );
    }

    #[test]
    fn a_run_that_only_posts_with_the_message_tool_is_not_at_work() {
        let mut view = RunView::default();
        view.note(Mode::Progress, &tool("message"));
        assert!(!view.active);
        view.note(Mode::Progress, &tool("exec"));
        assert!(view.active);
    }

    #[test]
    fn a_partial_preview_shows_the_current_message_without_media_lines_or_no_reply() {
        let mut view = RunView::default();
        assert!(view.note(Mode::Partial, &delta("NO_RE")));
        assert_eq!(view.markdown(Mode::Partial), None);
        let mut view = RunView::default();
        view.note(
            Mode::Partial,
            &delta("Here it is:\nMEDIA:/tmp/cat.png\nA cat."),
        );
        assert_eq!(
            view.markdown(Mode::Partial).as_deref(),
            Some("Here it is:\nA cat.")
        );
        // The next message of the run starts afresh; until it writes, nothing new is shown.
        view.note(Mode::Partial, &tool("exec"));
        assert_eq!(view.markdown(Mode::Partial), None);
        view.note(Mode::Partial, &delta("Done."));
        assert_eq!(view.markdown(Mode::Partial).as_deref(), Some("Done."));
    }

    #[test]
    fn a_long_preamble_is_cut_to_one_line() {
        let long = "word ".repeat(40);
        let cut = headline(&long).unwrap();
        assert_eq!(cut.chars().count(), HEADLINE_MAX_CHARS);
        assert!(cut.ends_with("word…"), "{cut}");
        assert_eq!(headline(" \n "), None);
    }
}
