//! `rustyclaw approvals get|allowlist add|allowlist remove`: the exec approvals of this host
//! (`<state dir>/exec-approvals.json`), with OpenClaw's command names.

use std::process::ExitCode;

use rustyclaw_config::file::{ExecAsk, ExecHost, ExecSecurity};
use rustyclaw_config::{ConfigError, LoadedConfig};
use rustyclaw_protocol::AgentId;
use rustyclaw_support::now_ms_i64;
use rustyclaw_tools::approvals::{
    ALL_AGENTS, ApprovalsFile, ApprovalsStore, Ask, Policy, ScopedEntry, Security,
};
use serde_json::{Value, json};

use crate::UserError;
use crate::args::{AllowlistArgs, AllowlistCommand, ApprovalsCommand};
use crate::context::Context;
use crate::output;

/// Runs an `approvals` subcommand. Only `get` needs the config (for the requested policy).
pub fn run(
    ctx: &Context,
    loaded: Result<LoadedConfig, ConfigError>,
    cmd: ApprovalsCommand,
) -> anyhow::Result<ExitCode> {
    let store = ApprovalsStore::in_state_dir(&ctx.locations.state_dir);
    match cmd {
        ApprovalsCommand::Get(flag) => get(&store, &loaded?, flag.json),
        ApprovalsCommand::Allowlist(AllowlistCommand::Add(args)) => add(&store, &args),
        ApprovalsCommand::Allowlist(AllowlistCommand::Remove(args)) => remove(&store, &args),
    }
}

fn load(store: &ApprovalsStore) -> anyhow::Result<ApprovalsFile> {
    store.load().map_err(|e| {
        UserError::new(e.to_string())
            .hint("fix the file by hand, or move it away to start from an empty one")
            .into()
    })
}

fn requested(loaded: &LoadedConfig) -> (ExecHost, Security, Ask) {
    let exec = &loaded.config.tools.exec;
    let security = match exec.security {
        ExecSecurity::Deny => Security::Deny,
        ExecSecurity::Allowlist => Security::Allowlist,
        ExecSecurity::Full => Security::Full,
    };
    let ask = match exec.ask {
        ExecAsk::Off => Ask::Off,
        ExecAsk::OnMiss => Ask::OnMiss,
        ExecAsk::Always => Ask::Always,
    };
    (exec.host, security, ask)
}

fn host_name(host: ExecHost) -> &'static str {
    match host {
        ExecHost::Sandbox => "sandbox",
        ExecHost::Gateway => "gateway",
        ExecHost::Node => "node",
    }
}

fn get(store: &ApprovalsStore, loaded: &LoadedConfig, json: bool) -> anyhow::Result<ExitCode> {
    output::warnings(&loaded.warnings);
    let file = load(store)?;
    let exists = store.path().exists();
    let (host, security, ask) = requested(loaded);
    // Configured agents first, then any other agent the file mentions.
    let mut agents: Vec<String> = loaded
        .config
        .agents
        .list
        .iter()
        .map(|a| a.id.clone())
        .collect();
    for id in file.agents.keys() {
        if id != ALL_AGENTS && !agents.contains(id) {
            agents.push(id.clone());
        }
    }
    let effective: Vec<(String, Policy, Vec<ScopedEntry>)> = agents
        .into_iter()
        .map(|id| {
            let host_policy = file.host_policy(&id);
            let policy = Policy::effective(security, ask, &host_policy.policy);
            (id, policy, host_policy.allowlist)
        })
        .collect();
    if json {
        let agents: serde_json::Map<String, Value> = effective
            .iter()
            .map(|(id, p, list)| {
                let entries: Vec<Value> = list
                    .iter()
                    .map(|e| {
                        let mut v = serde_json::to_value(&e.entry).unwrap_or(Value::Null);
                        v["scope"] = Value::from(e.scope.clone());
                        v
                    })
                    .collect();
                (
                    id.clone(),
                    json!({
                        "security": p.security,
                        "ask": p.ask,
                        "askFallback": p.ask_fallback,
                        "allowlist": entries,
                    }),
                )
            })
            .collect();
        output::json(&json!({
            "path": store.path().display().to_string(),
            "exists": exists,
            "requested": {"host": host_name(host), "security": security, "ask": ask},
            "file": serde_json::to_value(&file).unwrap_or(Value::Null),
            "agents": agents,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "Approvals file: {}{}\n",
        store.path().display(),
        if exists { "" } else { " (not created yet)" }
    );
    text.push_str(&format!(
        "Requested (tools.exec): host={} security={security} ask={ask}\n",
        host_name(host)
    ));
    if host != ExecHost::Gateway {
        text.push_str(&format!(
            "Note: approvals apply to host=gateway commands; with host={} commands do not ask.\n",
            host_name(host)
        ));
    }
    let defaults = file.defaults.clone().unwrap_or_default();
    let show = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    text.push_str(&format!(
        "File defaults: security={} ask={} askFallback={}\n",
        show(defaults.security.map(|s| s.to_string())),
        show(defaults.ask.map(|a| a.to_string())),
        show(defaults.ask_fallback.map(|s| s.to_string())),
    ));
    for (id, p, list) in &effective {
        text.push_str(&format!(
            "\nAgent {id}: security={} ask={} askFallback={}\n",
            p.security, p.ask, p.ask_fallback
        ));
        if list.is_empty() {
            text.push_str("  allowlist: (empty)\n");
            continue;
        }
        text.push_str("  allowlist:\n");
        for e in list {
            let scope = if e.scope == ALL_AGENTS {
                " (all agents)"
            } else {
                ""
            };
            let used = match (&e.entry.last_used_at, &e.entry.last_used_command) {
                (Some(at), Some(cmd)) => format!("  last used {} for {cmd:?}", when(*at)),
                (Some(at), None) => format!("  added {}", when(*at)),
                _ => String::new(),
            };
            text.push_str(&format!("    {}{scope}{used}\n", e.entry.pattern));
        }
    }
    output::out(&text);
    Ok(ExitCode::SUCCESS)
}

/// Unix ms as an RFC 3339 UTC time.
fn when(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// `*` or a valid agent id.
fn scope(agent: &str) -> anyhow::Result<String> {
    if agent == ALL_AGENTS {
        return Ok(agent.to_owned());
    }
    AgentId::parse(agent)
        .map(|id| id.as_str().to_owned())
        .map_err(|e| UserError::new(format!("--agent: {e}")).into())
}

fn scope_label(scope: &str) -> String {
    if scope == ALL_AGENTS {
        "all agents (*)".to_owned()
    } else {
        format!("agent {scope}")
    }
}

fn add(store: &ApprovalsStore, args: &AllowlistArgs) -> anyhow::Result<ExitCode> {
    let pattern = args.pattern.trim();
    if pattern != "*" && !pattern.contains('/') && !pattern.starts_with('~') {
        return Err(UserError::new(format!(
            "{pattern:?} is a bare name; allowlist patterns match executable paths, so it would never match"
        ))
        .hint(format!(
            "give the absolute path or a glob, e.g. /usr/bin/{pattern} (`command -v {pattern}` shows it)"
        ))
        .into());
    }
    let scope = scope(&args.agent)?;
    let added = store
        .update(|file| file.add_pattern(&scope, pattern, now_ms_i64()))
        .map_err(|e| UserError::new(e.to_string()))?;
    let verb = if added { "Added" } else { "Already allowed:" };
    output::out(&format!(
        "{verb} {pattern} for {} in {}",
        scope_label(&scope),
        store.path().display()
    ));
    Ok(ExitCode::SUCCESS)
}

fn remove(store: &ApprovalsStore, args: &AllowlistArgs) -> anyhow::Result<ExitCode> {
    let pattern = args.pattern.trim();
    let scope = scope(&args.agent)?;
    let removed = store
        .update(|file| file.remove_pattern(&scope, pattern))
        .map_err(|e| UserError::new(e.to_string()))?;
    if removed == 0 {
        return Err(UserError::new(format!(
            "{} has no allowlist entry {pattern}",
            scope_label(&scope)
        ))
        .hint("`rustyclaw approvals get` lists the entries; --agent picks the agent (default *)")
        .into());
    }
    output::out(&format!(
        "Removed {pattern} for {} from {}",
        scope_label(&scope),
        store.path().display()
    ));
    Ok(ExitCode::SUCCESS)
}
