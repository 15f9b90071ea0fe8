//! Inbound debouncing (OpenClaw's `messages.inbound`): rapid text messages from one sender in
//! one chat are held for a quiet window and run as one turn, the text joined in order and the
//! reply threaded under the last. Messages with attachments and commands are not held (they
//! also flush what waits before them in their chat, so order is kept). Held messages are
//! already in the journal: a crash while they wait leaves them `received`, and the next start
//! dispatches them.

use std::time::Duration;

use rustyclaw_store::StoredInbound;
use tokio::time::Instant;

use super::journal::extras;
use super::limits::MAX_BURST_HOLD;

/// Messages of one sender in one chat (and thread) waiting together.
struct Burst {
    key: (String, Option<String>, Option<String>),
    messages: Vec<StoredInbound>,
    quiet_until: Instant,
    hold_until: Instant,
}

/// The bursts of one account, in the order they started.
#[derive(Default)]
pub(crate) struct Bursts {
    waiting: Vec<Burst>,
}

fn burst_key(message: &StoredInbound) -> (String, Option<String>, Option<String>) {
    let record = &message.record;
    (
        record.chat.id.as_str().to_owned(),
        record.thread_id.as_ref().map(|t| format!("{t:?}")),
        record.sender.as_ref().map(|s| s.id.as_str().to_owned()),
    )
}

/// Whether `message` may wait for others: text only, not a command.
fn holdable(message: &StoredInbound) -> bool {
    let record = &message.record;
    !record.text.trim_start().starts_with('/')
        && !record.text.trim().is_empty()
        && extras(&record.attachments).attachments.is_empty()
}

impl Bursts {
    /// Takes `message` with quiet window `window`: returns what is ready to dispatch now, in
    /// order (each a burst's messages, oldest first).
    pub(crate) fn arrive(
        &mut self,
        message: StoredInbound,
        window: Duration,
        now: Instant,
    ) -> Vec<Vec<StoredInbound>> {
        let key = burst_key(&message);
        let position = self.waiting.iter().position(|b| b.key == key);
        if window.is_zero() || !holdable(&message) {
            // What waits for the same conversation goes first.
            let mut ready = Vec::new();
            if let Some(position) = position {
                ready.push(self.waiting.remove(position).messages);
            }
            ready.push(vec![message]);
            return ready;
        }
        match position {
            Some(position) => {
                let burst = &mut self.waiting[position];
                burst.messages.push(message);
                burst.quiet_until = (now + window).min(burst.hold_until);
            }
            None => self.waiting.push(Burst {
                key,
                messages: vec![message],
                quiet_until: now + window,
                hold_until: now + MAX_BURST_HOLD,
            }),
        }
        Vec::new()
    }

    /// When the next burst is due, if any waits.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.waiting.iter().map(|b| b.quiet_until).min()
    }

    /// The bursts due at `now`, in the order they started.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<Vec<StoredInbound>> {
        let (due, waiting): (Vec<Burst>, Vec<Burst>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|b| b.quiet_until <= now);
        self.waiting = waiting;
        due.into_iter().map(|b| b.messages).collect()
    }

    /// Everything still waiting.
    pub(crate) fn drain(&mut self) -> Vec<Vec<StoredInbound>> {
        std::mem::take(&mut self.waiting)
            .into_iter()
            .map(|b| b.messages)
            .collect()
    }
}

/// One message standing for a burst: the last one, with every text of the burst joined in
/// order; the ids of the others.
pub(crate) fn merge(
    mut messages: Vec<StoredInbound>,
) -> Option<(StoredInbound, Vec<rustyclaw_store::InboundId>)> {
    let mut last = messages.pop()?;
    if messages.is_empty() {
        return Some((last, Vec::new()));
    }
    let mut text: Vec<&str> = messages.iter().map(|m| m.record.text.as_str()).collect();
    text.push(&last.record.text);
    let joined = text.join("\n");
    let earlier = messages.iter().map(|m| m.id).collect();
    last.record.text = joined;
    Some((last, earlier))
}
