//! `rustyclaw doctor`: checks the installation and says what to fix.
//!
//! Every check ends as ok, warn or fail with a message and, where there is one, a fix hint.
//! Any fail makes the exit code 1, so scripts can gate on it.

use std::os::unix::fs::PermissionsExt;
use std::process::ExitCode;

use rustyclaw_config::file::SandboxMode;
use rustyclaw_config::file::{BindMode, GatewayAuthMode};
use rustyclaw_config::{Config, ConfigError, LoadedConfig, env_vars};
use rustyclaw_sandbox::{AgentCgroups, Layer, ResourceLimits, SandboxLevel};
use serde::Serialize;

use crate::context::Context;
use crate::output;

mod probes;

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something deserves attention.
    Warn,
    /// Broken.
    Fail,
}

/// One check's result.
#[derive(Debug, Serialize)]
pub struct Check {
    /// Short name.
    pub name: &'static str,
    /// Outcome.
    pub status: Status,
    /// What was found.
    pub message: String,
    /// Details, one per line (config issues, sandbox layers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn check(name: &'static str, status: Status, message: impl Into<String>) -> Check {
    Check {
        name,
        status,
        message: message.into(),
        details: Vec::new(),
        hint: None,
    }
}

impl Check {
    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    fn details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

/// Runs every check and prints the report.
pub fn run(
    ctx: &Context,
    loaded: Result<LoadedConfig, ConfigError>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut checks = vec![config_check(&loaded)];
    if let Ok(l) = &loaded {
        checks.push(unsupported_keys_check(l));
    }
    checks.push(state_dir_check(ctx));
    checks.push(database_check(ctx));
    checks.push(sandbox_check(ctx, loaded.as_ref().ok().map(|l| &l.config)));
    if let Ok(l) = &loaded {
        checks.push(probes::gateway_check(l));
        checks.push(auth_check(l));
        checks.push(workspace_check(l));
        checks.push(model_check(l));
        checks.extend(probes::model_probe_check(l));
    }
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    if json {
        output::json(&serde_json::json!({"ok": !failed, "checks": checks}));
    } else {
        output::out(&render(&checks));
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let tag = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!("[{tag}] {}: {}\n", c.name, c.message));
        for d in &c.details {
            out.push_str(&format!("         - {d}\n"));
        }
        if let Some(h) = &c.hint {
            out.push_str(&format!("         fix: {h}\n"));
        }
    }
    let fails = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warns = checks.iter().filter(|c| c.status == Status::Warn).count();
    out.push_str(&format!(
        "{} check(s): {fails} failed, {warns} warning(s)",
        checks.len()
    ));
    out
}

fn config_check(loaded: &Result<LoadedConfig, ConfigError>) -> Check {
    match loaded {
        Ok(l) if l.exists => check(
            "config",
            Status::Ok,
            format!("{} is valid", l.path.display()),
        ),
        Ok(l) => check(
            "config",
            Status::Warn,
            format!("{} does not exist; defaults apply", l.path.display()),
        )
        .hint("run `rustyclaw onboard`"),
        Err(ConfigError::Invalid { path, issues }) => check(
            "config",
            Status::Fail,
            format!(
                "{} is invalid ({} problem(s))",
                path.display(),
                issues.len()
            ),
        )
        .details(issues.iter().map(ToString::to_string).collect())
        .hint("fix the keys named above; `rustyclaw config schema` lists every accepted key"),
        Err(e) => {
            let c = check("config", Status::Fail, e.to_string());
            match e.hint() {
                Some(h) => c.hint(h),
                None => c,
            }
        }
    }
}

fn unsupported_keys_check(l: &LoadedConfig) -> Check {
    if l.warnings.is_empty() {
        return check(
            "config.unsupported",
            Status::Ok,
            "every configured key is implemented",
        );
    }
    check(
        "config.unsupported",
        Status::Warn,
        format!(
            "{} setting(s) have no effect in rustyclaw",
            l.warnings.len()
        ),
    )
    .details(
        l.warnings
            .iter()
            .map(|w| format!("{}: {}", w.path, w.message))
            .collect(),
    )
    .hint("see docs/configuration.md for what is supported; remove the keys to silence this")
}

fn state_dir_check(ctx: &Context) -> Check {
    let dir = &ctx.locations.state_dir;
    let Ok(meta) = std::fs::metadata(dir) else {
        return check(
            "state-dir",
            Status::Warn,
            format!("{} does not exist yet", dir.display()),
        )
        .hint("run `rustyclaw onboard`");
    };
    if !meta.is_dir() {
        return check(
            "state-dir",
            Status::Fail,
            format!("{} is not a directory", dir.display()),
        );
    }
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    if let Err(e) = std::fs::write(&probe, b"") {
        return check(
            "state-dir",
            Status::Fail,
            format!("{} is not writable: {e}", dir.display()),
        )
        .hint(format!(
            "chown/chmod it for the user running rustyclaw ({})",
            dir.display()
        ));
    }
    let _ = std::fs::remove_file(&probe);
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return check(
            "state-dir",
            Status::Warn,
            format!(
                "{} is accessible by other users (mode {mode:o}); it holds tokens and transcripts",
                dir.display()
            ),
        )
        .hint(format!("chmod 700 {}", dir.display()));
    }
    check(
        "state-dir",
        Status::Ok,
        format!("{} (mode {mode:o})", dir.display()),
    )
}

fn database_check(ctx: &Context) -> Check {
    let path = ctx.locations.database_path();
    if !path.exists() {
        return check(
            "database",
            Status::Warn,
            format!("{} not created yet", path.display()),
        )
        .hint("it is created by `rustyclaw onboard` or on first use");
    }
    let result = super::runtime().and_then(|rt| {
        rt.block_on(async {
            let store = ctx.open_store().await?;
            Ok(store.integrity_check().await?)
        })
    });
    match result {
        Ok(report) if report.is_ok() => check(
            "database",
            Status::Ok,
            format!(
                "{} (schema v{}, {} session(s), {} transcript line(s))",
                path.display(),
                report.schema_version,
                report.sessions,
                report.transcript_lines
            ),
        ),
        Ok(report) => {
            let mut details = report.sqlite_problems.clone();
            if report.transcripts_with_gaps > 0 {
                details.push(format!(
                    "{} transcript(s) with missing lines",
                    report.transcripts_with_gaps
                ));
            }
            if report.dangling_parents > 0 {
                details.push(format!(
                    "{} entr(ies) whose parent is missing",
                    report.dangling_parents
                ));
            }
            check(
                "database",
                Status::Fail,
                format!("{} has problems", path.display()),
            )
            .details(details)
            .hint("stop rustyclaw, copy the file aside, and run `sqlite3 state.sqlite .recover`")
        }
        Err(e) => check("database", Status::Fail, format!("{e:#}")),
    }
}

/// What a host without writable cgroups gets instead of the agent-wide caps.
const WITHOUT_CGROUPS: &str = "only per-command rlimits apply: RLIMIT_NPROC is not enforced for a root gateway (the kernel ignores it for root) and RLIMIT_AS limits each process alone, so there is no fork-bomb or memory cap across commands";

fn sandbox_check(ctx: &Context, config: Option<&Config>) -> Check {
    // No warn_for levels: the check reports every level itself, so no start-up warning.
    let sandbox = ctx.host().sandbox(None);
    let mut details: Vec<String> = sandbox
        .capabilities()
        .layers()
        .iter()
        .map(|(name, status)| format!("host {name}: {} ({})", status.label(), status.detail()))
        .collect();
    let mut missing: Vec<&'static str> = Vec::new();
    for level in [SandboxLevel::WorkspaceWrite, SandboxLevel::Strict] {
        let report = sandbox.layers(level);
        let active: Vec<&str> = report.active().iter().map(|l| l.label()).collect();
        details.push(format!(
            "{}: active {}",
            level.label(),
            if active.is_empty() {
                "none".to_owned()
            } else {
                active.join(", ")
            }
        ));
        for (layer, why) in report.missing() {
            details.push(format!(
                "{}: missing {} ({why})",
                level.label(),
                layer.label()
            ));
            if !missing.contains(&layer.label()) {
                missing.push(layer.label());
            }
        }
    }
    let agents = agent_cap_details(sandbox.agent_cgroups(), config);
    let caps_missing = agents.iter().any(|(missing, _)| *missing);
    details.extend(agents.into_iter().map(|(_, line)| line));
    if missing.is_empty() {
        return check(
            "sandbox",
            Status::Ok,
            "every isolation layer is active for workspace-write and strict",
        )
        .details(details);
    }
    let mut hint = if missing.contains(&Layer::Bubblewrap.label()) {
        "apt-get install bubblewrap; to refuse commands instead of running them with fewer layers, set agents.defaults.sandbox.require to true".to_owned()
    } else {
        "to refuse commands instead of running them with fewer layers, set agents.defaults.sandbox.require to true".to_owned()
    };
    if caps_missing {
        hint.push_str("; for cgroups, run the gateway as root or in a cgroup delegated to it (a systemd service with Delegate=yes)");
    }
    check(
        "sandbox",
        Status::Warn,
        format!(
            "sandboxed commands run with reduced isolation (missing: {}){}",
            missing.join(", "),
            if caps_missing {
                format!("; without a writable cgroup {WITHOUT_CGROUPS}")
            } else {
                String::new()
            }
        ),
    )
    .details(details)
    .hint(hint)
}

fn auth_check(l: &LoadedConfig) -> Check {
    let g = &l.config.gateway;
    let exposed = g.bind != BindMode::Loopback;
    match g.auth.mode {
        GatewayAuthMode::Token if g.auth.token.is_none() => check(
            "gateway.auth",
            if exposed { Status::Fail } else { Status::Warn },
            "token auth is selected but no token is set",
        )
        .hint(format!(
            "rustyclaw config set gateway.auth.token <long random string>, or export {}",
            env_vars::OPENCLAW_GATEWAY_TOKEN
        )),
        GatewayAuthMode::Password if g.auth.password.is_none() => check(
            "gateway.auth",
            Status::Fail,
            "password auth is selected but no password is set",
        )
        .hint("rustyclaw config set gateway.auth.password <password>"),
        GatewayAuthMode::None if exposed => check(
            "gateway.auth",
            Status::Fail,
            "no authentication while listening beyond loopback",
        )
        .hint("set gateway.auth.mode to token, or gateway.bind to loopback"),
        mode => check(
            "gateway.auth",
            Status::Ok,
            format!("{mode:?} authentication").to_lowercase(),
        ),
    }
}

fn workspace_check(l: &LoadedConfig) -> Check {
    let ws = &l.config.agents.defaults.workspace;
    if ws.join("AGENTS.md").is_file() {
        check("workspace", Status::Ok, ws.display().to_string())
    } else if ws.is_dir() {
        check(
            "workspace",
            Status::Warn,
            format!("{} has no AGENTS.md", ws.display()),
        )
        .hint("run `rustyclaw onboard` to seed the bootstrap files (existing files are kept)")
    } else {
        check(
            "workspace",
            Status::Warn,
            format!("{} does not exist", ws.display()),
        )
        .hint("run `rustyclaw onboard`")
    }
}

fn model_check(l: &LoadedConfig) -> Check {
    let Some(primary) = &l.config.agents.defaults.model.primary else {
        return check("model", Status::Warn, "no default model configured")
            .hint("run `rustyclaw onboard` or set agents.defaults.model.primary");
    };
    match primary.split() {
        Some((provider, _)) if l.config.models.providers.contains_key(provider) => {
            check("model", Status::Ok, primary.0.clone())
        }
        Some((provider, _)) => check(
            "model",
            Status::Warn,
            format!(
                "{} uses provider {provider:?}, which is not in models.providers",
                primary.0
            ),
        )
        .hint("add the provider under models.providers (baseUrl, api, apiKey)"),
        None if l
            .config
            .agents
            .defaults
            .model_aliases
            .contains_key(&primary.0) =>
        {
            check("model", Status::Ok, format!("{} (alias)", primary.0))
        }
        None => check(
            "model",
            Status::Warn,
            format!("{:?} is not of the form provider/model", primary.0),
        ),
    }
}

/// Lines on the cgroups that cap each agent's commands together, each flagged when a cap is
/// missing: the hierarchy and directory, then one line per sandboxed agent of `config` (the
/// default agent without one) with its caps beside a command's own limits.
fn agent_cap_details(cgroups: &AgentCgroups, config: Option<&Config>) -> Vec<(bool, String)> {
    let version = cgroups.version.map_or("", |v| v.label());
    let mut lines = Vec::new();
    for (what, dir) in [("process", &cgroups.pids), ("memory", &cgroups.memory)] {
        lines.push(match dir {
            // The directory is this check's own; a gateway's has its pid instead.
            Ok(dir) => (
                false,
                format!(
                    "agent-wide {what} cap: cgroup {version}, {}/gateway-<pid>-<n>/agent-<id>",
                    dir.parent().unwrap_or(dir).display()
                ),
            ),
            Err(why) => (true, format!("agent-wide {what} cap: missing ({why})")),
        });
    }
    let (pids, memory) = (cgroups.pids.is_ok(), cgroups.memory.is_ok());
    if !pids || !memory {
        lines.push((true, format!("without a writable cgroup {WITHOUT_CGROUPS}")));
    }
    let agents: Vec<(&str, ResourceLimits)> = match config {
        Some(config) => config
            .agents
            .list
            .iter()
            .filter(|a| a.sandbox.mode != SandboxMode::Off)
            .map(|a| (a.id.as_str(), a.sandbox.limits))
            .collect(),
        None => vec![("main", ResourceLimits::default())],
    };
    for (id, limits) in agents {
        let processes = if pids {
            format!("{} processes", limits.agent.max_processes)
        } else {
            "no process cap".to_owned()
        };
        let memory = if memory {
            format!("{} MiB", cgroups.memory_mb(&limits.agent))
        } else {
            "no memory cap".to_owned()
        };
        lines.push((
            false,
            format!(
                "agent {id}: its commands together: {processes}, {memory}; each command: {} processes, {} MiB",
                limits.max_processes, limits.memory_mb
            ),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use rustyclaw_sandbox::CgroupVersion;

    use super::*;

    #[test]
    fn without_writable_cgroups_doctor_says_what_the_host_gets_instead() {
        let cgroups = AgentCgroups {
            version: Some(CgroupVersion::V2),
            pids: Err("/sys/fs/cgroup/user.slice is not writable".to_owned()),
            memory: Err("/sys/fs/cgroup/user.slice is not writable".to_owned()),
            default_memory_mb: 2048,
        };
        let lines = agent_cap_details(&cgroups, None);
        let text: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            text,
            [
                "agent-wide process cap: missing (/sys/fs/cgroup/user.slice is not writable)",
                "agent-wide memory cap: missing (/sys/fs/cgroup/user.slice is not writable)",
                "without a writable cgroup only per-command rlimits apply: RLIMIT_NPROC is not enforced for a root gateway (the kernel ignores it for root) and RLIMIT_AS limits each process alone, so there is no fork-bomb or memory cap across commands",
                "agent main: its commands together: no process cap, no memory cap; each command: 256 processes, 4096 MiB",
            ]
        );
        assert!(lines[0].0 && lines[2].0 && !lines[3].0);

        let half = AgentCgroups {
            version: Some(CgroupVersion::V2),
            pids: Ok(PathBuf::from("/sys/fs/cgroup/svc/rustyclaw/gateway-1-0")),
            memory: Err("cgroup v2: the memory controller is not delegated".to_owned()),
            default_memory_mb: 2048,
        };
        let lines = agent_cap_details(&half, None);
        assert_eq!(
            lines[0].1,
            "agent-wide process cap: cgroup v2, /sys/fs/cgroup/svc/rustyclaw/gateway-<pid>-<n>/agent-<id>"
        );
        assert!(!lines[0].0 && lines[1].0);
        assert_eq!(
            lines[3].1,
            "agent main: its commands together: 512 processes, no memory cap; each command: 256 processes, 4096 MiB"
        );
    }
}
