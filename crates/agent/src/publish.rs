//! Where every event of the runtime goes out: [`Publisher::publish`] records a run's end in the
//! store's run ledger, hands the event to the watchers of its run, then broadcasts it to every
//! subscriber — so whoever learns that a run ended can also find its end in the ledger.

use rustyclaw_protocol::SessionKey;
use rustyclaw_store::Store;
use tokio::sync::broadcast;

use crate::clock::now_ms;
use crate::event::{Event, EventKind, RunId};
use crate::run_ledger;
use crate::run_watch::RunWatchers;

/// Events buffered per subscriber before a slow one starts losing them (it is told how many
/// it missed by `broadcast`'s `Lagged`).
const EVENT_BUFFER: usize = 8_192;

/// The runtime's announcements: the broadcast feed, the per-run watchers and the run ledger.
pub(crate) struct Publisher {
    events: broadcast::Sender<Event>,
    /// Who waits for which run ([`crate::AgentRuntime::watch_run`], `follow_run`).
    watchers: RunWatchers,
    store: Store,
    /// This process as the owner of the runs it records in the store's run ledger.
    ledger_owner: String,
}

impl Publisher {
    /// A publisher recording runs in `store`'s ledger as this process's.
    pub fn new(store: Store) -> Self {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Self {
            events,
            watchers: RunWatchers::default(),
            store,
            ledger_owner: run_ledger::this_process(),
        }
    }

    /// Sends `event` to every subscriber and, when it ends a run, its outcome to whoever
    /// watches that run. Every event of the runtime goes through here.
    pub fn publish(&self, event: Event) {
        if let EventKind::Finished(outcome) = &event.kind {
            self.store.record_run_ended(
                &event.run_id.0,
                event.session_key.as_str(),
                &self.ledger_owner,
                run_ledger::state_of(outcome.status),
                outcome.error.as_deref(),
                outcome.reply_text().as_deref(),
                now_ms(),
            );
        }
        self.watchers.deliver(&event.run_id, &event.kind);
        let _ = self.events.send(event);
    }

    /// Records in the run ledger that this process accepted `run_id` for `key`.
    pub fn record_accepted(&self, run_id: &RunId, key: &SessionKey) {
        self.store
            .record_run_accepted(&run_id.0, key.as_str(), &self.ledger_owner, now_ms());
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The watchers of single runs.
    pub fn watchers(&self) -> &RunWatchers {
        &self.watchers
    }
}
