//! `rustyclaw models list`: the built-in catalog merged with `models.providers`.

use std::process::ExitCode;

use rustyclaw_agent::Models;
use rustyclaw_config::LoadedConfig;
use rustyclaw_providers::Modality;

use crate::UserError;
use crate::args::ModelsCommand;
use crate::output;

/// Runs a `models` subcommand.
pub fn run(loaded: LoadedConfig, cmd: ModelsCommand) -> anyhow::Result<ExitCode> {
    let ModelsCommand::List {
        available,
        provider,
        json,
    } = cmd;
    let config = loaded.config;
    let models = Models::new(&config, &loaded.env).map_err(|e| UserError::new(e.to_string()))?;
    let default = config
        .agents
        .get(&config.agents.default_agent_id)
        .and_then(|a| a.model.primary.clone())
        .map(|r| models.resolve(&r.0).map(|s| s.reference()).unwrap_or(r.0));
    let rows: Vec<_> = models
        .list()
        .into_iter()
        .filter(|m| !available || m.available)
        .filter(|m| provider.as_deref().is_none_or(|p| p == m.provider))
        .collect();
    let input = |m: &rustyclaw_providers::ModelListing| -> Vec<&'static str> {
        m.input
            .iter()
            .map(|i| match i {
                Modality::Text => "text",
                Modality::Image => "image",
            })
            .collect()
    };
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|m| {
                let key = format!("{}/{}", m.provider, m.id);
                serde_json::json!({
                    "key": key,
                    "id": m.id,
                    "name": m.name,
                    "provider": m.provider,
                    "contextWindow": m.context_window,
                    "reasoning": m.reasoning,
                    "input": input(m),
                    "available": m.available,
                    "default": default.as_deref() == Some(key.as_str()),
                })
            })
            .collect();
        output::json(&serde_json::json!({"count": list.len(), "models": list}));
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        output::out("no models match");
        return Ok(ExitCode::SUCCESS);
    }
    let width = rows
        .iter()
        .map(|m| m.provider.len() + m.id.len() + 1)
        .max()
        .unwrap_or(0);
    let mut lines = vec![format!(
        "{:<width$}  {:>8}  {:<10}  {}",
        "MODEL", "CONTEXT", "INPUT", "STATUS"
    )];
    for m in &rows {
        let key = format!("{}/{}", m.provider, m.id);
        let mut status = Vec::new();
        if default.as_deref() == Some(key.as_str()) {
            status.push("default");
        }
        status.push(if m.available { "ready" } else { "no key" });
        if m.reasoning {
            status.push("reasoning");
        }
        lines.push(format!(
            "{key:<width$}  {:>8}  {:<10}  {}",
            format_tokens(m.context_window),
            input(m).join("+"),
            status.join(", ")
        ));
    }
    output::out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

fn format_tokens(tokens: u64) -> String {
    if tokens >= 1_000_000 && tokens.is_multiple_of(1_000_000) {
        format!("{}M", tokens / 1_000_000)
    } else if tokens >= 1_000 {
        format!("{}k", tokens / 1_000)
    } else {
        tokens.to_string()
    }
}
