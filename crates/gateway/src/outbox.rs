//! The queue between a connection and its socket writer, bounded in bytes.
//!
//! Everything a client is sent waits here until the writer task has put it on the socket. A
//! client's backlog (queued plus being written) is bounded by `maxBufferedBytes`, and all
//! backlogs together by one global budget; a client past its own budget, or holding the largest
//! backlog when the total passes the global one, is closed with 1008 "slow consumer" (upstream's
//! close for the first case). Budgets are in bytes, not frames, because a frame can be a 6 MB
//! history or a reply's whole text so far.
//!
//! Fanned-out events are queued as the shared `Arc<OutEvent>`, so a thousand clients hold one
//! copy of an event, not a thousand, and they are numbered when written. That lets a queued
//! text delta (see [`OutEvent::live_text`]) be replaced by its run's next one without leaving
//! a hole in the client's `seq`: the newer event already carries the whole text so far, and the
//! older one's delta text is kept in front of its own. A client that reads slowly thus gets
//! fewer, larger deltas instead of an ever longer queue, as upstream's coalescing does.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use rustyclaw_protocol::gateway::{Frame, ResponseFrame};
use tokio::sync::{Notify, watch};

use crate::event::OutEvent;
use crate::limits::close;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Something for the writer to put on the socket.
#[derive(Debug)]
pub(crate) enum Item {
    /// A JSON text frame sent as is (a response, or the challenge, which has no `seq`).
    Text(String),
    /// An event; the writer gives it the connection's next `seq`.
    Event {
        /// The event, shared with every other connection it goes to.
        event: Arc<OutEvent>,
        /// Delta text of the older queued events of the same run text this one replaced,
        /// written in front of its own.
        earlier: String,
    },
    /// A WebSocket ping carrying its number, which the client's pong echoes (see
    /// [`Sender::round_trip`]).
    Ping(u64),
    /// A close frame; the writer stops after it.
    Close(u16, String),
}

impl Item {
    /// What the item counts against the budgets: about the bytes it will be on the socket.
    fn bytes(&self) -> usize {
        match self {
            Item::Text(text) => text.len(),
            Item::Event { event, earlier } => event.frame_len() + earlier.len(),
            Item::Ping(_) | Item::Close(..) => 0,
        }
    }
}

/// What waits to be written to all clients, for monitoring and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundStats {
    /// Bytes queued or being written for the open connections.
    pub queued_bytes: usize,
    /// The most bytes that were queued at once, once the budgets had been applied.
    pub peak_queued_bytes: usize,
    /// Clients closed as slow consumers since the gateway started.
    pub slow_consumers: u64,
}

/// The budget all connections' backlogs share.
#[derive(Debug)]
pub(crate) struct OutboundBudget {
    limit: usize,
    total: AtomicUsize,
    peak: AtomicUsize,
    slow_consumers: AtomicU64,
    next_id: AtomicU64,
    /// Open outboxes, to find the largest backlog when the total is over the limit.
    open: Mutex<HashMap<u64, Weak<Outbox>>>,
}

impl OutboundBudget {
    /// A budget of `limit` bytes for all backlogs together.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit,
            total: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            slow_consumers: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        })
    }

    /// The current totals.
    pub fn stats(&self) -> OutboundStats {
        OutboundStats {
            queued_bytes: self.total.load(Ordering::SeqCst),
            peak_queued_bytes: self.peak.load(Ordering::SeqCst),
            slow_consumers: self.slow_consumers.load(Ordering::SeqCst),
        }
    }

    /// Closes the largest backlogs until the total fits the budget again.
    fn enforce(&self) {
        loop {
            let total = self.total.load(Ordering::SeqCst);
            if total <= self.limit {
                self.peak.fetch_max(total, Ordering::SeqCst);
                return;
            }
            // Strong references are taken under the lock but dropped after it: dropping the
            // last one runs `Outbox::drop`, which takes the lock itself.
            let open: Vec<Arc<Outbox>> = lock(&self.open)
                .values()
                .filter_map(Weak::upgrade)
                .collect();
            let largest = open
                .iter()
                .max_by_key(|outbox| outbox.bytes.load(Ordering::SeqCst))
                .filter(|outbox| outbox.bytes.load(Ordering::SeqCst) > 0);
            let Some(largest) = largest else {
                self.peak.fetch_max(total, Ordering::SeqCst);
                return;
            };
            largest.close_slow_consumer();
        }
    }
}

struct Queue {
    items: VecDeque<(Item, usize)>,
    /// Bytes of the queued items and of the one being written.
    bytes: usize,
    /// Nothing more is accepted: a close is queued, or the socket is gone.
    closing: bool,
}

/// One connection's queue to its writer task.
pub(crate) struct Outbox {
    id: u64,
    /// This client's budget.
    limit: usize,
    budget: Arc<OutboundBudget>,
    queue: Mutex<Queue>,
    /// The queue's byte count, readable without its lock (the global budget compares them).
    bytes: AtomicUsize,
    /// Wakes the writer.
    ready: Notify,
    /// Becomes `true` when the outbox stops accepting frames.
    closing: watch::Sender<bool>,
    /// The number of the last ping sent by [`Sender::round_trip`].
    pings: AtomicU64,
    /// The highest ping number the client has answered.
    pongs: watch::Sender<u64>,
}

impl Outbox {
    /// An empty outbox for one connection, with a budget of `limit` bytes.
    pub fn open(budget: &Arc<OutboundBudget>, limit: usize) -> Arc<Self> {
        let id = budget.next_id.fetch_add(1, Ordering::SeqCst);
        let outbox = Arc::new(Self {
            id,
            limit,
            budget: Arc::clone(budget),
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                bytes: 0,
                closing: false,
            }),
            bytes: AtomicUsize::new(0),
            ready: Notify::new(),
            closing: watch::channel(false).0,
            pings: AtomicU64::new(0),
            pongs: watch::channel(0).0,
        });
        lock(&budget.open).insert(id, Arc::downgrade(&outbox));
        outbox
    }

    /// Queues a text frame; `false` when the connection is closing (or was just closed for
    /// being too slow).
    pub fn push_text(&self, text: String) -> bool {
        self.push(Item::Text(text))
    }

    /// Queues an event, replacing a queued live-text event of the same run; `false` when the
    /// connection is closing (or was just closed for being too slow).
    pub fn push_event(&self, event: Arc<OutEvent>) -> bool {
        self.push(Item::Event {
            event,
            earlier: String::new(),
        })
    }

    fn push(&self, item: Item) -> bool {
        let mut queue = lock(&self.queue);
        if queue.closing {
            return false;
        }
        let (item, freed) = coalesce(&mut queue.items, item);
        queue.bytes -= freed;
        self.budget.total.fetch_sub(freed, Ordering::SeqCst);
        let bytes = item.bytes();
        // A frame larger than the whole budget still goes to a client with nothing pending,
        // or a big response could never be sent at all.
        if queue.bytes > 0 && queue.bytes + bytes > self.limit {
            drop(queue);
            self.close_slow_consumer();
            return false;
        }
        queue.bytes += bytes;
        queue.items.push_back((item, bytes));
        self.bytes.store(queue.bytes, Ordering::SeqCst);
        self.budget.total.fetch_add(bytes, Ordering::SeqCst);
        drop(queue);
        self.ready.notify_one();
        self.budget.enforce();
        true
    }

    /// Sends close `code` with `reason` after what is queued; nothing more is accepted.
    pub fn close(&self, code: u16, reason: &str) {
        self.shut(Some(Item::Close(code, reason.to_owned())), false);
    }

    /// Lets the writer send what is queued and stop, without a close frame of its own (the
    /// client closed, or the connection is over).
    pub fn finish(&self) {
        self.shut(None, false);
    }

    /// The socket failed: drops what is queued.
    pub fn fail(&self) {
        self.shut(None, true);
    }

    /// Drops what is queued and sends close 1008 "slow consumer" next.
    pub fn close_slow_consumer(&self) {
        let close = Item::Close(close::POLICY, "slow consumer".to_owned());
        if self.shut(Some(close), true) {
            self.budget.slow_consumers.fetch_add(1, Ordering::SeqCst);
            tracing::warn!(
                limit = self.limit,
                "gateway client too slow to read its events; closing it"
            );
        }
    }

    /// `false` when the outbox was already closing.
    fn shut(&self, close: Option<Item>, discard: bool) -> bool {
        let mut queue = lock(&self.queue);
        if queue.closing {
            return false;
        }
        queue.closing = true;
        if discard {
            queue.items.clear();
        }
        if let Some(close) = close {
            queue.items.push_back((close, 0));
        }
        // A closing connection's backlog leaves the global budget at once: it is written or
        // dropped within the close grace, and must not get other clients closed meanwhile.
        self.budget.total.fetch_sub(queue.bytes, Ordering::SeqCst);
        self.bytes.store(0, Ordering::SeqCst);
        drop(queue);
        self.ready.notify_one();
        self.closing.send_replace(true);
        true
    }

    /// The next item to write and the bytes it counts, waiting for one; `None` once the outbox
    /// is closing and empty. Call [`Self::sent`] with the bytes once it is written.
    pub async fn next(&self) -> Option<(Item, usize)> {
        loop {
            {
                let mut queue = lock(&self.queue);
                if let Some(entry) = queue.items.pop_front() {
                    return Some(entry);
                }
                if queue.closing {
                    return None;
                }
            }
            // One writer waits here; a push in between leaves a permit, so none is missed.
            self.ready.notified().await;
        }
    }

    /// The writer finished writing an item of `bytes`.
    pub fn sent(&self, bytes: usize) {
        let mut queue = lock(&self.queue);
        if queue.closing {
            return;
        }
        queue.bytes = queue.bytes.saturating_sub(bytes);
        self.bytes.store(queue.bytes, Ordering::SeqCst);
        self.budget.total.fetch_sub(bytes, Ordering::SeqCst);
    }

    /// The client answered a ping with `payload` (a pong echoes its ping's number). Clients may
    /// answer only the latest of several pings, so the highest number answered is kept.
    pub fn pong(&self, payload: &[u8]) {
        let Ok(number) = <[u8; 8]>::try_from(payload).map(u64::from_be_bytes) else {
            return;
        };
        self.pongs.send_if_modified(|highest| {
            let newer = number > *highest;
            if newer {
                *highest = number;
            }
            newer
        });
    }

    /// Completes once the outbox stops accepting frames.
    pub async fn closed(&self) {
        let mut closing = self.closing.subscribe();
        // The sender lives as long as `self`, so this only returns once it is `true`.
        let _ = closing.wait_for(|closing| *closing).await;
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let queue = lock(&self.queue);
        if !queue.closing {
            self.budget.total.fetch_sub(queue.bytes, Ordering::SeqCst);
        }
        drop(queue);
        lock(&self.budget.open).remove(&self.id);
    }
}

/// The sending side of a connection handed to method handlers.
#[derive(Clone)]
pub(crate) struct Sender(Arc<Outbox>);

impl Sender {
    /// A sender queueing on `outbox`.
    pub fn new(outbox: Arc<Outbox>) -> Self {
        Self(outbox)
    }

    /// Queues a response. It counts against the client's buffer budget like any frame: a client
    /// too slow to take it is closed as a slow consumer, as upstream, and the response goes with
    /// the connection.
    pub async fn respond(&self, response: ResponseFrame) {
        self.0.push_text(encode(&Frame::Response(response)));
    }

    /// Queues an event for this connection only.
    pub fn event(&self, event: OutEvent) {
        self.0.push_event(Arc::new(event));
    }

    /// Sends a ping after what is queued and waits, at most `within`, for the client's pong;
    /// `true` once it came. A WebSocket client answers a ping when it reads it, so it has read
    /// every frame queued before it — and, in an event-driven client, handled them — before
    /// anything sent after the pong reaches it.
    pub async fn round_trip(&self, within: std::time::Duration) -> bool {
        let number = self.0.pings.fetch_add(1, Ordering::SeqCst) + 1;
        let mut answered = self.0.pongs.subscribe();
        if !self.0.push(Item::Ping(number)) {
            return false;
        }
        let pong = answered.wait_for(|highest| *highest >= number);
        matches!(tokio::time::timeout(within, pong).await, Ok(Ok(_)))
    }
}

/// A frame as the text written to the socket.
pub(crate) fn encode(frame: &Frame) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}

/// Takes the queued live-text event `item` replaces out of `items`, if any; returns the item to
/// queue (carrying the older delta text) and the bytes the older one counted.
fn coalesce(items: &mut VecDeque<(Item, usize)>, item: Item) -> (Item, usize) {
    let Item::Event { event, earlier } = item else {
        return (item, 0);
    };
    let older = event.live_text().and_then(|live| {
        items.iter().rposition(|(queued, _)| {
            matches!(queued, Item::Event { event: queued, .. } if queued.live_text() == Some(live))
        })
    });
    match older.and_then(|index| items.remove(index)) {
        Some((
            Item::Event {
                event: older,
                earlier: mut text,
            },
            freed,
        )) => {
            text.push_str(older.live_delta());
            text.push_str(&earlier);
            (
                Item::Event {
                    event,
                    earlier: text,
                },
                freed,
            )
        }
        // `rposition` only matches events, so nothing else can have been removed.
        _ => (Item::Event { event, earlier }, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(name: &'static str, payload: serde_json::Value) -> Arc<OutEvent> {
        Arc::new(OutEvent::unscoped(name, &payload))
    }

    fn chat_delta(run: &str, delta: &str, text: &str) -> Arc<OutEvent> {
        event(
            "chat",
            json!({"runId": run, "sessionKey": "agent:main:x", "seq": 1, "state": "delta",
                   "deltaText": delta, "message": {"role": "assistant", "content": [{"type": "text", "text": text}]}}),
        )
    }

    fn drain(outbox: &Outbox) -> Vec<String> {
        let mut written = Vec::new();
        let mut seq = 0;
        loop {
            let Some((item, bytes)) = lock(&outbox.queue).items.pop_front() else {
                return written;
            };
            outbox.sent(bytes);
            written.push(match item {
                Item::Text(text) => text,
                Item::Event { event, earlier } => {
                    seq += 1;
                    event.frame_text_after(&earlier, seq)
                }
                Item::Ping(number) => format!("ping {number}"),
                Item::Close(code, reason) => format!("close {code} {reason}"),
            });
        }
    }

    #[tokio::test]
    async fn a_round_trip_ends_with_the_pong_to_its_own_ping_or_its_time() {
        let budget = OutboundBudget::new(usize::MAX);
        let outbox = Outbox::open(&budget, usize::MAX);
        let sender = Sender::new(Arc::clone(&outbox));
        assert!(outbox.push_text("answer".into()));
        // No pong: the round trip gives up after its time.
        let within = std::time::Duration::from_millis(50);
        assert!(!sender.round_trip(within).await);
        // The ping went after what was queued before it.
        assert_eq!(drain(&outbox), ["answer", "ping 1"]);
        // A pong to an older ping, or a payload that is no ping number, does not answer it.
        let waiting = tokio::spawn({
            let sender = sender.clone();
            async move { sender.round_trip(std::time::Duration::from_secs(5)).await }
        });
        while drain(&outbox).is_empty() {
            tokio::task::yield_now().await;
        }
        outbox.pong(&1u64.to_be_bytes());
        outbox.pong(b"hello");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        // Its own number (or a later one) does.
        outbox.pong(&2u64.to_be_bytes());
        assert!(waiting.await.unwrap());
    }

    #[test]
    fn queued_deltas_of_a_run_merge_into_the_newest_without_losing_text() {
        let budget = OutboundBudget::new(usize::MAX);
        let outbox = Outbox::open(&budget, usize::MAX);
        assert!(outbox.push_event(chat_delta("r1", "He", "He")));
        assert!(outbox.push_event(event("tick", json!({"ts": 1}))));
        assert!(outbox.push_event(chat_delta("r2", "Other", "Other")));
        assert!(outbox.push_event(chat_delta("r1", "llo", "Hello")));
        assert!(outbox.push_event(chat_delta("r1", "!", "Hello!")));
        let written: Vec<serde_json::Value> = drain(&outbox)
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect();
        // The older r1 deltas left the queue; the newest carries their text, and `seq` has no hole.
        assert_eq!(written.len(), 3);
        assert_eq!(written[0]["event"], "tick");
        assert_eq!(written[1]["payload"]["runId"], "r2");
        assert_eq!(written[2]["payload"]["deltaText"], "Hello!");
        assert_eq!(
            written[2]["payload"]["message"]["content"][0]["text"],
            "Hello!"
        );
        let seqs: Vec<u64> = written.iter().map(|w| w["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
        assert_eq!(budget.stats().queued_bytes, 0);
    }

    #[test]
    fn a_backlog_past_the_budget_closes_as_a_slow_consumer() {
        let budget = OutboundBudget::new(usize::MAX);
        let outbox = Outbox::open(&budget, 1000);
        // A single frame larger than the budget goes to an idle client.
        assert!(outbox.push_text("x".repeat(1500)));
        assert!(!outbox.push_text("y".repeat(10)));
        assert_eq!(drain(&outbox), vec!["close 1008 slow consumer".to_owned()]);
        assert!(!outbox.push_text("z".into()));
        let stats = budget.stats();
        assert_eq!((stats.queued_bytes, stats.slow_consumers), (0, 1));
    }

    #[test]
    fn the_global_budget_closes_the_largest_backlog() {
        let budget = OutboundBudget::new(1000);
        let small = Outbox::open(&budget, usize::MAX);
        let large = Outbox::open(&budget, usize::MAX);
        assert!(small.push_text("s".repeat(200)));
        assert!(large.push_text("l".repeat(600)));
        // Over the total: the largest backlog goes, even though another client pushed.
        assert!(small.push_text("s".repeat(300)));
        assert_eq!(drain(&large), vec!["close 1008 slow consumer".to_owned()]);
        assert_eq!(drain(&small).len(), 2);
        let stats = budget.stats();
        assert_eq!(stats.queued_bytes, 0);
        assert!(stats.peak_queued_bytes <= 1000, "{stats:?}");
        drop(large);
        assert_eq!(lock(&budget.open).len(), 1);
    }
}
