//! What `channels.status` reports: every configured account with its state, the deliveries
//! waiting for it, and — when asked — a live probe.

use std::collections::BTreeMap;
use std::time::Duration;

use rustyclaw_channels::account::ProbeReport;

use super::hub::{Hub, lock};

/// One account's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountReport {
    /// The channel (`telegram`, `irc`).
    pub channel: String,
    /// The account (`default`, …).
    pub account: String,
    /// Its display name.
    pub name: Option<String>,
    /// `enabled` in the config.
    pub enabled: bool,
    /// Its settings are complete (it can run).
    pub configured: bool,
    /// Its supervisor runs it.
    pub running: bool,
    /// Connected to its platform right now.
    pub connected: bool,
    /// Its identity on the platform (`@bot`, a nick).
    pub identity: Option<String>,
    /// How it receives (`polling`, `irc`).
    pub mode: Option<String>,
    /// Last message received, Unix ms.
    pub last_inbound_ms: Option<i64>,
    /// Last message sent, Unix ms.
    pub last_outbound_ms: Option<i64>,
    /// Connected since, Unix ms.
    pub connected_since_ms: Option<i64>,
    /// The last error, in words.
    pub last_error: Option<String>,
    /// When it happened, Unix ms.
    pub last_error_ms: Option<i64>,
    /// Restarts by the supervisor.
    pub restarts: u32,
    /// Replies queued and not yet delivered.
    pub pending_deliveries: u64,
    /// Why it does not run, when it does not.
    pub not_running: Option<String>,
    /// The live probe, when asked for: what it found, or why it failed.
    pub probe: Option<Result<ProbeReport, String>>,
}

/// Every account, with the channels' default accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelsReport {
    /// The accounts, by channel then account.
    pub accounts: Vec<AccountReport>,
    /// `channels.<id>.defaultAccount` where set.
    pub default_accounts: BTreeMap<String, String>,
}

pub(crate) async fn report(hub: &Hub, probe: bool, probe_timeout: Duration) -> ChannelsReport {
    let slots: Vec<_> = lock(&hub.accounts)
        .values()
        .map(|slot| {
            (
                slot.key.clone(),
                slot.adapter.clone(),
                slot.status.snapshot(),
                slot.settings.clone(),
                slot.not_running.clone(),
            )
        })
        .collect();
    let mut accounts = Vec::with_capacity(slots.len());
    for (key, adapter, snapshot, settings, not_running) in slots {
        let pending_deliveries = hub
            .store
            .pending_deliveries_count(&key.channel_id(), &key.account_id())
            .await
            .unwrap_or(0);
        let probe = match (&adapter, probe) {
            (Some(adapter), true) => Some(
                match tokio::time::timeout(probe_timeout, adapter.probe()).await {
                    Ok(Ok(report)) => Ok(report),
                    Ok(Err(error)) => Err(error.to_string()),
                    Err(_) => Err(format!("no answer within {} ms", probe_timeout.as_millis())),
                },
            ),
            _ => None,
        };
        accounts.push(AccountReport {
            channel: key.channel.clone(),
            account: key.account.clone(),
            name: settings.name.clone(),
            enabled: settings.enabled,
            configured: adapter.is_some(),
            running: snapshot.running,
            connected: snapshot.connected,
            identity: snapshot.identity,
            mode: snapshot.mode,
            last_inbound_ms: snapshot.last_inbound_ms,
            last_outbound_ms: snapshot.last_outbound_ms,
            connected_since_ms: snapshot.connected_since_ms,
            last_error: snapshot.last_error,
            last_error_ms: snapshot.last_error_ms,
            restarts: snapshot.restarts,
            pending_deliveries,
            not_running,
            probe,
        });
    }
    ChannelsReport {
        accounts,
        default_accounts: hub.config().channel_accounts.default_accounts.clone(),
    }
}
