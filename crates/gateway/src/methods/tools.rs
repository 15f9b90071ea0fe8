//! `tools.catalog`, `tools.effective` and `commands.list`: what an agent can do, for the
//! Control UI's tool and command pickers.
//!
//! `tools.effective` is the same per-turn policy chain a run applies (profile, allow/deny,
//! per-provider and per-agent lists, sandbox and sub-agent steps), so what a client shows is
//! exactly what the model is offered.

use rustyclaw_agent::{COMMANDS, CommandInfo, effective_tools};
use rustyclaw_config::file::ToolProfile;
use rustyclaw_config::{AgentConfig, Config};
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_tools::policy::{AllowDeny, Verdict, group_members};
use rustyclaw_tools::{ToolOrigin, ToolRegistry};
use serde_json::{Value, json};

use super::{Call, Fail, READ, Reply, invalid, unavailable, unhandled};
use crate::state::GatewayState;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("tools.catalog", READ),
    ("tools.effective", READ),
    ("commands.list", READ),
];

/// Tool groups in catalog order, with OpenClaw's group ids.
const GROUPS: &[(&str, &str)] = &[
    ("fs", "Files"),
    ("runtime", "Runtime"),
    ("web", "Web"),
    ("sessions", "Sessions"),
    ("memory", "Memory"),
    ("ui", "UI"),
    ("automation", "Automation"),
    ("messaging", "Messaging"),
    ("nodes", "Nodes"),
    ("agents", "Agents"),
    ("media", "Media"),
];

const PROFILES: &[(ToolProfile, &str, &str)] = &[
    (ToolProfile::Minimal, "minimal", "Minimal"),
    (ToolProfile::Coding, "coding", "Coding"),
    (ToolProfile::Messaging, "messaging", "Messaging"),
    (ToolProfile::Full, "full", "Full"),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "tools.catalog" => catalog(call.state, params),
        "tools.effective" => effective(call.state, params).await,
        "commands.list" => Ok(commands(params)),
        _ => unhandled(method),
    }
}

fn agent<'a>(config: &'a Config, id: Option<&str>) -> Result<&'a AgentConfig, Fail> {
    let wanted = id.map_or_else(
        || AgentId::normalize(&config.agents.default_agent_id),
        AgentId::normalize,
    );
    config
        .agents
        .list
        .iter()
        .find(|a| AgentId::normalize(&a.id) == wanted)
        .ok_or_else(|| invalid(format!("unknown agent id \"{}\"", wanted.as_str())))
}

/// The runtime's tools: the built-in ones and those registered at run time (MCP servers).
fn registry(state: &GatewayState) -> std::sync::Arc<ToolRegistry> {
    state.0.runtime.tools()
}

/// A tool's display label: its name with words capitalised (`web_fetch` → `Web Fetch`).
fn label(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `tools.catalog {agentId?}`: every tool this gateway has, grouped, with the profiles that
/// include it by default.
fn catalog(state: &GatewayState, params: &Value) -> Reply {
    let config = state.config();
    let agent = agent(&config, params.get("agentId").and_then(Value::as_str))?;
    let registry = registry(state);
    let (specs, plugin_specs): (Vec<_>, Vec<_>) =
        registry.specs().into_iter().partition(|(name, _, _)| {
            !matches!(registry.origin(name), Some(ToolOrigin::Plugin { .. }))
        });
    let mut placed: Vec<&str> = Vec::new();
    let mut groups = Vec::new();
    let tool_row = |name: &str, description: &str| {
        let profiles: Vec<&str> = PROFILES
            .iter()
            .filter(|(profile, _, _)| {
                AllowDeny::from_profile(*profile, &[]).is_none_or(|p| p.allows(name))
            })
            .map(|(_, id, _)| *id)
            .collect();
        json!({
            "id": name,
            "label": label(name),
            "description": description,
            "source": "core",
            "defaultProfiles": profiles,
        })
    };
    for (group, group_label) in GROUPS {
        let members = group_members(group);
        let names: Vec<&str> = specs
            .iter()
            .map(|(name, _, _)| *name)
            .filter(|name| members.contains(name) && !placed.contains(name))
            .collect();
        placed.extend(&names);
        let tools: Vec<Value> = specs
            .iter()
            .filter(|(name, _, _)| names.contains(name))
            .map(|(name, description, _)| tool_row(name, description))
            .collect();
        if !tools.is_empty() {
            groups
                .push(json!({"id": group, "label": group_label, "source": "core", "tools": tools}));
        }
    }
    let rest: Vec<Value> = specs
        .iter()
        .filter(|(name, _, _)| !placed.contains(name))
        .map(|(name, description, _)| tool_row(name, description))
        .collect();
    if !rest.is_empty() {
        groups.push(json!({"id": "other", "label": "Other", "source": "core", "tools": rest}));
    }
    // Tools registered at run time, one group per plugin, as upstream lists plugin tools.
    let mut plugins: Vec<(&str, Vec<Value>)> = Vec::new();
    for (name, description, _) in &plugin_specs {
        let Some(ToolOrigin::Plugin { id }) = registry.origin(name) else {
            continue;
        };
        let row = json!({
            "id": name, "label": name, "description": description,
            "source": "plugin", "pluginId": id.as_ref(), "defaultProfiles": [],
        });
        match plugins
            .iter_mut()
            .find(|(plugin, _)| *plugin == id.as_ref())
        {
            Some((_, rows)) => rows.push(row),
            None => plugins.push((id.as_ref(), vec![row])),
        }
    }
    for (plugin, tools) in plugins {
        groups.push(json!({"id": format!("plugin:{plugin}"), "label": plugin,
            "source": "plugin", "pluginId": plugin, "tools": tools}));
    }
    let profiles: Vec<Value> = PROFILES
        .iter()
        .map(|(_, id, label)| json!({"id": id, "label": label}))
        .collect();
    Ok(json!({"agentId": agent.id, "profiles": profiles, "groups": groups}))
}

/// `tools.effective {sessionKey, agentId?}`: the tools the model is offered in that session
/// now, after the whole policy chain, for the model the session would use.
async fn effective(state: &GatewayState, params: &Value) -> Reply {
    let raw_key = params
        .get("sessionKey")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            invalid("invalid tools.effective params: must have required property 'sessionKey'")
        })?;
    let key =
        SessionKey::parse(raw_key).map_err(|e| invalid(format!("invalid sessionKey: {e}")))?;
    let agent_param = params.get("agentId").and_then(Value::as_str);
    let agent_id = agent_param
        .map(str::to_owned)
        .or_else(|| key.agent_id().map(|a| a.as_str().to_owned()));
    let config = state.config();
    let agent = agent(&config, agent_id.as_deref())?;
    let models = state.0.runtime.models();
    let entry = state
        .0
        .store
        .get_session(&key)
        .await
        .map_err(|e| unavailable("tools.effective", &e))?;
    // The session's own model when it has one, else the agent's primary.
    let spec = match &entry {
        Some(entry) => models.plan(agent, entry).ok().map(|plan| plan.primary),
        None => agent
            .model
            .primary
            .as_ref()
            .and_then(|reference| models.resolve(&reference.0).ok()),
    };
    let registry = registry(state);
    let descriptions: Vec<(&str, String)> = registry
        .specs()
        .into_iter()
        .map(|(name, description, _)| (name, description))
        .collect();
    let rows = effective_tools(
        &state.config(),
        &registry,
        agent,
        &key,
        spec.as_ref().map(|s| (s.provider.as_str(), s.id.as_str())),
    );
    let tools: Vec<Value> = rows
        .iter()
        .filter(|row| row.verdict == Verdict::Allowed)
        .map(|row| {
            let description = descriptions
                .iter()
                .find(|(name, _)| *name == row.name)
                .map_or("", |(_, d)| d.as_str());
            json!({
                "id": row.name,
                "label": label(&row.name),
                "description": description,
                "rawDescription": description,
                "source": "core",
            })
        })
        .collect();
    let profile = agent
        .tools
        .as_ref()
        .and_then(|t| t.policy.profile)
        .or(state.config().tools.policy.profile)
        .unwrap_or(ToolProfile::Coding);
    let profile = PROFILES
        .iter()
        .find(|(p, _, _)| *p == profile)
        .map_or("coding", |(_, id, _)| *id);
    Ok(json!({
        "agentId": agent.id,
        "profile": profile,
        "groups": [{"id": "core", "label": "Built-in tools", "source": "core", "tools": tools}],
    }))
}

/// `commands.list {scope?, includeArgs?}`: the chat commands, typed as text (rustyclaw has no
/// channel-native command menus yet, so every command's scope is `text`).
fn commands(params: &Value) -> Value {
    let wanted = params
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or("both");
    let include_args = params.get("includeArgs").and_then(Value::as_bool) != Some(false);
    let commands: Vec<Value> = if wanted == "native" {
        Vec::new()
    } else {
        COMMANDS
            .iter()
            .map(|c| command_row(c, include_args))
            .collect()
    };
    json!({"commands": commands})
}

fn command_row(command: &CommandInfo, include_args: bool) -> Value {
    let mut row = json!({
        "name": command.name,
        "description": command.description,
        "category": command.category,
        "source": "native",
        "scope": "text",
        "acceptsArgs": !command.args.is_empty(),
    });
    if !command.aliases.is_empty() {
        row["textAliases"] = json!(
            command
                .aliases
                .iter()
                .map(|a| format!("/{a}"))
                .collect::<Vec<_>>()
        );
    }
    if include_args && !command.args.is_empty() {
        let args: Vec<Value> = command
            .args
            .iter()
            .map(|arg| {
                let mut a = json!({
                    "name": arg.name,
                    "description": arg.description,
                    "type": "string",
                    "required": arg.required,
                });
                if !arg.choices.is_empty() {
                    a["choices"] = json!(
                        arg.choices
                            .iter()
                            .map(|c| json!({"value": c, "label": c}))
                            .collect::<Vec<_>>()
                    );
                }
                a
            })
            .collect();
        row["args"] = json!(args);
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_capitalise_words() {
        assert_eq!(label("web_fetch"), "Web Fetch");
        assert_eq!(label("read"), "Read");
    }

    #[test]
    fn commands_list_text_commands_with_their_choices() {
        let all = commands(&json!({}));
        let think = all["commands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "think")
            .unwrap();
        assert_eq!(think["textAliases"], json!(["/t", "/thinking"]));
        assert_eq!(think["args"][0]["choices"][0]["value"], "off");
        assert_eq!(commands(&json!({"scope": "native"}))["commands"], json!([]));
        let bare = commands(&json!({"includeArgs": false}));
        assert!(bare["commands"][3].get("args").is_none());
    }
}
