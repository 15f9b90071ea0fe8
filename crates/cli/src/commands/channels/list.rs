//! `channels list`: the accounts the config file sets up, one line each (upstream's
//! `- Telegram default: configured, enabled, …`), without asking the gateway.

use std::process::ExitCode;

use rustyclaw_config::{CONNECTED_CHANNELS, LoadedConfig};
use serde_json::{Map, Value, json};

use super::{ConfiguredAccount, Kind, accounts, default_account, label_of};
use crate::output;

/// The line upstream prints when nothing is configured, with rustyclaw's command.
pub(super) const NO_CHANNELS_LINE: &str =
    "- no configured chat channels (run `rustyclaw channels add --channel <name>` to add one)";

pub(super) fn run(loaded: &LoadedConfig, json: bool) -> anyhow::Result<ExitCode> {
    output::warnings(&loaded.warnings);
    let mut lines = vec!["Chat channels:".to_owned()];
    let mut chat = Map::new();
    for kind in Kind::ALL {
        let accounts = accounts(loaded, kind);
        if accounts.is_empty() {
            continue;
        }
        let default = default_account(loaded, kind, &accounts);
        lines.extend(accounts.iter().flat_map(|a| account_lines(a, default)));
        chat.insert(kind.id().to_owned(), channel_json(kind, &accounts, default));
    }
    let unsupported: Vec<&str> = loaded
        .config
        .channels
        .configured_ids()
        .into_iter()
        .filter(|id| !CONNECTED_CHANNELS.contains(id))
        .collect();
    for id in &unsupported {
        lines.push(format!("- {id}: configured, not run by rustyclaw"));
        chat.insert(
            (*id).to_owned(),
            json!({"accounts": [], "label": id, "installed": false, "origin": "configured"}),
        );
    }
    if json {
        output::json(&json!({"chat": chat}));
        return Ok(ExitCode::SUCCESS);
    }
    if lines.len() == 1 {
        lines.push(NO_CHANNELS_LINE.to_owned());
    }
    lines.push(String::new());
    lines.push(format!("Config: {}", loaded.path.display()));
    output::out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

/// `- Telegram work (Work bot): configured, enabled, default, token=present`, then the
/// account's problems.
pub(super) fn account_lines(account: &ConfiguredAccount<'_>, default: Option<&str>) -> Vec<String> {
    let settings = account.settings;
    let mut bits = vec![
        if account.configured() {
            "configured"
        } else {
            "not configured"
        }
        .to_owned(),
        if settings.enabled {
            "enabled"
        } else {
            "disabled"
        }
        .to_owned(),
    ];
    if default == Some(settings.account_id.as_str()) {
        bits.push("default".to_owned());
    }
    bits.extend(account.facts.iter().cloned());
    let name = settings
        .name
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let mut lines = vec![format!(
        "- {} {}{name}: {}",
        label_of(account.kind.id()),
        settings.account_id,
        bits.join(", ")
    )];
    lines.extend(
        settings
            .problems
            .iter()
            .map(|problem| format!("    problem: {problem}")),
    );
    lines
}

/// Upstream's `channels list --json` entry (`accounts`, `label`, `installed`, `origin`), with
/// the default account and each account's state.
fn channel_json(kind: Kind, accounts: &[ConfiguredAccount<'_>], default: Option<&str>) -> Value {
    let details: Vec<Value> = accounts
        .iter()
        .map(|account| {
            let settings = account.settings;
            json!({
                "accountId": settings.account_id,
                "name": settings.name,
                "enabled": settings.enabled,
                "configured": account.configured(),
                "default": default == Some(settings.account_id.as_str()),
                "configPath": settings.config_path,
                "facts": account.facts,
                "problems": settings.problems,
            })
        })
        .collect();
    json!({
        "accounts": accounts.iter().map(|a| a.settings.account_id.as_str()).collect::<Vec<_>>(),
        "label": kind.label(),
        "installed": true,
        "origin": "configured",
        "defaultAccount": default,
        "accountDetails": details,
    })
}
