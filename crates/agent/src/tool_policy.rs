//! The tools one turn offers: the registry filtered through the policy chain for the agent, the
//! turn's model and the kind of session.

use rustyclaw_config::{AgentConfig, Config};
use rustyclaw_protocol::{SessionKey, SessionKeyKind};
use rustyclaw_providers::ModelSpec;
use rustyclaw_tools::ToolRegistry;
use rustyclaw_tools::policy::{EffectiveTool, PolicyChain, PolicyScope};

/// Whether commands of `key` run sandboxed under the agent's `sandbox.mode`.
pub(crate) fn session_sandboxed(agent: &AgentConfig, key: &SessionKey) -> bool {
    agent.sandbox.sandboxes(&agent.id, key.as_str())
}

/// The policy chain of a turn.
pub(crate) fn chain(
    config: &Config,
    agent: &AgentConfig,
    key: &SessionKey,
    model: &ModelSpec,
) -> PolicyChain {
    chain_for(config, agent, key, Some((&model.provider, &model.id)))
}

fn chain_for(
    config: &Config,
    agent: &AgentConfig,
    key: &SessionKey,
    model: Option<(&str, &str)>,
) -> PolicyChain {
    PolicyChain::resolve(&PolicyScope {
        tools: &config.tools,
        agent_id: &agent.id,
        agent_tools: agent.tools.as_ref(),
        provider: model.map(|m| m.0),
        model: model.map(|m| m.1),
        sandboxed: session_sandboxed(agent, key),
        subagent: matches!(key.kind(), SessionKeyKind::Subagent { .. }),
    })
}

/// The verdict on each tool of `tools` for a session of `agent` answered by `model`
/// (`(provider, model id)`; `None` skips the per-provider steps): the data behind
/// `tools.effective` and `rustyclaw tools`.
pub fn effective_tools(
    config: &Config,
    tools: &ToolRegistry,
    agent: &AgentConfig,
    key: &SessionKey,
    model: Option<(&str, &str)>,
) -> Vec<EffectiveTool> {
    chain_for(config, agent, key, model).effective(tools.policy_tools())
}

/// `tools` holding only those `chain` lets through: the model sees these and can call
/// nothing else. Tools registered at run time go through the same chain, by name and by the
/// plugin that owns them.
pub(crate) fn turn_tools(tools: &ToolRegistry, chain: &PolicyChain) -> ToolRegistry {
    tools.filtered(|tool| chain.allows(tool))
}
