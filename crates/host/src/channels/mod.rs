//! The chat channels of one process: every configured Telegram and IRC account run under a
//! supervisor, what they receive journaled, admitted, routed and run, and what runs answer
//! delivered — with nothing lost across a crash or a restart.
//!
//! - [`build`](self::build): the accounts of a config, built into adapters;
//! - `supervisor`: each account run, restarted with backoff when it fails or stalls;
//! - `intake` → `dispatch` → `answer`: a message journaled before it is acknowledged, admitted
//!   (`router::access`), routed (`router::route`), run, and its reply queued with the message
//!   marked answered in one transaction;
//! - `preview`: while a run is busy, Telegram's preview (a status draft, or the answer as it is
//!   written), deleted when the run ends; best effort, beside the reply's durable path;
//! - `delivery`: the queue sent in order per chat, retried until delivered or expired;
//! - `recovery`: at start, messages a previous process left unfinished;
//! - `status`: what `channels.status` reports.

mod activation;
mod answer;
mod blocks;
mod build;
mod bursts;
mod commands;
mod control;
mod delivery;
mod dispatch;
mod group_thread;
mod history;
mod housekeeping;
mod hub;
mod intake;
mod journal;
mod limits;
mod media;
mod messenger;
mod outbound;
mod preview;
mod recovery;
mod reply_media;
mod status;
mod streamed;
mod supervisor;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustyclaw_agent::AgentRuntime;
use rustyclaw_channels::account::{InboundSink, StatusHandle};
use rustyclaw_store::Store;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use messenger::ChannelLink;
pub use outbound::OutboundError;
pub use status::{AccountReport, ChannelsReport};

use self::build::Built;
use self::history::GroupHistory;
use self::hub::{AccountSlot, Hub, lock};
use self::limits::SINK_CAPACITY;

/// How long a stop waits for the accounts and the delivery worker to finish.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// What the channel layer is built from.
pub struct ChannelHostParts {
    /// The store (journal, delivery queue, pairing).
    pub store: Store,
    /// The agent runtime; its config is the one in force.
    pub runtime: Arc<AgentRuntime>,
    /// The state directory (received media go under `media/inbound`).
    pub state_dir: PathBuf,
    /// The link the agent's `message` tool reaches the channels through.
    pub link: ChannelLink,
}

/// The running channel layer.
pub struct ChannelHost {
    hub: Arc<Hub>,
    stop: watch::Sender<bool>,
    delivery: Mutex<Option<JoinHandle<()>>>,
}

impl ChannelHost {
    /// Builds the configured accounts, recovers what a previous process left unfinished, then
    /// starts the accounts and the delivery worker.
    pub async fn start(parts: ChannelHostParts) -> Self {
        let (stop, stopping) = watch::channel(false);
        let hub = Arc::new(Hub {
            store: parts.store,
            runtime: parts.runtime,
            media_dir: parts.state_dir.join("media").join("inbound"),
            accounts: Mutex::new(BTreeMap::new()),
            deliveries: Notify::new(),
            history: GroupHistory::default(),
            dispatched: Mutex::new(Default::default()),
            bursts: Mutex::new(Default::default()),
            stopping,
        });
        parts.link.connect(&hub);
        let built = build::accounts(&hub.config(), &hub.store).await;
        {
            let mut accounts = lock(&hub.accounts);
            for account in built {
                accounts.insert(account.key.clone(), slot(account));
            }
        }
        // Before anything new is dispatched: the interrupted runs, the answers left unstored.
        recovery::recover(&hub).await;
        let keys: Vec<_> = lock(&hub.accounts).keys().cloned().collect();
        for key in keys {
            start_account(&hub, &key);
        }
        let delivery = tokio::spawn(delivery::run(hub.clone()));
        tokio::spawn(housekeeping::run(hub.clone()));
        Self {
            hub,
            stop,
            delivery: Mutex::new(Some(delivery)),
        }
    }

    /// Follows the config now in force (after a reload): accounts whose settings changed are
    /// restarted, new ones started, removed ones stopped; the others keep running (their
    /// access rules, routing and text settings are read per message, so they follow too).
    pub async fn apply(&self) {
        let built = build::accounts(&self.hub.config(), &self.hub.store).await;
        let mut restart = Vec::new();
        {
            let mut accounts = lock(&self.hub.accounts);
            let keep: Vec<_> = built.iter().map(|b| b.key.clone()).collect();
            accounts.retain(|key, _| {
                let kept = keep.contains(key);
                if !kept {
                    tracing::info!(account = %key, "channel account removed from the config; stopped");
                }
                kept
            });
            for account in built {
                match accounts.get_mut(&account.key) {
                    Some(running) if running.fingerprint == account.fingerprint => {
                        running.settings = account.settings;
                    }
                    _ => {
                        tracing::info!(account = %account.key, "channel account (re)started for the new config");
                        let key = account.key.clone();
                        // Dropping the old slot stops its tasks.
                        accounts.insert(key.clone(), slot(account));
                        restart.push(key);
                    }
                }
            }
        }
        for key in restart {
            start_account(&self.hub, &key);
        }
    }

    /// Every configured account and its state; with `probe`, each running account is also
    /// checked live (credentials, connection) within `probe_timeout`.
    pub async fn report(&self, probe: bool, probe_timeout: Duration) -> ChannelsReport {
        status::report(&self.hub, probe, probe_timeout).await
    }

    /// Stops the accounts and the delivery worker (waiting a moment for them to finish what
    /// they are doing).
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let delivery = lock(&self.delivery).take();
        if let Some(delivery) = delivery {
            let _ = tokio::time::timeout(STOP_GRACE, delivery).await;
        }
        let slots: Vec<AccountSlot> = {
            let mut accounts = lock(&self.hub.accounts);
            std::mem::take(&mut *accounts).into_values().collect()
        };
        for mut slot in slots {
            for task in slot.tasks.drain(..) {
                let abort = task.abort_handle();
                if tokio::time::timeout(STOP_GRACE, task).await.is_err() {
                    abort.abort();
                }
            }
        }
    }
}

impl Drop for ChannelHost {
    fn drop(&mut self) {
        // Without a `shutdown` (an error ended the serve loop), the tasks still stop.
        let _ = self.stop.send(true);
    }
}

fn slot(account: Built) -> AccountSlot {
    let status = StatusHandle::new();
    if let Some(problem) = &account.problem {
        status.error(problem);
        tracing::warn!(account = %account.key, reason = %problem, "channel account not started");
    }
    AccountSlot {
        key: account.key,
        adapter: account.adapter,
        status,
        fingerprint: account.fingerprint,
        tasks: Vec::new(),
        settings: account.settings,
        not_running: account.problem,
    }
}

/// Starts the supervisor and the intake of account `key`, if it has an adapter.
fn start_account(hub: &Arc<Hub>, key: &hub::AccountKey) {
    let mut accounts = lock(&hub.accounts);
    let Some(slot) = accounts.get_mut(key) else {
        return;
    };
    let Some(adapter) = slot.adapter.clone() else {
        return;
    };
    let (sink, batches) = InboundSink::new(SINK_CAPACITY);
    let supervisor = tokio::spawn(supervisor::supervise(
        adapter,
        sink,
        slot.status.clone(),
        hub.stopping.clone(),
        key.to_string(),
        slot.settings.health_monitor,
    ));
    let intake = tokio::spawn(intake::run(hub.clone(), key.clone(), batches));
    slot.tasks = vec![supervisor, intake];
    tracing::info!(account = %key, "channel account started");
}
