//! What every part of the channel layer shares: the store, the agent runtime, the running
//! accounts, the delivery worker's wake-up, the group history and the runs waiting for an
//! answer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustyclaw_agent::{AgentRuntime, RunId};
use rustyclaw_channels::account::{ChannelAccount, StatusHandle};
use rustyclaw_config::{AccountSettings, Config};
use rustyclaw_protocol::origin::{AccountId, ChannelId};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::history::GroupHistory;

/// A channel account's key: channel and account, as stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct AccountKey {
    pub channel: String,
    pub account: String,
}

impl AccountKey {
    pub(crate) fn new(channel: &str, account: &str) -> Self {
        Self {
            channel: channel.to_owned(),
            account: account.to_owned(),
        }
    }

    pub(crate) fn channel_id(&self) -> ChannelId {
        ChannelId::new(&self.channel)
    }

    pub(crate) fn account_id(&self) -> AccountId {
        AccountId::new(self.account.clone())
    }
}

impl std::fmt::Display for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.channel, self.account)
    }
}

/// A configured account: running (with its adapter) or not (and why).
pub(crate) struct AccountSlot {
    pub key: AccountKey,
    /// The adapter, when the account could be built.
    pub adapter: Option<Arc<dyn ChannelAccount>>,
    pub status: StatusHandle,
    /// What the account was built from, to tell whether a new config changes it.
    pub fingerprint: u64,
    /// Its tasks (supervisor, intake), stopped when the slot is replaced or the host stops.
    pub tasks: Vec<JoinHandle<()>>,
    /// The settings it was started with (display name, enabled).
    pub settings: AccountSettings,
    /// Why it does not run, when it does not (disabled, a missing token).
    pub not_running: Option<String>,
}

impl Drop for AccountSlot {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The shared state of the channel layer.
pub(crate) struct Hub {
    pub store: rustyclaw_store::Store,
    pub runtime: Arc<AgentRuntime>,
    /// Where received media are saved (`<state>/media/inbound`).
    pub media_dir: PathBuf,
    pub accounts: Mutex<BTreeMap<AccountKey, AccountSlot>>,
    /// Wakes the delivery worker when something is queued.
    pub deliveries: Notify,
    pub history: GroupHistory,
    /// Runs dispatched from a channel whose outcome is awaited.
    pub dispatched: Mutex<HashSet<RunId>>,
    /// The earlier messages of a burst batched into one turn, by the message dispatched for
    /// them all (its text holds theirs): they end as it ends.
    pub bursts: Mutex<HashMap<rustyclaw_store::InboundId, Vec<rustyclaw_store::InboundId>>>,
    /// Becomes true when the host stops.
    pub stopping: watch::Receiver<bool>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Hub {
    /// The config in force (the runtime's: a reload swaps it there first).
    pub(crate) fn config(&self) -> Arc<Config> {
        self.runtime.config()
    }

    /// The adapter of a running account.
    pub(crate) fn adapter(&self, key: &AccountKey) -> Option<Arc<dyn ChannelAccount>> {
        lock(&self.accounts)
            .get(key)
            .and_then(|slot| slot.adapter.clone())
    }

    /// The status handle of an account.
    pub(crate) fn status(&self, key: &AccountKey) -> Option<StatusHandle> {
        lock(&self.accounts)
            .get(key)
            .map(|slot| slot.status.clone())
    }

    /// `message` and the earlier messages batched into it, once (the batch is forgotten).
    pub(crate) fn take_burst(
        &self,
        message: rustyclaw_store::InboundId,
    ) -> Vec<rustyclaw_store::InboundId> {
        let mut ids = vec![message];
        ids.extend(lock(&self.bursts).remove(&message).unwrap_or_default());
        ids
    }

    /// The settings an account has in the config in force.
    pub(crate) fn settings(&self, key: &AccountKey) -> Option<AccountSettings> {
        settings_of(&self.config(), key)
    }
}

/// The settings of account `key` in `config`.
pub(crate) fn settings_of(config: &Config, key: &AccountKey) -> Option<AccountSettings> {
    let accounts = &config.channel_accounts;
    let common = match key.channel.as_str() {
        "telegram" => accounts
            .telegram
            .iter()
            .map(|a| &a.common)
            .find(|c| c.account_id == key.account),
        "irc" => accounts
            .irc
            .iter()
            .map(|a| &a.common)
            .find(|c| c.account_id == key.account),
        _ => None,
    };
    common.cloned()
}
