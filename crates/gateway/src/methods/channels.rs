//! `channels.status` and `channels.logout`: the host's chat channels as OpenClaw reports them
//! (upstream `server-methods/channels.ts`), and the channel part of `health` built from the
//! same status.
//!
//! The host says what each account is ([`AccountStatus`]); this module shapes it into
//! upstream's account snapshot (`ChannelAccountSnapshot`), the per-channel summary, the UI
//! catalog (`channelOrder`, `channelLabels`, `channelMeta`, …) and the status issues, and
//! judges each account's health as upstream's `evaluateChannelHealth` does. Probing is the
//! host's; the time it may take is bounded here, as upstream bounds it.

use std::sync::Arc;
use std::time::Duration;

use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
use rustyclaw_protocol::origin::{AccountId, ChannelId};
use serde_json::{Map, Value, json};

use super::config::params::{
    check_keys, optional_bool, optional_integer, optional_string, optional_text, required_string,
};
use super::{ADMIN, Call, Fail, READ, Reply, invalid, unhandled};
use crate::channels::{
    AccountState, AccountStatus, ChannelControl, ChannelControlError, ChannelStatus, Probe,
    StatusRequest,
};
use crate::clock::now_ms;
use crate::state::GatewayState;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] =
    &[("channels.status", READ), ("channels.logout", ADMIN)];

/// The longest a status may take (upstream `CHANNEL_STATUS_MAX_TIMEOUT_MS`), and its default
/// with a probe.
const STATUS_MAX_TIMEOUT: Duration = Duration::from_secs(30);
/// The default without a probe, and the least a client may ask for (upstream).
const STATUS_DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const STATUS_MIN_TIMEOUT: Duration = Duration::from_secs(1);
/// What the host gets beyond the probes' time to answer, before the call is given up.
const HOST_GRACE: Duration = Duration::from_secs(2);
/// Most status issues and warnings reported (upstream).
const MAX_ISSUES: usize = 50;
/// How long a started account may take to connect before it counts as disconnected, and how
/// long a connected one may stay silent before its transport counts as stale (upstream
/// `DEFAULT_CHANNEL_CONNECT_GRACE_MS`, `DEFAULT_CHANNEL_STALE_EVENT_THRESHOLD_MS`).
const CONNECT_GRACE_MS: u64 = 120_000;
const STALE_TRANSPORT_MS: u64 = 30 * 60_000;

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "channels.status" => status(call.state, params).await,
        "channels.logout" => logout(call.state, params).await,
        _ => unhandled(method),
    }
}

/// The host's channels, when the gateway was given them.
pub(super) fn control(state: &GatewayState) -> Option<&Arc<dyn ChannelControl>> {
    state.0.options.channels.as_ref()
}

/// The error of a request that needs a channel when the gateway has none.
pub(super) fn no_channels(channel: &ChannelId) -> Fail {
    invalid(format!(
        "no channel {channel}: no chat channel is configured in this gateway (add one with \
         `rustyclaw channels add --channel <id>`)"
    ))
}

/// `UNAVAILABLE` carrying the host's words (upstream answers a failing plugin call so).
pub(super) fn unavailable_with(message: String, retryable: bool) -> Fail {
    let mut error = ErrorShape::new(ErrorCode::Unavailable, message);
    error.retryable = Some(retryable);
    Box::new(error)
}

/// Asks the host for the status of its channels, within `timeout` plus a little.
pub(super) async fn host_status(
    control: &dyn ChannelControl,
    request: &StatusRequest,
    timeout: Duration,
) -> Result<Vec<ChannelStatus>, Fail> {
    match tokio::time::timeout(timeout + HOST_GRACE, control.status(request)).await {
        Ok(Ok(channels)) => Ok(channels),
        Ok(Err(ChannelControlError::UnknownChannel { channel })) => {
            Err(invalid(format!("unknown channel: {channel}")))
        }
        Ok(Err(error)) => Err(unavailable_with(error.to_string(), false)),
        Err(_) => Err(unavailable_with(
            format!(
                "channel status timed out after {}ms",
                (timeout + HOST_GRACE).as_millis()
            ),
            true,
        )),
    }
}

async fn status(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "channels.status";
    check_keys(METHOD, params, &["probe", "timeoutMs", "channel"])?;
    let probe = optional_bool(METHOD, params, "probe")?.unwrap_or(false);
    let timeout_ms = optional_integer(METHOD, params, "timeoutMs", 0, u64::MAX)?;
    let channel = optional_string(METHOD, params, "channel")?.map(ChannelId::new);
    let timeout = match timeout_ms {
        Some(ms) => Duration::from_millis(ms).clamp(STATUS_MIN_TIMEOUT, STATUS_MAX_TIMEOUT),
        None if probe => STATUS_MAX_TIMEOUT,
        None => STATUS_DEFAULT_TIMEOUT,
    };
    let channels = match control(state) {
        Some(control) => {
            let request = StatusRequest {
                channel,
                probe: probe.then_some(timeout),
            };
            host_status(control.as_ref(), &request, timeout).await?
        }
        None => Vec::new(),
    };
    Ok(status_payload(&channels, now_ms()))
}

/// The `channels.status` payload (`ChannelsStatusResult`).
fn status_payload(channels: &[ChannelStatus], now: u64) -> Value {
    let mut labels = Map::new();
    let mut detail_labels = Map::new();
    let mut system_images = Map::new();
    let mut meta = Vec::new();
    let mut summaries = Map::new();
    let mut accounts = Map::new();
    let mut defaults = Map::new();
    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    for channel in channels {
        let id = channel.channel.as_str();
        labels.insert(id.into(), json!(channel.label));
        detail_labels.insert(id.into(), json!(channel.detail_label));
        let mut entry =
            json!({"id": id, "label": channel.label, "detailLabel": channel.detail_label});
        if let Some(image) = &channel.system_image {
            system_images.insert(id.into(), json!(image));
            entry["systemImage"] = json!(image);
        }
        meta.push(entry);
        let snapshots: Vec<Value> = channel
            .accounts
            .iter()
            .map(|account| {
                warnings.extend(probe_warning(&channel.channel, account));
                issues.extend(account_issues(&channel.channel, account, now));
                Value::Object(account_snapshot(account, now))
            })
            .collect();
        summaries.insert(id.into(), channel_summary(channel, &snapshots));
        accounts.insert(id.into(), Value::Array(snapshots));
        defaults.insert(id.into(), json!(channel.default_account.as_str()));
    }
    issues.truncate(MAX_ISSUES);
    let mut payload = json!({
        "ts": now,
        "channelOrder": channels.iter().map(|c| c.channel.as_str()).collect::<Vec<_>>(),
        "channelLabels": labels,
        "channelDetailLabels": detail_labels,
        "channelSystemImages": system_images,
        "channelMeta": meta,
        "channels": summaries,
        "channelAccounts": accounts,
        "channelDefaultAccountId": defaults,
        "statusIssues": issues,
    });
    if !warnings.is_empty() {
        warnings.sort();
        warnings.truncate(MAX_ISSUES);
        payload["partial"] = json!(true);
        payload["warnings"] = json!(warnings);
    }
    payload
}

/// Upstream's account snapshot of `account` (`ChannelAccountSnapshot`): the account, its state
/// projected as upstream's `applyChannelAccountState` does, its activity, the probe and the
/// health judged from all that.
pub(super) fn account_snapshot(account: &AccountStatus, now: u64) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("accountId".into(), json!(account.account.as_str()));
    if let Some(name) = &account.name {
        out.insert("name".into(), json!(name));
    }
    out.insert("enabled".into(), json!(account.enabled));
    out.insert("configured".into(), json!(account.configured));
    let running = matches!(account.state, AccountState::Running { .. });
    out.insert("running".into(), json!(running));
    if let AccountState::Running { connected } = account.state {
        out.insert("connected".into(), json!(connected));
    }
    if !account.enabled {
        out.insert("stateReason".into(), json!("disabled"));
    } else if !account.configured {
        out.insert("stateReason".into(), json!("not configured"));
    }
    let activity = &account.activity;
    out.insert("lastStartAt".into(), json!(activity.started_ms));
    out.insert("lastStopAt".into(), Value::Null);
    let probe_error = match &account.probe {
        Some(Probe::Failed { error, .. }) => Some(error.clone()),
        Some(Probe::TimedOut { after }) => Some(timed_out(*after)),
        Some(Probe::Ok { .. }) | None => None,
    };
    out.insert(
        "lastError".into(),
        json!(account.last_error.clone().or(probe_error)),
    );
    out.insert("lastInboundAt".into(), json!(activity.inbound_ms));
    out.insert("lastOutboundAt".into(), json!(activity.outbound_ms));
    if let Some(at) = activity.connected_ms {
        out.insert("lastConnectedAt".into(), json!(at));
    }
    if let Some(at) = activity.alive_ms {
        out.insert("lastTransportActivityAt".into(), json!(at));
    }
    out.insert("reconnectAttempts".into(), json!(account.restarts));
    if let Some(mode) = &account.mode {
        out.insert("mode".into(), json!(mode));
    }
    if let Some(identity) = &account.identity {
        out.insert("identity".into(), json!(identity));
        // What the official CLI shows as `bot:@name`.
        out.insert(
            "bot".into(),
            json!({"username": identity.trim_start_matches('@')}),
        );
    }
    if let Some(source) = &account.credential_source {
        out.insert("tokenSource".into(), json!(source));
    }
    if let Some(probe) = &account.probe {
        out.insert("probe".into(), probe_json(probe));
        out.insert("lastProbeAt".into(), json!(now));
    }
    if let Some(health) = health_state(account, now) {
        out.insert("healthState".into(), json!(health.as_str()));
    }
    out
}

/// A probe as upstream's probes report themselves (`bot.username` is what the CLI shows).
fn probe_json(probe: &Probe) -> Value {
    match probe {
        Probe::Ok { identity, elapsed } => {
            let mut out = json!({"ok": true, "elapsedMs": millis(*elapsed)});
            if let Some(identity) = identity {
                out["bot"] = json!({"username": identity.trim_start_matches('@')});
            }
            out
        }
        Probe::Failed { error, elapsed } => {
            json!({"ok": false, "error": error, "elapsedMs": millis(*elapsed)})
        }
        Probe::TimedOut { after } => {
            json!({"ok": false, "timedOut": true, "error": timed_out(*after)})
        }
    }
}

fn timed_out(after: Duration) -> String {
    format!("probe timed out after {}ms", millis(after))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A probe that did not answer in time makes the status partial (upstream warns so).
fn probe_warning(channel: &ChannelId, account: &AccountStatus) -> Option<String> {
    match &account.probe {
        Some(Probe::TimedOut { after }) => Some(format!(
            "{channel}:{} probe timed out after {}ms",
            account.account,
            millis(*after)
        )),
        _ => None,
    }
}

/// The channel summary upstream's token channels report (`buildTokenChannelStatusSummary`),
/// from the default account's snapshot (else the first account's).
fn channel_summary(channel: &ChannelStatus, snapshots: &[Value]) -> Value {
    let default = snapshots
        .iter()
        .find(|s| s["accountId"] == channel.default_account.as_str())
        .or_else(|| snapshots.first());
    let Some(snapshot) = default else {
        return json!({"configured": false});
    };
    let mut summary = json!({
        "configured": snapshot["configured"],
        "running": snapshot["running"],
        "lastStartAt": snapshot["lastStartAt"],
        "lastStopAt": Value::Null,
        "lastError": snapshot["lastError"],
        "lastProbeAt": snapshot.get("lastProbeAt").cloned().unwrap_or(Value::Null),
    });
    for key in ["mode", "tokenSource", "probe"] {
        if let Some(value) = snapshot.get(key) {
            summary[key] = value.clone();
        }
    }
    summary
}

/// Why an enabled, configured account is unhealthy (upstream `evaluateChannelHealth`'s
/// reasons); `None` when it is healthy or not managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unhealthy {
    NotRunning,
    Disconnected,
    StaleSocket,
}

impl Unhealthy {
    fn as_str(self) -> &'static str {
        match self {
            Unhealthy::NotRunning => "not-running",
            Unhealthy::Disconnected => "disconnected",
            Unhealthy::StaleSocket => "stale-socket",
        }
    }

    /// Upstream's status issue for it.
    fn message(self) -> &'static str {
        match self {
            Unhealthy::NotRunning => {
                "Channel is enabled and configured, but its runtime is not running."
            }
            Unhealthy::Disconnected => "Channel reports running, but the runtime is disconnected.",
            Unhealthy::StaleSocket => {
                "Channel reports connected, but transport activity is stale; inbound delivery \
                 may be broken."
            }
        }
    }
}

fn health_state(account: &AccountStatus, now: u64) -> Option<Unhealthy> {
    if !account.enabled || !account.configured {
        return None;
    }
    let started = account.activity.started_ms;
    let recently_started = started.is_some_and(|at| now.saturating_sub(at) < CONNECT_GRACE_MS);
    match account.state {
        AccountState::Stopped => Some(Unhealthy::NotRunning),
        AccountState::Running { connected: false } if recently_started => None,
        AccountState::Running { connected: false } => Some(Unhealthy::Disconnected),
        AccountState::Running { connected: true } => {
            let alive = account.activity.alive_ms?;
            // Activity from before this start says nothing about the new connection, until the
            // new connection had time to show some.
            let since = match started {
                Some(started) if alive < started => started,
                _ => alive,
            };
            (now.saturating_sub(since) > STALE_TRANSPORT_MS).then_some(Unhealthy::StaleSocket)
        }
    }
}

/// The account's status issues: what the host reports, then its runtime health.
fn account_issues(channel: &ChannelId, account: &AccountStatus, now: u64) -> Vec<Value> {
    let issue = |kind: &str, message: &str, fix: Option<&str>| {
        let mut issue = json!({
            "channel": channel.as_str(),
            "accountId": account.account.as_str(),
            "kind": kind,
            "message": message,
        });
        if let Some(fix) = fix {
            issue["fix"] = json!(fix);
        }
        issue
    };
    let mut issues: Vec<Value> = account
        .issues
        .iter()
        .map(|i| issue(i.kind.as_str(), &i.message, i.fix.as_deref()))
        .collect();
    if let Some(unhealthy) = health_state(account, now) {
        issues.push(issue(
            "runtime",
            unhealthy.message(),
            Some("restart the channel or gateway"),
        ));
    }
    issues
}

/// The channel part of the health snapshot.
pub(super) struct HealthChannels {
    /// `channels`: each channel's default account record with every account under `accounts`.
    pub channels: Map<String, Value>,
    /// `channelOrder`.
    pub order: Vec<String>,
    /// `channelLabels`.
    pub labels: Map<String, Value>,
}

/// How long the host may take to report its channels for `health` (upstream's health
/// collection budget).
const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `health` probes the channels, and who sees what the probes found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HealthProbe {
    /// Report the state known without asking the platforms (events, the connect snapshot).
    Skip,
    /// Probe every account; `details` for admins (upstream's sensitive audience), others see
    /// only that a probe failed.
    Run {
        /// Include successful probes' results.
        details: bool,
    },
}

/// The channels of the health snapshot. A host that cannot answer leaves the channels out
/// (and is logged): health must still answer.
pub(super) async fn health_channels(state: &GatewayState, probe: HealthProbe) -> HealthChannels {
    let mut out = HealthChannels {
        channels: Map::new(),
        order: Vec::new(),
        labels: Map::new(),
    };
    let Some(control) = control(state) else {
        return out;
    };
    let request = StatusRequest {
        channel: None,
        probe: matches!(probe, HealthProbe::Run { .. }).then_some(HEALTH_TIMEOUT),
    };
    let probe_details = matches!(probe, HealthProbe::Run { details: true });
    let channels = match host_status(control.as_ref(), &request, HEALTH_TIMEOUT).await {
        Ok(channels) => channels,
        Err(error) => {
            tracing::warn!(error = %error.message, "channel status for health failed");
            return out;
        }
    };
    let now = now_ms();
    for channel in &channels {
        let id = channel.channel.as_str().to_owned();
        let mut records = Map::new();
        for account in &channel.accounts {
            let mut record = account_snapshot(account, now);
            let failed = record.get("probe").is_some_and(|p| p["ok"] == false);
            if !probe_details && !failed {
                record.remove("probe");
            }
            records.insert(account.account.as_str().to_owned(), Value::Object(record));
        }
        let default = records
            .get(channel.default_account.as_str())
            .or_else(|| records.values().next())
            .cloned();
        if let Some(Value::Object(mut entry)) = default {
            entry.insert("accounts".into(), Value::Object(records));
            out.channels.insert(id.clone(), Value::Object(entry));
        }
        out.labels.insert(id.clone(), json!(channel.label));
        out.order.push(id);
    }
    out
}

async fn logout(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "channels.logout";
    check_keys(METHOD, params, &["channel", "accountId"])?;
    let channel = ChannelId::new(required_string(METHOD, params, "channel")?);
    let account = optional_text(METHOD, params, "accountId")?
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(AccountId::new);
    let Some(control) = control(state) else {
        return Err(no_channels(&channel));
    };
    let outcome =
        control
            .logout(&channel, account.as_ref())
            .await
            .map_err(|error| match error {
                ChannelControlError::UnknownChannel { channel } => {
                    invalid(format!("unknown channel: {channel}"))
                }
                ChannelControlError::Unsupported { channel, .. } => {
                    invalid(format!("channel {channel} does not support logout"))
                }
                error @ (ChannelControlError::UnknownAccount { .. }
                | ChannelControlError::Invalid { .. }) => invalid(error.to_string()),
                error @ (ChannelControlError::NotReady { .. }
                | ChannelControlError::Permanent { .. }) => {
                    unavailable_with(error.to_string(), false)
                }
                error @ (ChannelControlError::RetryAfter { .. }
                | ChannelControlError::Transient { .. }) => {
                    unavailable_with(error.to_string(), true)
                }
            })?;
    Ok(json!({
        "channel": channel.as_str(),
        "accountId": outcome.account.as_str(),
        "cleared": outcome.cleared,
        "loggedOut": outcome.logged_out,
        "envToken": outcome.env_credential,
    }))
}
