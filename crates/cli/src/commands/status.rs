//! `rustyclaw status`: a summary of what is configured and stored.

use std::process::ExitCode;

use rustyclaw_config::LoadedConfig;

use super::gateway::knock::{Answer, knock_configured};
use crate::context::Context;

use crate::output;

/// Prints the summary.
pub fn run(ctx: &Context, loaded: LoadedConfig, json: bool) -> anyhow::Result<ExitCode> {
    let db_path = ctx.locations.database_path();
    let (sessions, lines) = if db_path.exists() {
        let report = super::runtime()?
            .block_on(async { anyhow::Ok(ctx.open_store().await?.integrity_check().await?) })?;
        (Some(report.sessions), Some(report.transcript_lines))
    } else {
        (None, None)
    };
    let c = &loaded.config;
    let model = c
        .agents
        .defaults
        .model
        .primary
        .as_ref()
        .map(|m| m.0.clone());
    let agents: Vec<&str> = c.agents.list.iter().map(|a| a.id.as_str()).collect();
    let (url, answer) = knock_configured(&loaded);
    let (running, version, problem) = match &answer {
        Answer::Running(version) => (true, Some(version.as_str()), None),
        Answer::Nothing => (false, None, None),
        Answer::Refused(why) => (false, None, Some(why.as_str())),
    };
    if json {
        output::json(&serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "stateDir": ctx.locations.state_dir,
            "configPath": loaded.path,
            "configExists": loaded.exists,
            "configHash": loaded.hash,
            "database": db_path,
            "sessions": sessions,
            "transcriptLines": lines,
            "defaultAgentId": c.agents.default_agent_id,
            "agents": agents,
            "model": model,
            "gateway": {
                "port": c.gateway.port,
                "bind": format!("{:?}", c.gateway.bind).to_lowercase(),
                "auth": format!("{:?}", c.gateway.auth.mode).to_lowercase(),
                "url": url,
                "running": running,
                "version": version,
                "error": problem,
            },
            "warnings": loaded.warnings.len(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    output::warnings(&loaded.warnings);
    let text = [
        format!("rustyclaw {}", env!("CARGO_PKG_VERSION")),
        format!("State dir:  {}", ctx.locations.state_dir.display()),
        format!(
            "Config:     {}{}",
            loaded.path.display(),
            if loaded.exists {
                ""
            } else {
                " (missing: defaults)"
            }
        ),
        match sessions {
            Some(n) => format!(
                "Database:   {} ({n} session(s), {} transcript line(s))",
                db_path.display(),
                lines.unwrap_or(0)
            ),
            None => format!("Database:   {} (not created yet)", db_path.display()),
        },
        format!(
            "Agents:     {} (default {})",
            agents.join(", "),
            c.agents.default_agent_id
        ),
        format!(
            "Model:      {}",
            model.as_deref().unwrap_or("none configured")
        ),
        format!(
            "Gateway:    port {}, bind {}, auth {}",
            c.gateway.port,
            format!("{:?}", c.gateway.bind).to_lowercase(),
            format!("{:?}", c.gateway.auth.mode).to_lowercase()
        ),
        match &answer {
            Answer::Running(version) => {
                format!("            running at {} ({version})", url)
            }
            Answer::Nothing => format!(
                "            not running (nothing answers at {}; start it with `rustyclaw gateway run`)",
                url
            ),
            Answer::Refused(why) => format!(
                "            something answers at {} but not as this config's gateway: {why}",
                url
            ),
        },
    ];
    output::out(&text.join("\n"));
    Ok(ExitCode::SUCCESS)
}
