//! `channels status` and `channels logout`: through the running gateway (`channels.status`,
//! `channels.logout`), printed as the official CLI prints them. When no gateway listens,
//! `status` falls back to what the config says, as upstream does.

use std::process::ExitCode;

use rustyclaw_config::LoadedConfig;
use serde_json::{Map, Value, json};

use super::list::{NO_CHANNELS_LINE, account_lines};
use super::{Kind, LogoutArgs, StatusArgs, account_of, accounts, default_account};
use crate::UserError;
use crate::gateway_client::{OpenError, Target, block_on, call_once};
use crate::output;

/// `channels status`.
pub(super) fn status(loaded: &LoadedConfig, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let channel = match args.channel.as_deref().map(str::trim) {
        Some("") => {
            return Err(UserError::new("--channel must not be blank")
                .hint("omit it (or pass `all`) for every channel")
                .into());
        }
        Some(all) if all.eq_ignore_ascii_case("all") => None,
        other => other.map(str::to_ascii_lowercase),
    };
    let target = Target::new(
        loaded,
        args.gateway.url.as_deref(),
        args.gateway.token.as_deref(),
        args.timeout,
    );
    let mut params = json!({"probe": args.probe, "timeoutMs": args.timeout});
    if let Some(channel) = &channel {
        params["channel"] = json!(channel);
    }
    match block_on(async { Ok(call_once(&target, "channels.status", params).await) })? {
        Ok(payload) if args.json => output::json(&payload),
        Ok(payload) => output::out(&gateway_lines(&payload, now_ms()).join("\n")),
        Err(OpenError::Unreachable { url, reason }) => {
            let error = format!("cannot connect to the gateway at {url}: {reason}");
            config_only(loaded, channel.as_deref(), &error, args.json);
        }
        Err(OpenError::Failed(error)) => return Err(error),
    }
    Ok(ExitCode::SUCCESS)
}

fn now_ms() -> u64 {
    rustyclaw_support::now_ms()
}

/// The status lines of a `channels.status` answer (upstream `formatGatewayChannelsStatusLines`).
fn gateway_lines(payload: &Value, now: u64) -> Vec<String> {
    let mut lines = vec!["Gateway reachable.".to_owned()];
    let warnings: Vec<&str> = payload["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|w| !w.trim().is_empty())
        .collect();
    if payload["partial"] == true || !warnings.is_empty() {
        lines.push("Channel status is partial:".to_owned());
        lines.extend(warnings.iter().map(|w| format!("- {w}")));
        lines.push(String::new());
    }
    let empty = Map::new();
    let labels = payload["channelLabels"].as_object().unwrap_or(&empty);
    let mut channels: Vec<(&String, &Value)> = payload["channelAccounts"]
        .as_object()
        .unwrap_or(&empty)
        .iter()
        .collect();
    channels.sort_by_key(|(id, _)| id.as_str());
    let before = lines.len();
    for (id, accounts) in channels {
        let label = labels.get(id).and_then(Value::as_str).unwrap_or(id);
        for account in accounts.as_array().into_iter().flatten() {
            lines.push(account_line(label, account, now));
        }
    }
    if lines.len() == before {
        lines.push(NO_CHANNELS_LINE.to_owned());
    }
    lines.push(String::new());
    let issues: Vec<&Value> = payload["statusIssues"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if !issues.is_empty() {
        lines.push("Warnings:".to_owned());
        for issue in issues {
            let fix = issue["fix"]
                .as_str()
                .map(|fix| format!(" ({fix})"))
                .unwrap_or_default();
            lines.push(format!(
                "- {} {}: {}{fix}",
                text(&issue["channel"]),
                text(&issue["accountId"]),
                text(&issue["message"])
            ));
        }
        lines.push("- Run: rustyclaw doctor".to_owned());
        lines.push(String::new());
    }
    lines.push(
        "Tip: `rustyclaw channels status --probe` checks each account's credentials and \
         connection live."
            .to_owned(),
    );
    lines
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// `- Telegram default: enabled, configured, running, connected, in:5m ago, mode:polling,
/// bot:@name, token:config, works`.
fn account_line(label: &str, account: &Value, now: u64) -> String {
    let mut bits = Vec::new();
    let flag = |key: &str| account[key].as_bool();
    if let Some(enabled) = flag("enabled") {
        bits.push(if enabled { "enabled" } else { "disabled" }.to_owned());
    }
    if let Some(configured) = flag("configured") {
        bits.push(
            if configured {
                "configured"
            } else {
                "not configured"
            }
            .to_owned(),
        );
    }
    let reason = text(&account["stateReason"]);
    let repeats_state = (flag("enabled") == Some(false) && reason == "disabled")
        || (flag("configured") == Some(false) && reason == "not configured");
    if !reason.is_empty() && !repeats_state {
        bits.push(format!("reason:{reason}"));
    }
    if let Some(error) = account["lastError"].as_str().filter(|e| !e.is_empty()) {
        bits.push(format!("error:{error}"));
    }
    if let Some(running) = flag("running") {
        bits.push(if running { "running" } else { "stopped" }.to_owned());
    }
    if let Some(connected) = flag("connected") {
        bits.push(
            if connected {
                "connected"
            } else {
                "disconnected"
            }
            .to_owned(),
        );
    }
    for (key, name) in [
        ("lastInboundAt", "in"),
        ("lastOutboundAt", "out"),
        ("lastTransportActivityAt", "transport"),
    ] {
        if let Some(at) = account[key].as_u64().filter(|at| *at > 0) {
            bits.push(format!("{name}:{}", time_ago(now.saturating_sub(at))));
        }
    }
    if let Some(mode) = account["mode"].as_str().filter(|m| !m.is_empty()) {
        bits.push(format!("mode:{mode}"));
    }
    let bot = account
        .pointer("/bot/username")
        .or_else(|| account.pointer("/probe/bot/username"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|name| !name.is_empty());
    if let Some(bot) = bot {
        bits.push(format!("bot:@{}", bot.trim_start_matches('@')));
    }
    if let Some(source) = account["tokenSource"]
        .as_str()
        .filter(|s| !s.is_empty() && *s != "none")
    {
        bits.push(format!("token:{source}"));
    }
    if let Some(health) = account["healthState"].as_str().filter(|h| !h.is_empty()) {
        bits.push(format!("health:{health}"));
    }
    if let Some(ok) = account.pointer("/probe/ok").and_then(Value::as_bool) {
        bits.push(if ok { "works" } else { "probe failed" }.to_owned());
    }
    let id = account["accountId"].as_str().unwrap_or("default");
    let name = account["name"]
        .as_str()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    format!("- {label} {id}{name}: {}", bits.join(", "))
}

/// Upstream's `formatTimeAgo`: `just now`, `5m ago`, `3h ago`, `2d ago`.
fn time_ago(ms: u64) -> String {
    let seconds = (ms + 500) / 1000;
    let minutes = (seconds + 30) / 60;
    if minutes < 1 {
        return "just now".to_owned();
    }
    if minutes < 60 {
        return format!("{minutes}m ago");
    }
    let hours = (minutes + 30) / 60;
    if hours < 48 {
        return format!("{hours}h ago");
    }
    format!("{}d ago", (hours + 12) / 24)
}

/// What `status` shows when no gateway listens: the configured accounts (upstream's
/// config-only fallback, and its JSON shape).
fn config_only(loaded: &LoadedConfig, channel: Option<&str>, error: &str, json: bool) {
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| channel.is_none_or(|c| c == k.id()))
        .collect();
    if json {
        let configured: Vec<&str> = kinds
            .iter()
            .filter(|k| !accounts(loaded, **k).is_empty())
            .map(|k| k.id())
            .collect();
        output::json(&json!({
            "gatewayReachable": false,
            "error": error,
            "gatewayAuthUnavailable": false,
            "configOnly": true,
            "config": {"path": loaded.path, "mode": "local"},
            "configuredChannels": configured,
        }));
        return;
    }
    output::err(&format!("Gateway not reachable: {error}"));
    let mut lines = vec![
        "Gateway not reachable; showing config-only status.".to_owned(),
        format!("Config: {}", loaded.path.display()),
        "Mode: local".to_owned(),
        String::new(),
    ];
    let before = lines.len();
    for kind in kinds {
        let accounts = accounts(loaded, kind);
        let default = default_account(loaded, kind, &accounts);
        lines.extend(accounts.iter().flat_map(|a| account_lines(a, default)));
    }
    if lines.len() == before {
        lines.push(NO_CHANNELS_LINE.to_owned());
    }
    output::out(&lines.join("\n"));
}

/// `channels logout`.
pub(super) fn logout(loaded: &LoadedConfig, args: &LogoutArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.channel.as_deref() {
        Some(channel) => Kind::parse(channel)?,
        None => only_configured(loaded)?,
    };
    let account = account_of(args.account.as_deref())?;
    let target = Target::new(
        loaded,
        args.gateway.url.as_deref(),
        args.gateway.token.as_deref(),
        args.timeout,
    );
    let mut params = json!({"channel": kind.id()});
    if let Some(account) = &account {
        params["accountId"] = json!(account);
    }
    let payload = block_on(async {
        call_once(&target, "channels.logout", params)
            .await
            .map_err(anyhow::Error::from)
    })?;
    if args.json {
        output::json(&payload);
        return Ok(ExitCode::SUCCESS);
    }
    let scope = format!(
        "{}/{}",
        kind.id(),
        payload["accountId"]
            .as_str()
            .or(account.as_deref())
            .unwrap_or("default")
    );
    let cleared = if payload["cleared"] == true {
        "Cleared saved auth"
    } else {
        "No saved auth was cleared"
    };
    let still = if payload["loggedOut"] == false {
        " Other credentials may still be active."
    } else {
        ""
    };
    output::out(&format!("{cleared} for {scope}.{still}"));
    Ok(ExitCode::SUCCESS)
}

/// The channel of a command that names none: the only configured one (upstream infers it so).
fn only_configured(loaded: &LoadedConfig) -> anyhow::Result<Kind> {
    let configured: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| !accounts(loaded, *k).is_empty())
        .collect();
    match configured.as_slice() {
        [only] => Ok(*only),
        [] => Err(UserError::new("no channel is configured")
            .hint("add one with `rustyclaw channels add --channel <name>`")
            .into()),
        several => Err(UserError::new(format!(
            "several channels are configured ({}): pass --channel",
            several
                .iter()
                .map(|k| k.id())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_upstream_writes_them() {
        assert_eq!(time_ago(0), "just now");
        assert_eq!(time_ago(29_000), "just now");
        assert_eq!(time_ago(90_000), "2m ago");
        assert_eq!(time_ago(3 * 3_600_000), "3h ago");
        assert_eq!(time_ago(3 * 86_400_000), "3d ago");
    }

    #[test]
    fn an_account_line_says_what_the_official_cli_says() {
        let now = 10_000_000;
        let account = json!({
            "accountId": "default", "enabled": true, "configured": true, "running": true,
            "connected": true, "lastInboundAt": now - 5_000, "lastOutboundAt": null,
            "mode": "polling", "bot": {"username": "rusty_bot"}, "tokenSource": "config",
            "probe": {"ok": true, "elapsedMs": 40}
        });
        assert_eq!(
            account_line("Telegram", &account, now),
            "- Telegram default: enabled, configured, running, connected, in:just now, \
             mode:polling, bot:@rusty_bot, token:config, works"
        );
        let disabled = json!({"accountId": "work", "name": "Work", "enabled": false,
                              "configured": true, "running": false, "stateReason": "disabled",
                              "lastError": "Unauthorized"});
        assert_eq!(
            account_line("Telegram", &disabled, now),
            "- Telegram work (Work): disabled, configured, error:Unauthorized, stopped"
        );
    }
}
