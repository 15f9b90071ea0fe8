//! The one way to wait for a run: a per-run watcher, registered before the run is submitted,
//! that gets that run's events (or only its outcome) and cannot miss its end.
//!
//! The runtime's broadcast feed ([`AgentRuntime::subscribe`](crate::AgentRuntime::subscribe))
//! carries every event of every run to every subscriber, and a subscriber that falls more than
//! a buffer behind loses events — the `Finished` of the run it waits for among them, so a
//! waiter that skips `Lagged` can wait for ever. A watcher here sees only its run (no work for
//! other runs' events) and its queue is unbounded for that one run, so a slow reader (an HTTP
//! client streaming a reply) delays nothing and loses nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, oneshot};

use crate::event::{EventKind, RunId, RunOutcome};

/// Registered watchers beyond which abandoned ones (their receiver dropped: a caller that timed
/// out, or watched a run that never started) are swept on the next registration.
const WATCHERS_BEFORE_SWEEP: usize = 1024;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

enum Watcher {
    /// Wants only the outcome.
    Outcome(oneshot::Sender<RunOutcome>),
    /// Wants every event, the last being [`EventKind::Finished`].
    Events(mpsc::UnboundedSender<EventKind>),
}

impl Watcher {
    fn is_closed(&self) -> bool {
        match self {
            Watcher::Outcome(tx) => tx.is_closed(),
            Watcher::Events(tx) => tx.is_closed(),
        }
    }
}

/// The watchers of every run, by run id.
#[derive(Default)]
pub(crate) struct RunWatchers {
    by_run: Mutex<HashMap<RunId, Vec<Watcher>>>,
    /// How many runs have watchers, so publishing an event nobody watches takes no lock.
    runs: AtomicUsize,
}

impl RunWatchers {
    /// The outcome of `run_id`, once.
    pub fn outcome(&self, run_id: &RunId) -> oneshot::Receiver<RunOutcome> {
        let (tx, rx) = oneshot::channel();
        self.register(run_id, Watcher::Outcome(tx));
        rx
    }

    /// Every event of `run_id` from now on, ending with its outcome.
    pub fn events(&self, run_id: &RunId) -> RunEvents {
        let (tx, rx) = mpsc::unbounded_channel();
        self.register(run_id, Watcher::Events(tx));
        RunEvents { rx }
    }

    fn register(&self, run_id: &RunId, watcher: Watcher) {
        let mut by_run = lock(&self.by_run);
        if by_run.len() >= WATCHERS_BEFORE_SWEEP {
            by_run.retain(|_, watchers| {
                watchers.retain(|w| !w.is_closed());
                !watchers.is_empty()
            });
        }
        by_run.entry(run_id.clone()).or_default().push(watcher);
        self.runs.store(by_run.len(), Ordering::Release);
    }

    /// Hands `kind`, an event of `run_id`, to that run's watchers; its end goes to all of them
    /// and forgets them.
    pub fn deliver(&self, run_id: &RunId, kind: &EventKind) {
        if self.runs.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut by_run = lock(&self.by_run);
        if let EventKind::Finished(outcome) = kind {
            let Some(watchers) = by_run.remove(run_id) else {
                return;
            };
            self.runs.store(by_run.len(), Ordering::Release);
            drop(by_run);
            for watcher in watchers {
                match watcher {
                    Watcher::Outcome(tx) => {
                        let _ = tx.send(outcome.as_ref().clone());
                    }
                    Watcher::Events(tx) => {
                        let _ = tx.send(kind.clone());
                    }
                }
            }
            return;
        }
        if let Some(watchers) = by_run.get_mut(run_id) {
            watchers.retain(|watcher| match watcher {
                Watcher::Events(tx) => tx.send(kind.clone()).is_ok(),
                Watcher::Outcome(tx) => !tx.is_closed(),
            });
            if watchers.is_empty() {
                by_run.remove(run_id);
                self.runs.store(by_run.len(), Ordering::Release);
            }
        }
    }
}

/// The events of one run, in order, ending with [`EventKind::Finished`].
#[derive(Debug)]
pub struct RunEvents {
    rx: mpsc::UnboundedReceiver<EventKind>,
}

impl RunEvents {
    /// The run's next event; `None` after its `Finished`, or when the runtime went away before
    /// the run ended.
    pub async fn next(&mut self) -> Option<EventKind> {
        self.rx.recv().await
    }

    /// Skips to the run's outcome; `None` when the runtime went away first.
    pub async fn outcome(mut self) -> Option<RunOutcome> {
        while let Some(kind) = self.rx.recv().await {
            if let EventKind::Finished(outcome) = kind {
                return Some(*outcome);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RunStatus;

    fn finished() -> EventKind {
        EventKind::Finished(Box::new(RunOutcome {
            status: RunStatus::Done,
            payloads: vec![rustyclaw_protocol::reply::ReplyPayload::text(
                "ok".into(),
                None,
            )],
            origin: Default::default(),
            error: None,
            usage: Default::default(),
            calls: Default::default(),
            model: None,
            session_id: String::new(),
            duration_ms: 0,
            answered: Vec::new(),
        }))
    }

    #[tokio::test]
    async fn a_watcher_gets_its_runs_events_then_the_end_and_nothing_else() {
        let watchers = RunWatchers::default();
        let (mine, other) = (RunId("mine".into()), RunId("other".into()));
        let mut events = watchers.events(&mine);
        let outcome = watchers.outcome(&mine);
        for i in 0..10_000 {
            let delta = EventKind::AssistantDelta {
                delta: i.to_string(),
            };
            watchers.deliver(&other, &delta);
            if i % 100 == 0 {
                watchers.deliver(&mine, &delta);
            }
        }
        watchers.deliver(&mine, &finished());
        let mut seen = 0;
        while let Some(kind) = events.next().await {
            match kind {
                EventKind::AssistantDelta { .. } => seen += 1,
                EventKind::Finished(_) => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(seen, 100);
        assert_eq!(outcome.await.unwrap().reply_text().as_deref(), Some("ok"));
        assert_eq!(watchers.runs.load(Ordering::Acquire), 0);
    }

    #[test]
    fn abandoned_watchers_are_swept() {
        let watchers = RunWatchers::default();
        for i in 0..WATCHERS_BEFORE_SWEEP + 10 {
            drop(watchers.outcome(&RunId(i.to_string())));
        }
        assert!(lock(&watchers.by_run).len() < WATCHERS_BEFORE_SWEEP);
    }
}
