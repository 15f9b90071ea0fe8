//! Config changes that lower isolation or widen what the agent may do.
//!
//! A client with `operator.admin` can rewrite the config, and whoever can rewrite the config can
//! switch the sandbox off; that is by design (the operator decides what runs), but it must
//! never happen silently. [`weakenings`] compares the running config with the one about to be
//! applied and lists each security setting the new one loosens, with its path, both values
//! and a sentence; the gateway logs, audits and announces the list (see
//! [`crate::GatewayState::announce_weakening`]).
//!
//! The comparison is over the resolved [`Config`], so defaults count: deleting
//! `agents.defaults.sandbox.mode` from a file that said `all` is no change, deleting a `deny`
//! list is a widening. An agent's setting that merely follows `agents.defaults` (or the global
//! `tools` policy) is reported once, under the defaults; an agent added with looser settings
//! than the defaults it would otherwise have had is reported under its own path. Only
//! security settings are looked at, none of which is a secret.

use std::collections::{BTreeMap, BTreeSet};

use rustyclaw_config::file::{
    ElevatedSection, ExecAsk, ExecHost, ExecSecurity, GuardMode, IsolationLevel, SandboxMode,
    SandboxScope, ToolAllowDeny, ToolPolicySection, ToolProfile, WorkspaceAccess,
};
use rustyclaw_config::{AgentConfig, Config, GuardThresholds, SandboxPolicy, ToolsConfig};
use rustyclaw_tools::policy::chain::DEFAULT_SANDBOX_DENY;
use serde::Serialize;
use serde_json::Value;

/// One security setting a new config loosens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weakening {
    /// The config key, e.g. `agents.defaults.sandbox.mode` or
    /// `agents.list[id=ops].tools.deny` (agents are named by id: their index may change).
    pub path: String,
    /// Its value in the running config (`null`: unset, nothing restricted).
    pub from: Value,
    /// Its value in the new config.
    pub to: Value,
    /// What the change means, in words.
    pub summary: String,
}

/// The settings `new` loosens compared with `old`, defaults first, then the tool policy, then
/// each agent of `new` in order; empty when `new` is at least as strict everywhere.
pub fn weakenings(old: &Config, new: &Config) -> Vec<Weakening> {
    let mut found = Found::default();
    let defaults = "agents.defaults.sandbox";
    sandbox(
        &mut found,
        defaults,
        &old.agents.defaults.sandbox,
        &new.agents.defaults.sandbox,
    );
    tools(&mut found, &old.tools, &new.tools);
    let shared = found.0.clone();
    for agent in &new.agents.list {
        let before = old.agents.get(&agent.id);
        let at = format!("agents.list[id={}]", agent.id);
        // Settings resolved over the defaults: reported here only when the agent's own values
        // differ from what the defaults report already says.
        let mut inherited = Found::default();
        let old_sandbox = before.map_or(&old.agents.defaults.sandbox, |a| &a.sandbox);
        sandbox(
            &mut inherited,
            &format!("{at}.sandbox"),
            old_sandbox,
            &agent.sandbox,
        );
        agent_inherited_tools(&mut inherited, &at, old, before, new, agent);
        inherited.0.retain(|w| {
            let key = w
                .path
                .strip_prefix(at.as_str())
                .and_then(|k| k.strip_prefix('.'))
                .unwrap_or(&w.path);
            !shared.iter().any(|d| {
                let shared_key = d.path.strip_prefix("agents.defaults.").unwrap_or(&d.path);
                shared_key == key && d.from == w.from && d.to == w.to
            })
        });
        found.0.extend(inherited.0);
        agent_own_tools(&mut found, &at, before, agent);
    }
    found.0
}

#[derive(Default)]
struct Found(Vec<Weakening>);

impl Found {
    fn push(&mut self, path: String, from: impl Serialize, to: impl Serialize, summary: String) {
        self.0.push(Weakening {
            path,
            from: serde_json::to_value(from).unwrap_or(Value::Null),
            to: serde_json::to_value(to).unwrap_or(Value::Null),
            summary,
        });
    }

    /// Records `old → new` when `rank` (higher is stricter) drops; `says` words it from both
    /// values' names.
    fn lowered<T: Serialize + Copy>(
        &mut self,
        path: String,
        (old, new): (T, T),
        rank: fn(T) -> u8,
        says: impl FnOnce(&str, &str) -> String,
    ) {
        if rank(new) < rank(old) {
            let summary = says(&name(old), &name(new));
            self.push(path, old, new, summary);
        }
    }

    /// Records a limit raised (a higher number is looser).
    fn raised(&mut self, path: String, (old, new): (u64, u64), what: &str) {
        if new > old {
            self.push(path, old, new, format!("{what} raised from {old} to {new}"));
        }
    }
}

/// A serialized enum's name (`non-main`, `workspace-write`).
fn name(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn sandbox(found: &mut Found, at: &str, old: &SandboxPolicy, new: &SandboxPolicy) {
    found.lowered(
        format!("{at}.mode"),
        (old.mode, new.mode),
        |mode| match mode {
            SandboxMode::Off => 0,
            SandboxMode::NonMain => 1,
            SandboxMode::All => 2,
        },
        |from, to| {
            let effect = match new.mode {
                SandboxMode::Off => "commands of every session run on the host, unsandboxed",
                SandboxMode::NonMain | SandboxMode::All => {
                    "commands of the agent's main session run on the host, unsandboxed"
                }
            };
            format!("sandbox mode lowered from {from} to {to}: {effect}")
        },
    );
    found.lowered(
        format!("{at}.workspaceAccess"),
        (old.workspace_access, new.workspace_access),
        |access| match access {
            WorkspaceAccess::Rw => 0,
            WorkspaceAccess::Ro => 1,
            WorkspaceAccess::None => 2,
        },
        |from, to| format!("sandboxed commands' workspace access widened from {from} to {to}"),
    );
    found.lowered(
        format!("{at}.scope"),
        (old.scope, new.scope),
        |scope| match scope {
            SandboxScope::Shared => 0,
            SandboxScope::Agent => 1,
            SandboxScope::Session => 2,
        },
        |from, to| format!("sandboxes shared more widely: scope {from} to {to}"),
    );
    found.lowered(
        format!("{at}.level"),
        (old.level, new.level),
        |level| match level {
            IsolationLevel::WorkspaceWrite => 0,
            IsolationLevel::Strict => 1,
        },
        |from, to| {
            format!(
                "sandbox level lowered from {from} to {to}: sandboxed commands reach the network"
            )
        },
    );
    found.lowered(
        format!("{at}.require"),
        (old.require, new.require),
        u8::from,
        |_, _| "a host missing sandbox layers no longer refuses commands".to_owned(),
    );
    found.lowered(
        format!("{at}.hostNetwork"),
        (old.host_network, new.host_network),
        |shared| u8::from(!shared),
        |_, _| {
            "sandboxed commands share the host's network: they can reach the gateway and every \
             other service on this machine"
                .to_owned()
        },
    );
    let (o, n) = (&old.limits, &new.limits);
    let limits = format!("{at}.limits");
    found.raised(
        format!("{limits}.cpuSeconds"),
        (o.cpu_seconds, n.cpu_seconds),
        "sandbox CPU seconds per process",
    );
    found.raised(
        format!("{limits}.memoryMb"),
        (o.memory_mb, n.memory_mb),
        "sandbox memory per command (MiB)",
    );
    found.raised(
        format!("{limits}.maxProcesses"),
        (o.max_processes, n.max_processes),
        "sandbox processes per command",
    );
    found.raised(
        format!("{limits}.fileSizeMb"),
        (o.file_size_mb, n.file_size_mb),
        "sandbox file size (MiB)",
    );
    let (o, n) = (&old.limits.agent, &new.limits.agent);
    let agent_limits = format!("{at}.agentLimits");
    found.raised(
        format!("{agent_limits}.maxProcesses"),
        (o.max_processes, n.max_processes),
        "processes of all the agent's sandboxed commands",
    );
    match (o.memory_mb, n.memory_mb) {
        (Some(from), Some(to)) => found.raised(
            format!("{agent_limits}.memoryMb"),
            (from, to),
            "memory of all the agent's sandboxed commands (MiB)",
        ),
        (Some(from), None) => found.push(
            format!("{agent_limits}.memoryMb"),
            from,
            Value::Null,
            format!(
                "memory limit of all the agent's sandboxed commands ({from} MiB) removed: \
                 half the host's memory applies"
            ),
        ),
        (None, _) => {}
    }
}

fn tools(found: &mut Found, old: &ToolsConfig, new: &ToolsConfig) {
    if let (Some(from), Some(to)) = (old.policy.profile, new.policy.profile) {
        profile(found, "tools.profile".into(), from, to);
    }
    lists(found, "tools", &old.policy, &new.policy);
    by_provider(
        found,
        "tools.byProvider",
        &old.by_provider,
        &new.by_provider,
    );
    let deny_default = || {
        DEFAULT_SANDBOX_DENY
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    };
    let sandbox_list = |tools: &ToolsConfig| ToolAllowDeny {
        allow: tools.sandbox_tools.as_ref().and_then(|l| l.allow.clone()),
        deny: Some(
            tools
                .sandbox_tools
                .as_ref()
                .and_then(|l| l.deny.clone())
                .unwrap_or_else(deny_default),
        ),
    };
    allow_deny(
        found,
        "tools.sandbox.tools",
        &sandbox_list(old),
        &sandbox_list(new),
    );
    // The built-in sub-agent deny list always applies; only the configured part can shrink.
    let subagent_list = |tools: &ToolsConfig| tools.subagent_tools.clone().unwrap_or_default();
    allow_deny(
        found,
        "tools.subagents.tools",
        &subagent_list(old),
        &subagent_list(new),
    );
    elevated(found, &old.elevated, &new.elevated);
    let (o, n) = (&old.exec, &new.exec);
    found.lowered(
        "tools.exec.host".into(),
        (o.host, n.host),
        |host| match host {
            ExecHost::Gateway => 0,
            ExecHost::Node => 1,
            ExecHost::Sandbox => 2,
        },
        |from, to| format!("exec runs commands on {to} instead of {from}, outside the sandbox"),
    );
    found.lowered(
        "tools.exec.security".into(),
        (o.security, n.security),
        |security| match security {
            ExecSecurity::Full => 0,
            ExecSecurity::Allowlist => 1,
            ExecSecurity::Deny => 2,
        },
        |from, to| format!("host exec security loosened from {from} to {to}"),
    );
    found.lowered(
        "tools.exec.ask".into(),
        (o.ask, n.ask),
        |ask| match ask {
            ExecAsk::Off => 0,
            ExecAsk::OnMiss => 1,
            ExecAsk::Always => 2,
        },
        |from, to| format!("exec approval prompts loosened from {from} to {to}"),
    );
    found.lowered(
        "tools.guards.mode".into(),
        (old.guards.mode, new.guards.mode),
        |mode| match mode {
            GuardMode::Off => 0,
            GuardMode::Audit => 1,
            GuardMode::Enforce => 2,
        },
        |from, to| format!("risk guards lowered from {from} to {to}"),
    );
    for (guard, o, n) in [
        ("command", old.guards.command, new.guards.command),
        ("content", old.guards.content, new.guards.content),
    ] {
        thresholds(found, guard, o, n);
    }
    found.lowered(
        "tools.web.fetch.allowPrivateNetwork".into(),
        (
            old.web_fetch.allow_private_network,
            new.web_fetch.allow_private_network,
        ),
        |allowed| u8::from(!allowed),
        |_, _| "web_fetch may reach private and loopback addresses (SSRF guard off)".to_owned(),
    );
}

fn thresholds(found: &mut Found, guard: &str, old: GuardThresholds, new: GuardThresholds) {
    for (key, o, n) in [
        ("review", old.review, new.review),
        ("block", old.block, new.block),
    ] {
        found.raised(
            format!("tools.guards.{guard}.{key}"),
            (u64::from(o), u64::from(n)),
            &format!("{guard} risk guard's {key} threshold"),
        );
    }
}

fn elevated(found: &mut Found, old: &ElevatedSection, new: &ElevatedSection) {
    // Unset counts as off: this gateway has no elevated execution unless it is enabled.
    let (was, is) = (old.enabled.unwrap_or(false), new.enabled.unwrap_or(false));
    if is && !was {
        found.push(
            "tools.elevated.enabled".into(),
            old.enabled,
            new.enabled,
            "elevated (host) execution enabled".into(),
        );
    }
    let empty = BTreeMap::new();
    let (o, n) = (
        old.allow_from.as_ref().unwrap_or(&empty),
        new.allow_from.as_ref().unwrap_or(&empty),
    );
    for (channel, senders) in n {
        let before: BTreeSet<String> = o
            .get(channel)
            .into_iter()
            .flatten()
            .map(|e| e.as_text())
            .collect();
        let added: Vec<String> = senders
            .iter()
            .map(|e| e.as_text())
            .filter(|s| !before.contains(s))
            .collect();
        if !added.is_empty() {
            found.push(
                format!("tools.elevated.allowFrom.{channel}"),
                o.get(channel),
                senders,
                format!(
                    "elevated execution allowed for {channel} senders {}",
                    added.join(", ")
                ),
            );
        }
    }
}

/// Whether profile `new` offers a tool `old` does not: every profile but `minimal` adds to
/// `minimal`, `full` adds to every other, `coding` and `messaging` each add tools the other
/// lacks.
fn profile_widens(old: ToolProfile, new: ToolProfile) -> bool {
    old != new && new != ToolProfile::Minimal && old != ToolProfile::Full
}

fn profile(found: &mut Found, path: String, old: ToolProfile, new: ToolProfile) {
    if profile_widens(old, new) {
        let summary = format!("tool profile widened from {} to {}", name(old), name(new));
        found.push(path, old, new, summary);
    }
}

/// `allow`, `alsoAllow` and `deny` of a policy section.
fn lists(found: &mut Found, at: &str, old: &ToolPolicySection, new: &ToolPolicySection) {
    allow(
        found,
        &format!("{at}.allow"),
        old.allow.as_ref(),
        new.allow.as_ref(),
    );
    let (o, n) = (old.also_allow.as_deref(), new.also_allow.as_deref());
    let added = added(o.unwrap_or_default(), n.unwrap_or_default());
    if !added.is_empty() {
        let summary = format!("tools also allowed: {}", added.join(", "));
        found.push(format!("{at}.alsoAllow"), o, n, summary);
    }
    deny(
        found,
        &format!("{at}.deny"),
        old.deny.as_ref(),
        new.deny.as_ref(),
    );
}

fn allow_deny(found: &mut Found, at: &str, old: &ToolAllowDeny, new: &ToolAllowDeny) {
    allow(
        found,
        &format!("{at}.allow"),
        old.allow.as_ref(),
        new.allow.as_ref(),
    );
    deny(
        found,
        &format!("{at}.deny"),
        old.deny.as_ref(),
        new.deny.as_ref(),
    );
}

/// An allow list restricts when it is present and not empty.
fn allow(found: &mut Found, path: &str, old: Option<&Vec<String>>, new: Option<&Vec<String>>) {
    let (Some(o), n) = (old.filter(|l| !l.is_empty()), new.filter(|l| !l.is_empty())) else {
        return;
    };
    let summary = match n {
        None => "allow list removed: every tool not denied is allowed".to_owned(),
        Some(n) => {
            let added = added(o, n);
            if added.is_empty() {
                return;
            }
            format!("tools now allowed: {}", added.join(", "))
        }
    };
    found.push(path.to_owned(), old, new, summary);
}

fn deny(found: &mut Found, path: &str, old: Option<&Vec<String>>, new: Option<&Vec<String>>) {
    let removed = added(
        new.map(Vec::as_slice).unwrap_or_default(),
        old.map(Vec::as_slice).unwrap_or_default(),
    );
    if !removed.is_empty() {
        let summary = format!("tools no longer denied: {}", removed.join(", "));
        found.push(path.to_owned(), old, new, summary);
    }
}

/// Entries of `new` that `old` lacks, in `new`'s order.
fn added(old: &[String], new: &[String]) -> Vec<String> {
    new.iter()
        .filter(|entry| !old.contains(entry))
        .cloned()
        .collect()
}

/// Per-provider policies: each provider's section against its old one (a missing section
/// restricts nothing; a missing profile is no profile step).
fn by_provider(
    found: &mut Found,
    at: &str,
    old: &BTreeMap<String, ToolPolicySection>,
    new: &BTreeMap<String, ToolPolicySection>,
) {
    let none = ToolPolicySection::default();
    for (provider, o) in old {
        let n = new.get(provider).unwrap_or(&none);
        let path = format!("{at}.{provider}");
        if let Some(from) = o.profile {
            let to = n.profile.unwrap_or(ToolProfile::Full);
            if profile_widens(from, to) {
                let summary = match n.profile {
                    Some(_) => format!(
                        "tool profile for {provider} widened from {} to {}",
                        name(from),
                        name(to)
                    ),
                    None => format!("tool profile for {provider} removed"),
                };
                found.push(format!("{path}.profile"), o.profile, n.profile, summary);
            }
        }
        lists(found, &path, o, n);
    }
}

/// The agent's settings that fall back to the global tool policy: its profile and its sandbox
/// tool list (field by field).
fn agent_inherited_tools(
    found: &mut Found,
    at: &str,
    old: &Config,
    before: Option<&AgentConfig>,
    new: &Config,
    agent: &AgentConfig,
) {
    let effective_profile = |tools: &ToolsConfig, agent: Option<&AgentConfig>| {
        agent
            .and_then(|a| a.tools.as_ref())
            .and_then(|t| t.policy.profile)
            .or(tools.policy.profile)
    };
    if let (Some(from), Some(to)) = (
        effective_profile(&old.tools, before),
        effective_profile(&new.tools, Some(agent)),
    ) {
        profile(found, format!("{at}.tools.profile"), from, to);
    }
    let sandbox_list = |tools: &ToolsConfig, agent: Option<&AgentConfig>| {
        let own = agent
            .and_then(|a| a.tools.as_ref())
            .and_then(|t| t.sandbox.as_ref())
            .and_then(|s| s.tools.as_ref());
        let global = tools.sandbox_tools.as_ref();
        ToolAllowDeny {
            allow: own
                .and_then(|l| l.allow.clone())
                .or_else(|| global.and_then(|l| l.allow.clone())),
            deny: Some(
                own.and_then(|l| l.deny.clone())
                    .or_else(|| global.and_then(|l| l.deny.clone()))
                    .unwrap_or_else(|| {
                        DEFAULT_SANDBOX_DENY
                            .iter()
                            .map(|s| (*s).to_owned())
                            .collect()
                    }),
            ),
        }
    };
    allow_deny(
        found,
        &format!("{at}.tools.sandbox.tools"),
        &sandbox_list(&old.tools, before),
        &sandbox_list(&new.tools, Some(agent)),
    );
}

/// The agent's own restrictions, applied after the global ones: its lists and per-provider
/// policies.
fn agent_own_tools(found: &mut Found, at: &str, before: Option<&AgentConfig>, agent: &AgentConfig) {
    let none = ToolPolicySection::default();
    let old = before.and_then(|a| a.tools.as_ref());
    let new = agent.tools.as_ref();
    lists(
        found,
        &format!("{at}.tools"),
        old.map_or(&none, |t| &t.policy),
        new.map_or(&none, |t| &t.policy),
    );
    let empty = BTreeMap::new();
    by_provider(
        found,
        &format!("{at}.tools.byProvider"),
        old.and_then(|t| t.by_provider.as_ref()).unwrap_or(&empty),
        new.and_then(|t| t.by_provider.as_ref()).unwrap_or(&empty),
    );
}
