//! `rustyclaw skills deps <name>`: runs one of a skill's `metadata.openclaw.install` steps (the
//! programs it needs) in the sandbox, into `<state>/tools`, after showing exactly what it will
//! do and getting a yes — from the terminal, or `--yes` when nobody is there to ask.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use rustyclaw_config::LoadedConfig;
use rustyclaw_skills::HostFacts;
use rustyclaw_skills::installer::{Installer, Preferences};

use crate::UserError;
use crate::context::Context;
use crate::output;

/// `skills deps <name> [--installer <id>] [--yes]`.
#[derive(Debug, Args)]
pub struct DepsArgs {
    /// The skill's name.
    name: String,
    /// The install step to run (`skills info <name>` lists them; default: the one offered
    /// for this host).
    #[arg(long, value_name = "ID")]
    installer: Option<String>,
    /// Run it without asking (the plan is still printed).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Give up after this many seconds (1–900, default 300).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// The agent whose skills are looked in (default: the default agent).
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
}

impl DepsArgs {
    /// The `--agent` given.
    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }
}

/// Runs `skills deps`.
pub fn run(
    ctx: &Context,
    loaded: &LoadedConfig,
    agent_id: &str,
    args: &DepsArgs,
) -> anyhow::Result<ExitCode> {
    let config = &loaded.config;
    let host = ctx.host();
    let skills = host.skills_host(&loaded.env);
    let Some(skill) = skills.find(config, agent_id, &args.name) else {
        return Err(UserError::new(format!(
            "no skill named {:?} (rustyclaw skills list shows them)",
            args.name
        ))
        .into());
    };
    let install_id = match &args.installer {
        Some(id) => id.clone(),
        None => {
            let report = skills.report(config, agent_id);
            let offered: Vec<String> = report
                .skills
                .iter()
                .find(|s| s.name == skill.name)
                .map(|s| s.install.iter().map(|o| o.id.clone()).collect())
                .unwrap_or_default();
            match offered.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(UserError::new(format!(
                        "{} offers no installer for this host",
                        skill.name
                    ))
                    .into());
                }
                many => {
                    return Err(UserError::new(format!(
                        "{} offers several installers here; pick one with --installer ({})",
                        skill.name,
                        many.join(", ")
                    ))
                    .into());
                }
            }
        }
    };
    let sandbox = Arc::new(host.sandbox(Some(config)));
    let installer = Installer::new(&ctx.locations.state_dir, sandbox, loaded.env.clone());
    let policy = rustyclaw_skills::policy(config, Some(agent_id));
    let prepared = installer
        .prepare(
            &skill,
            &install_id,
            Preferences {
                node_manager: policy.node_manager,
            },
            HostFacts::current_platform(),
        )
        .map_err(|e| UserError::new(e.to_string()))?;
    let mut plan = format!(
        "{} — installer {}{}:\n",
        prepared.skill,
        prepared.install_id,
        if prepared.label.is_empty() {
            String::new()
        } else {
            format!(" ({})", prepared.label)
        }
    );
    for line in prepared.describe(&installer.layout()) {
        plan.push_str(&format!("  - {line}\n"));
    }
    output::err(plan.trim_end());
    if !args.yes && !confirmed()? {
        return Err(UserError::new(
            "nothing was run: it needs your approval (answer y on a terminal, or pass --yes)",
        )
        .into());
    }
    let timeout =
        rustyclaw_skills::installer::timeout(args.timeout.map(|s| s.saturating_mul(1000)));
    let outcome = super::runtime()?.block_on(installer.run(
        &prepared,
        &config.agents.defaults.sandbox,
        timeout,
    ));
    if args.json {
        output::json(&serde_json::to_value(&outcome)?);
    } else {
        let mut text = outcome.message.clone();
        if !outcome.bins.is_empty() {
            text.push_str(&format!(
                "\nprograms on the agent's PATH: {} (in {})",
                outcome.bins.join(", "),
                installer.layout().bin().display()
            ));
        }
        if !outcome.ok && !outcome.stdout.is_empty() {
            text.push_str(&format!("\n{}", outcome.stdout));
        }
        output::out(&text);
    }
    for warning in &outcome.warnings {
        output::err(&format!("warning: {warning}"));
    }
    Ok(if outcome.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Asks on the terminal; refuses (false) when stdin is not one.
fn confirmed() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    let mut stderr = std::io::stderr();
    write!(stderr, "Run it? [y/N] ")?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
