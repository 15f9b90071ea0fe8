//! `rustyclaw skills list|info|check`: the skills an agent has, read from disk now, with
//! OpenClaw's arguments and JSON (`openclaw skills list --json` and ours report the same
//! skills, eligibility and missing requirements on the same machine).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use rustyclaw_config::LoadedConfig;
use rustyclaw_skills::{Report, SkillStatus};

use super::clawhub;
use crate::UserError;
use crate::context::Context;
use crate::output;

/// `skills` subcommands.
#[derive(Debug, Subcommand)]
pub enum SkillsCommand {
    /// List every skill found and whether it is ready.
    List(ListArgs),
    /// Show one skill: where it is, what it requires, what is missing.
    Info(InfoArgs),
    /// Summarise which skills are ready, hidden, disabled or missing something.
    Check(CheckArgs),
    /// Search ClawHub, the public skills registry.
    Search(SearchArgs),
    /// Install a skill from ClawHub into the workspace (or, with --global, for every agent),
    /// after a static scan of its files.
    Install(InstallArgs),
    /// Update skills installed from ClawHub to their latest version.
    Update(UpdateArgs),
    /// Remove a skill installed from ClawHub.
    Remove(RemoveArgs),
    /// Install the programs a skill needs (one of its `metadata.openclaw.install` steps) into
    /// `<state dir>/tools`, in the sandbox, after your approval.
    Deps(super::skill_deps::DepsArgs),
}

/// `skills search <query>`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for.
    query: String,
    /// At most this many results.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// The registry (default: $OPENCLAW_CLAWHUB_URL, $CLAWHUB_URL or https://clawhub.ai).
    #[arg(long, value_name = "URL")]
    registry: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `skills install <slug|@owner/slug>`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct InstallArgs {
    /// The skill: `slug` or `@owner/slug`.
    skill: String,
    /// A version (default: the latest).
    #[arg(long = "version", id = "skill_version", value_name = "VERSION")]
    version: Option<String>,
    /// Install a skill the static scan flagged, or replace an existing folder.
    #[arg(long)]
    force: bool,
    /// Into `<state dir>/skills`, for every agent.
    #[arg(long)]
    global: bool,
    /// The agent whose workspace gets it (default: the default agent).
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// The registry.
    #[arg(long, value_name = "URL")]
    registry: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `skills update [slug] [--all]`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The skill (default with --all: every skill installed from ClawHub).
    slug: Option<String>,
    /// Every skill installed from ClawHub.
    #[arg(long)]
    all: bool,
    /// Replace local changes.
    #[arg(long)]
    force: bool,
    /// The skills of `<state dir>/skills`.
    #[arg(long)]
    global: bool,
    /// The agent whose workspace's skills are updated.
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `skills remove <slug>`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The skill.
    slug: String,
    /// From `<state dir>/skills`.
    #[arg(long)]
    global: bool,
    /// The agent whose workspace it is in.
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
}

/// `skills list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the skills ready for the agent.
    #[arg(long)]
    eligible: bool,
    /// The agent (default: the default agent).
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `skills info <name>`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The skill's name or key.
    name: String,
    /// The agent (default: the default agent).
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `skills check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The agent (default: the default agent).
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `skills` subcommand.
pub fn run(
    ctx: &Context,
    loaded: LoadedConfig,
    command: SkillsCommand,
) -> anyhow::Result<ExitCode> {
    let agent = match &command {
        SkillsCommand::List(a) => a.agent.as_deref(),
        SkillsCommand::Info(a) => a.agent.as_deref(),
        SkillsCommand::Check(a) => a.agent.as_deref(),
        SkillsCommand::Search(_) => None,
        SkillsCommand::Install(a) => a.agent.as_deref(),
        SkillsCommand::Update(a) => a.agent.as_deref(),
        SkillsCommand::Remove(a) => a.agent.as_deref(),
        SkillsCommand::Deps(a) => a.agent(),
    };
    let config = &loaded.config;
    let agent_id = agent.unwrap_or(&config.agents.default_agent_id).to_owned();
    if config.agents.get(&agent_id).is_none() {
        return Err(UserError::new(format!(
            "--agent: no agent {agent_id:?} in agents.list (known: {})",
            config
                .agents
                .list
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    let root = |global: bool| rustyclaw_skills::clawhub::InstallRoot {
        base: if global {
            ctx.locations.state_dir.clone()
        } else {
            config
                .agents
                .get(&agent_id)
                .map(|a| a.workspace.clone())
                .unwrap_or_else(|| config.agents.defaults.workspace.clone())
        },
    };
    match command {
        SkillsCommand::Search(args) => {
            return clawhub::search(
                &loaded.env,
                args.registry.as_deref(),
                &args.query,
                args.limit,
                args.json,
            );
        }
        SkillsCommand::Install(args) => {
            return clawhub::install(
                &loaded.env,
                args.registry.as_deref(),
                &root(args.global),
                &args.skill,
                args.version.as_deref(),
                args.force,
                args.json,
            );
        }
        SkillsCommand::Update(args) => {
            if args.slug.is_none() && !args.all {
                return Err(UserError::new("name a skill to update, or pass --all").into());
            }
            return clawhub::update(
                &loaded.env,
                &root(args.global),
                args.slug.as_deref(),
                args.force,
                args.json,
            );
        }
        SkillsCommand::Remove(args) => return clawhub::remove(&root(args.global), &args.slug),
        SkillsCommand::Deps(args) => {
            return super::skill_deps::run(ctx, &loaded, &agent_id, &args);
        }
        _ => {}
    }
    let host = ctx.host().skills_host(&loaded.env);
    let report = host.report(config, &agent_id);
    match command {
        SkillsCommand::Search(_)
        | SkillsCommand::Install(_)
        | SkillsCommand::Update(_)
        | SkillsCommand::Remove(_)
        | SkillsCommand::Deps(_) => Ok(ExitCode::SUCCESS),
        SkillsCommand::List(args) => {
            if args.json {
                output::json(&report.list_json(args.eligible));
            } else {
                output::out(&list_text(&report, args.eligible));
            }
            Ok(ExitCode::SUCCESS)
        }
        SkillsCommand::Info(args) => info(&report, &args),
        SkillsCommand::Check(args) => {
            if args.json {
                output::json(&report.check_json());
            } else {
                output::out(&check_text(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn ready(s: &SkillStatus) -> bool {
    s.eligible && !s.blocked_by_agent_filter
}

fn state(s: &SkillStatus) -> &'static str {
    if s.disabled {
        "disabled"
    } else if s.blocked_by_allowlist {
        "blocked"
    } else if s.blocked_by_agent_filter {
        "excluded"
    } else if s.eligible {
        "ready"
    } else {
        "missing"
    }
}

fn missing_summary(s: &SkillStatus) -> String {
    let m = &s.missing;
    [
        ("bins", &m.bins),
        ("anyBins", &m.any_bins),
        ("env", &m.env),
        ("config", &m.config),
        ("os", &m.os),
    ]
    .iter()
    .filter(|(_, list)| !list.is_empty())
    .map(|(label, list)| format!("{label}: {}", list.join(", ")))
    .collect::<Vec<_>>()
    .join("; ")
}

fn label(s: &SkillStatus) -> String {
    match &s.emoji {
        Some(e) => format!("{e} {}", s.name),
        None => s.name.clone(),
    }
}

fn list_text(report: &Report, eligible_only: bool) -> String {
    let skills: Vec<&SkillStatus> = report
        .skills
        .iter()
        .filter(|s| !eligible_only || ready(s))
        .collect();
    if skills.is_empty() {
        return if eligible_only {
            "No eligible skills found. Run `rustyclaw skills list` to see all skills.".to_owned()
        } else {
            format!(
                "No skills found. Put a skill folder (with a SKILL.md) in {}/skills or {}.",
                report.workspace_dir, report.managed_skills_dir
            )
        };
    }
    let ready_count = skills.iter().filter(|s| ready(s)).count();
    let mut lines = vec![format!("Skills ({ready_count}/{} ready)", skills.len())];
    for s in skills {
        let mut line = format!(
            "  {:<9} {:<24} {:<22} {}",
            state(s),
            label(s),
            s.source,
            s.description
        );
        if !ready(s) {
            let missing = missing_summary(s);
            if !missing.is_empty() {
                line.push_str(&format!("\n            missing {missing}"));
            }
        }
        lines.push(line);
    }
    lines.join("\n")
}

fn info(report: &Report, args: &InfoArgs) -> anyhow::Result<ExitCode> {
    let Some(s) = report.find(&args.name) else {
        if args.json {
            output::json(&serde_json::json!({
                "ok": false,
                "error": format!("Skill \"{}\" not found.", args.name.trim()),
                "skill": args.name.trim(),
            }));
            return Ok(ExitCode::FAILURE);
        }
        return Err(UserError::new(format!(
            "skill {:?} not found; `rustyclaw skills list` shows the skills there are",
            args.name.trim()
        ))
        .into());
    };
    if args.json {
        output::json(&serde_json::to_value(s)?);
        return Ok(ExitCode::SUCCESS);
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut lines = vec![
        format!("{} ({})", label(s), state(s)),
        String::new(),
        s.description.clone(),
        String::new(),
    ];
    lines.push(format!("  Source:               {}", s.source));
    lines.push(format!("  Path:                 {}", s.file_path));
    if let Some(home) = &s.homepage {
        lines.push(format!("  Homepage:             {home}"));
    }
    lines.push(format!("  Visible to model:     {}", yes(s.model_visible)));
    lines.push(format!(
        "  Available as command: {}",
        yes(s.command_visible)
    ));
    if let Some(env) = &s.primary_env {
        lines.push(format!("  Primary env:          {env}"));
    }
    let r = &s.requirements;
    let groups = [
        ("Binaries", &r.bins, &s.missing.bins),
        ("Any binaries", &r.any_bins, &s.missing.any_bins),
        ("Environment", &r.env, &s.missing.env),
        ("Config", &r.config, &s.missing.config),
        ("OS", &r.os, &s.missing.os),
    ];
    if groups.iter().any(|(_, req, _)| !req.is_empty()) {
        lines.push(String::new());
        lines.push("Requirements:".to_owned());
        for (name, required, missing) in groups {
            if required.is_empty() {
                continue;
            }
            let marks: Vec<String> = required
                .iter()
                .map(|item| format!("{} {item}", if missing.contains(item) { "✗" } else { "✓" }))
                .collect();
            lines.push(format!("  {name}: {}", marks.join(", ")));
        }
    }
    if !s.install.is_empty() && !s.eligible {
        lines.push(String::new());
        lines.push("Install options:".to_owned());
        for option in &s.install {
            lines.push(format!("  → {}", option.label));
        }
    }
    if let Some(env) = &s.primary_env
        && s.missing.env.contains(env)
    {
        lines.push(String::new());
        lines.push(format!(
            "API key: rustyclaw config set skills.entries.{}.apiKey YOUR_KEY",
            s.skill_key
        ));
    }
    output::out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

fn check_text(report: &Report) -> String {
    let count =
        |pred: &dyn Fn(&SkillStatus) -> bool| report.skills.iter().filter(|s| pred(s)).count();
    let mut lines = vec![
        "Skills status check".to_owned(),
        format!("Agent: {}", report.agent_id.as_deref().unwrap_or("main")),
        String::new(),
        format!("Total: {}", report.skills.len()),
        format!("✓ Eligible: {}", count(&|s| s.eligible)),
        format!("✓ Visible to model: {}", count(&|s| s.model_visible)),
        format!("✓ Available as command: {}", count(&|s| s.command_visible)),
        format!("⏸ Disabled: {}", count(&|s| s.disabled)),
        format!(
            "🚫 Blocked by allowlist: {}",
            count(&|s| s.blocked_by_allowlist && !s.disabled)
        ),
        format!(
            "🚫 Excluded by agent allowlist: {}",
            count(&|s| s.blocked_by_agent_filter)
        ),
        format!(
            "✗ Missing requirements: {}",
            report.missing_requirements().count()
        ),
    ];
    let missing: Vec<&SkillStatus> = report.missing_requirements().collect();
    if !missing.is_empty() {
        lines.push(String::new());
        lines.push("Missing requirements:".to_owned());
        for s in missing {
            let install = s
                .install
                .first()
                .map(|i| format!(" → {}", i.label))
                .unwrap_or_default();
            lines.push(format!("  {} ({}){install}", label(s), missing_summary(s)));
        }
    }
    lines.join("\n")
}
