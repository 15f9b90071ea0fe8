//! One tool call made directly by an operator (the gateway's `POST /tools/invoke`) rather than by
//! the model: the same policy chain as a turn of the session decides whether the tool exists for
//! it, and the call gets the context (workspace, sandbox, status card) a turn's call would get.
//!
//! The caller is the authenticated owner, not the model, so the risk guards that score what a
//! model asks for do not apply; exec approvals and the sandbox do, because they live in the
//! tools themselves.

use std::sync::Arc;

use rustyclaw_protocol::origin::MessageOrigin;
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_tools::policy::Verdict;
use rustyclaw_tools::{SessionSandbox, ToolContext, ToolError, ToolOutput, ToolResult};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::error::AgentError;
use crate::services::Services;
use crate::session::SessionState;
use crate::{status, tool_policy};

/// A direct tool call.
#[derive(Debug, Clone)]
pub struct ToolInvocation {
    /// The agent whose policy and workspace apply.
    pub agent_id: AgentId,
    /// The session the call runs in.
    pub session_key: SessionKey,
    /// The tool.
    pub name: String,
    /// Its arguments (a JSON object).
    pub args: Value,
    /// OpenClaw's `action` shorthand: becomes `args.action` when the tool takes an `action`
    /// argument and `args` has none.
    pub action: Option<String>,
    /// Check that the tool is available without running it.
    pub dry_run: bool,
}

/// Runs the invocation; `Ok(None)` when the session's tool policy does not offer that tool (or
/// no such tool exists).
pub(crate) async fn invoke(
    services: &Services,
    call: ToolInvocation,
) -> Result<Option<ToolResult>, AgentError> {
    let ToolInvocation {
        agent_id,
        session_key: key,
        name,
        mut args,
        action,
        dry_run,
    } = call;
    let (agent_id, key, name) = (&agent_id, &key, name.as_str());
    let agents = &services.config.agents;
    let Some(agent) = agents.get(agent_id.as_str()) else {
        return Err(AgentError::UnknownAgent {
            agent: agent_id.as_str().to_owned(),
            known: agents
                .list
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    // No model answers a direct call, so the per-provider steps of the chain are skipped.
    let allowed = tool_policy::effective_tools(&services.config, &services.tools, agent, key, None)
        .into_iter()
        .any(|t| t.name == name && t.verdict == Verdict::Allowed);
    if !allowed {
        return Ok(None);
    }
    let schema = services
        .tools
        .specs()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, schema)| schema);
    let takes_action = schema
        .as_ref()
        .and_then(|s| s.pointer("/properties/action"))
        .is_some();
    if let (Some(action), Value::Object(map), true) = (action, &mut args, takes_action) {
        map.entry("action").or_insert(Value::String(action));
    }
    if dry_run {
        return Ok(Some(Ok(ToolOutput::text(format!(
            "dry run: {name} is available in {key} and was not executed"
        ))
        .with_details(json!({"dryRun": true, "tool": name, "args": args})))));
    }
    let cwd = agent.workspace.display().to_string();
    let state = SessionState::load_or_create(&services.store, key, agent_id, None, &cwd).await?;
    let (sandbox, workspace) = SessionSandbox::for_session(
        &agent.sandbox,
        &agent.id,
        key.as_str(),
        &agent.workspace,
        services.tool_services.sandbox(),
    )
    .map_err(|e| AgentError::Internal {
        detail: format!("cannot create the sandbox's scratch workspace: {e}"),
    })?;
    let model = services
        .models
        .plan(agent, &state.entry)
        .ok()
        .map(|p| p.primary);
    let cx = ToolContext {
        workspace,
        session_key: key.clone(),
        sandbox,
        agent_id: agent_id.clone(),
        cancel: CancellationToken::new(),
        services: Arc::clone(&services.tool_services),
        status: status::snapshot(&services.config, &state, model.as_ref()),
        // A direct call answers no message: `message` needs an explicit channel and target.
        origin: MessageOrigin::default(),
        skills: Default::default(),
    };
    let Some(result) = services.tools.call(name, args, &cx).await else {
        return Ok(None);
    };
    // A tool's session changes (the model override of `session_status`) are applied by a turn
    // that owns the session; outside one they would be lost, so the call says so instead.
    Ok(Some(match result {
        Ok(output) if !output.effects.is_empty() => Err(ToolError::failed(format!(
            "{name} can change the session's model only inside a run; use sessions.patch"
        ))),
        other => other,
    }))
}
