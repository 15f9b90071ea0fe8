//! `rustyclaw tools`: every built-in tool and whether the policy chain lets a session see it.

use std::process::ExitCode;

use rustyclaw_agent::{Models, effective_tools};
use rustyclaw_config::LoadedConfig;
use rustyclaw_protocol::SessionKey;
use rustyclaw_tools::policy::Verdict;

use crate::UserError;
use crate::args::ToolsArgs;
use crate::output;

/// Runs `rustyclaw tools`.
pub fn run(loaded: LoadedConfig, args: ToolsArgs) -> anyhow::Result<ExitCode> {
    let config = loaded.config;
    let agent_id = args
        .agent
        .clone()
        .unwrap_or_else(|| config.agents.default_agent_id.clone());
    let agent = config.agents.get(&agent_id).ok_or_else(|| {
        UserError::new(format!(
            "--agent: no agent {agent_id:?} in agents.list (known: {})",
            config
                .agents
                .list
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let key_text = args
        .session
        .clone()
        .unwrap_or_else(|| format!("agent:{agent_id}:main"));
    let key = SessionKey::parse(&key_text)
        .map_err(|e| UserError::new(format!("--session {key_text:?}: {e}")))?;
    let models = Models::new(&config, &loaded.env).map_err(|e| UserError::new(e.to_string()))?;
    let model_ref = args
        .model
        .clone()
        .or_else(|| agent.model.primary.as_ref().map(|r| r.0.clone()));
    let spec = match &model_ref {
        Some(reference) => Some(
            models
                .resolve(reference)
                .map_err(|e| UserError::new(format!("--model {reference:?}: {e}")))?,
        ),
        None => None,
    };
    let registry = rustyclaw_tools::builtin_registry(&config.tools);
    let rows = effective_tools(
        &config,
        &registry,
        agent,
        &key,
        spec.as_ref().map(|s| (s.provider.as_str(), s.id.as_str())),
    );
    let model_text = spec.as_ref().map(|s| s.reference());
    if args.json {
        let tools: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| match &row.verdict {
                Verdict::Allowed => serde_json::json!({"name": row.name, "allowed": true}),
                Verdict::Denied { by } => {
                    serde_json::json!({"name": row.name, "allowed": false, "deniedBy": by})
                }
            })
            .collect();
        output::json(&serde_json::json!({
            "agentId": agent.id,
            "sessionKey": key.as_str(),
            "model": model_text,
            "tools": tools,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    output::out(&format!(
        "agent {} · session {} · model {}",
        agent.id,
        key.as_str(),
        model_text.as_deref().unwrap_or("(none configured)")
    ));
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4);
    for row in &rows {
        let verdict = match &row.verdict {
            Verdict::Allowed => "allowed".to_owned(),
            Verdict::Denied { by } => format!("denied by {by}"),
        };
        output::out(&format!("{:<width$}  {verdict}", row.name));
    }
    Ok(ExitCode::SUCCESS)
}
