//! The steps of the policy chain for one turn, and the verdict on each tool.

use rustyclaw_config::ToolsConfig;
use rustyclaw_config::file::{AgentToolsSection, ToolPolicySection, ToolProfile};

use super::matching::{AllowDeny, PolicyTool, normalize_tool_name};

/// Tools a sandboxed session does not get unless `tools.sandbox.tools.deny` says otherwise:
/// they act outside the sandbox (the host browser and canvas, paired devices, the scheduler, the
/// gateway itself, chat channels), so a sandbox that let them through would be a sandbox in name
/// only. OpenClaw's default deny list.
pub const DEFAULT_SANDBOX_DENY: &[&str] = &[
    "browser",
    "canvas",
    "nodes",
    "cron",
    "gateway",
    "telegram",
    "discord",
    "slack",
    "signal",
    "imessage",
    "whatsapp",
    "line",
    "feishu",
    "googlechat",
];

/// Tools a sub-agent never gets (OpenClaw's list): the main agent orchestrates sessions,
/// scheduling and memory, and administers the gateway.
pub const DEFAULT_SUBAGENT_DENY: &[&str] = &[
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_spawn",
    "gateway",
    "agents_list",
    "whatsapp_login",
    "session_status",
    "cron",
    "memory_search",
    "memory_get",
    "memory_store",
    "memory_recall",
    "memory_index_status",
    "memory_audit",
];

/// What the chain depends on: the config, the agent, the turn's model and the session's kind.
#[derive(Debug, Clone, Copy)]
pub struct PolicyScope<'a> {
    /// The resolved `tools` section.
    pub tools: &'a ToolsConfig,
    /// The agent's id (for step labels).
    pub agent_id: &'a str,
    /// The agent's own `tools` section, if any.
    pub agent_tools: Option<&'a AgentToolsSection>,
    /// The provider of the turn's model (`openai`, `anthropic`, …), if known.
    pub provider: Option<&'a str>,
    /// The model id within the provider, if known.
    pub model: Option<&'a str>,
    /// Whether the session's commands run sandboxed.
    pub sandboxed: bool,
    /// Whether the session is a sub-agent's.
    pub subagent: bool,
}

/// One step: a filter and the config key it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyStep {
    /// The config key, as OpenClaw labels it (`tools.profile (coding)`, `tools.allow`, …).
    pub label: String,
    /// The filter.
    pub filter: AllowDeny,
}

/// Whether a tool survives the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every step lets it through.
    Allowed,
    /// The first step that removes it.
    Denied {
        /// That step's label.
        by: String,
    },
}

/// A tool and its verdict (the rows of `tools.effective`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveTool {
    /// The tool's name.
    pub name: String,
    /// Whether the model sees it, and if not, why.
    pub verdict: Verdict,
}

/// The resolved steps for one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChain {
    steps: Vec<PolicyStep>,
}

impl PolicyChain {
    /// The steps that apply to `scope`, in order; steps that restrict nothing are left out.
    pub fn resolve(scope: &PolicyScope<'_>) -> Self {
        let global = &scope.tools.policy;
        let agent = scope.agent_tools.map(|a| &a.policy);
        let agent_label = format!("agents.{}.tools", scope.agent_id);
        let provider = provider_policy(&scope.tools.by_provider, scope);
        let agent_provider = scope
            .agent_tools
            .and_then(|a| a.by_provider.as_ref())
            .and_then(|map| provider_policy(map, scope));
        let mut steps = Vec::new();
        let mut push = |label: String, filter: Option<AllowDeny>| {
            if let Some(filter) = filter {
                steps.push(PolicyStep { label, filter });
            }
        };

        // 1. The profile: the agent's replaces the global one; alsoAllow widens it.
        let profile = agent
            .and_then(|a| a.profile)
            .or(global.profile)
            .unwrap_or(ToolProfile::Coding);
        let also = agent
            .and_then(|a| a.also_allow.clone())
            .or_else(|| global.also_allow.clone())
            .unwrap_or_default();
        push(
            format!("tools.profile ({})", profile_name(profile)),
            AllowDeny::from_profile(profile, &also),
        );
        // 2. A provider's profile.
        let provider_profile = agent_provider
            .and_then(|p| p.profile)
            .or_else(|| provider.and_then(|p| p.profile));
        if let Some(profile) = provider_profile {
            let also = agent_provider
                .and_then(|p| p.also_allow.clone())
                .or_else(|| provider.and_then(|p| p.also_allow.clone()))
                .unwrap_or_default();
            push(
                format!("tools.byProvider.profile ({})", profile_name(profile)),
                AllowDeny::from_profile(profile, &also),
            );
        }
        // 3–6. Allow/deny lists: global, per provider, per agent, per agent and provider.
        push("tools.allow".to_owned(), AllowDeny::from_section(global));
        push(
            "tools.byProvider.allow".to_owned(),
            provider.and_then(AllowDeny::from_section),
        );
        push(
            format!("{agent_label}.allow"),
            agent.and_then(AllowDeny::from_section),
        );
        push(
            format!("{agent_label}.byProvider.allow"),
            agent_provider.and_then(AllowDeny::from_section),
        );
        // 7. The sandbox: the agent's list replaces the global one field by field.
        if scope.sandboxed {
            let agent_list = scope
                .agent_tools
                .and_then(|a| a.sandbox.as_ref())
                .and_then(|s| s.tools.as_ref());
            let global_list = scope.tools.sandbox_tools.as_ref();
            let allow = agent_list
                .and_then(|l| l.allow.clone())
                .or_else(|| global_list.and_then(|l| l.allow.clone()));
            let deny = agent_list
                .and_then(|l| l.deny.clone())
                .or_else(|| global_list.and_then(|l| l.deny.clone()))
                .unwrap_or_else(|| strings(DEFAULT_SANDBOX_DENY));
            push(
                "tools.sandbox.tools".to_owned(),
                Some(AllowDeny { allow, deny }),
            );
        }
        // 8. Sub-agents.
        if scope.subagent {
            let configured = scope.tools.subagent_tools.as_ref();
            let mut deny = strings(DEFAULT_SUBAGENT_DENY);
            deny.extend(configured.and_then(|c| c.deny.clone()).unwrap_or_default());
            push(
                "tools.subagents.tools".to_owned(),
                Some(AllowDeny {
                    allow: configured.and_then(|c| c.allow.clone()),
                    deny,
                }),
            );
        }
        // 9. apply_patch is offered only to the listed models.
        if let Some(models) = &scope.tools.exec.apply_patch_models
            && !model_listed(models, scope)
        {
            push(
                "tools.exec.applyPatch.allowModels".to_owned(),
                Some(AllowDeny {
                    allow: None,
                    deny: vec!["apply_patch".to_owned()],
                }),
            );
        }
        PolicyChain { steps }
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[PolicyStep] {
        &self.steps
    }

    /// Whether `tool` (a built-in tool's name, or a [`PolicyTool`]) survives every step, and
    /// if not, which step removed it.
    pub fn verdict<'t>(&self, tool: impl Into<PolicyTool<'t>>) -> Verdict {
        let tool = tool.into();
        match self.steps.iter().find(|s| !s.filter.allows(tool)) {
            None => Verdict::Allowed,
            Some(step) => Verdict::Denied {
                by: step.label.clone(),
            },
        }
    }

    /// Whether `tool` survives every step.
    pub fn allows<'t>(&self, tool: impl Into<PolicyTool<'t>>) -> bool {
        self.verdict(tool) == Verdict::Allowed
    }

    /// The verdict on each of `tools`.
    pub fn effective<'t, T: Into<PolicyTool<'t>>>(
        &self,
        tools: impl IntoIterator<Item = T>,
    ) -> Vec<EffectiveTool> {
        tools
            .into_iter()
            .map(|tool| {
                let tool = tool.into();
                EffectiveTool {
                    name: tool.name.to_owned(),
                    verdict: self.verdict(tool),
                }
            })
            .collect()
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn profile_name(profile: ToolProfile) -> &'static str {
    match profile {
        ToolProfile::Minimal => "minimal",
        ToolProfile::Coding => "coding",
        ToolProfile::Messaging => "messaging",
        ToolProfile::Full => "full",
    }
}

/// The `byProvider` entry for the scope's model: `provider/model` first, then `provider`
/// (keys compared case-insensitively). A model id that already holds a `/` is looked up as is.
fn provider_policy<'m>(
    map: &'m std::collections::BTreeMap<String, ToolPolicySection>,
    scope: &PolicyScope<'_>,
) -> Option<&'m ToolPolicySection> {
    let provider = scope.provider?.trim().to_ascii_lowercase();
    if provider.is_empty() || map.is_empty() {
        return None;
    }
    let full = scope.model.map(|m| {
        let m = m.trim().to_ascii_lowercase();
        if m.contains('/') {
            m
        } else {
            format!("{provider}/{m}")
        }
    });
    let lookup = |wanted: &str| {
        map.iter()
            .find(|(key, _)| key.trim().to_ascii_lowercase() == wanted)
            .map(|(_, v)| v)
    };
    full.as_deref()
        .and_then(lookup)
        .or_else(|| lookup(&provider))
}

/// Whether `models` (`tools.exec.applyPatch.allowModels`) names the scope's model, as a bare id
/// or as `provider/model`.
fn model_listed(models: &[String], scope: &PolicyScope<'_>) -> bool {
    let Some(model) = scope.model else {
        return false;
    };
    let model = model.trim().to_ascii_lowercase();
    let full = scope
        .provider
        .map(|p| format!("{}/{model}", p.trim().to_ascii_lowercase()));
    models.iter().any(|entry| {
        let entry = normalize_tool_name(entry);
        entry == model || Some(&entry) == full.as_ref()
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rustyclaw_config::file::{ToolAllowDeny, ToolListSection};

    use super::*;

    fn tools() -> ToolsConfig {
        ToolsConfig::default()
    }

    fn list(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    fn scope<'a>(tools: &'a ToolsConfig, agent: Option<&'a AgentToolsSection>) -> PolicyScope<'a> {
        PolicyScope {
            tools,
            agent_id: "main",
            agent_tools: agent,
            provider: Some("openai"),
            model: Some("gpt-5"),
            sandboxed: false,
            subagent: false,
        }
    }

    const ALL: &[&str] = &[
        "read",
        "write",
        "edit",
        "apply_patch",
        "exec",
        "process",
        "web_fetch",
        "session_status",
        "gateway",
        "cron",
    ];

    fn allowed(chain: &PolicyChain) -> Vec<&'static str> {
        ALL.iter().copied().filter(|t| chain.allows(*t)).collect()
    }

    #[test]
    fn the_default_is_the_coding_profile() {
        let tools = tools();
        let chain = PolicyChain::resolve(&scope(&tools, None));
        assert_eq!(
            allowed(&chain),
            [
                "read",
                "write",
                "edit",
                "apply_patch",
                "exec",
                "process",
                "web_fetch",
                "session_status",
                "cron"
            ]
        );
        assert_eq!(
            chain.verdict("gateway"),
            Verdict::Denied {
                by: "tools.profile (coding)".into()
            }
        );
    }

    #[test]
    fn the_agent_profile_replaces_the_global_one_but_global_denies_still_apply() {
        let mut tools = tools();
        tools.policy.profile = Some(ToolProfile::Minimal);
        tools.policy.deny = list(&["write"]);
        let agent = AgentToolsSection {
            policy: ToolPolicySection {
                profile: Some(ToolProfile::Coding),
                ..Default::default()
            },
            ..Default::default()
        };
        let chain = PolicyChain::resolve(&scope(&tools, Some(&agent)));
        assert!(chain.allows("exec"));
        assert_eq!(
            chain.verdict("write"),
            Verdict::Denied {
                by: "tools.allow".into()
            }
        );
    }

    #[test]
    fn an_agent_allow_list_cannot_widen_the_global_one() {
        let mut tools = tools();
        tools.policy.allow = list(&["read", "exec"]);
        let agent = AgentToolsSection {
            policy: ToolPolicySection {
                allow: list(&["read", "write"]),
                ..Default::default()
            },
            ..Default::default()
        };
        let chain = PolicyChain::resolve(&scope(&tools, Some(&agent)));
        assert_eq!(allowed(&chain), ["read"]);
        assert_eq!(
            chain.verdict("write"),
            Verdict::Denied {
                by: "tools.allow".into()
            }
        );
        assert_eq!(
            chain.verdict("exec"),
            Verdict::Denied {
                by: "agents.main.tools.allow".into()
            }
        );
    }

    #[test]
    fn by_provider_prefers_the_model_entry_and_matches_case_insensitively() {
        let mut tools = tools();
        tools.by_provider = BTreeMap::from([
            (
                "OpenAI".to_owned(),
                ToolPolicySection {
                    deny: list(&["exec"]),
                    ..Default::default()
                },
            ),
            (
                "openai/gpt-5".to_owned(),
                ToolPolicySection {
                    profile: Some(ToolProfile::Minimal),
                    ..Default::default()
                },
            ),
        ]);
        let chain = PolicyChain::resolve(&scope(&tools, None));
        assert_eq!(allowed(&chain), ["session_status"]);
        assert_eq!(
            chain.verdict("read"),
            Verdict::Denied {
                by: "tools.byProvider.profile (minimal)".into()
            }
        );
        let mut other = scope(&tools, None);
        other.model = Some("gpt-4o");
        let chain = PolicyChain::resolve(&other);
        assert!(chain.allows("read"));
        assert_eq!(
            chain.verdict("exec"),
            Verdict::Denied {
                by: "tools.byProvider.allow".into()
            }
        );
        other.provider = Some("anthropic");
        assert!(PolicyChain::resolve(&other).allows("exec"));
    }

    #[test]
    fn agent_provider_policies_apply_last_among_the_lists() {
        let tools = tools();
        let agent = AgentToolsSection {
            by_provider: Some(BTreeMap::from([(
                "openai".to_owned(),
                ToolPolicySection {
                    deny: list(&["group:fs"]),
                    ..Default::default()
                },
            )])),
            ..Default::default()
        };
        let chain = PolicyChain::resolve(&scope(&tools, Some(&agent)));
        assert_eq!(
            chain.verdict("edit"),
            Verdict::Denied {
                by: "agents.main.tools.byProvider.allow".into()
            }
        );
        assert!(chain.allows("exec"));
    }

    #[test]
    fn sandboxed_sessions_lose_the_tools_that_act_outside() {
        let mut tools = tools();
        tools.policy.profile = Some(ToolProfile::Full);
        let mut s = scope(&tools, None);
        assert!(PolicyChain::resolve(&s).allows("gateway"));
        s.sandboxed = true;
        let chain = PolicyChain::resolve(&s);
        assert_eq!(
            chain.verdict("gateway"),
            Verdict::Denied {
                by: "tools.sandbox.tools".into()
            }
        );
        assert!(!chain.allows("cron") && chain.allows("exec"));

        // The agent's list replaces the global one field by field.
        tools.sandbox_tools = Some(ToolAllowDeny {
            allow: list(&["exec", "read"]),
            deny: list(&[]),
        });
        let agent = AgentToolsSection {
            sandbox: Some(ToolListSection {
                tools: Some(ToolAllowDeny {
                    allow: None,
                    deny: list(&["read"]),
                }),
            }),
            ..Default::default()
        };
        let mut s = scope(&tools, Some(&agent));
        s.sandboxed = true;
        let chain = PolicyChain::resolve(&s);
        assert_eq!(allowed(&chain), ["apply_patch", "exec"]);
    }

    #[test]
    fn subagents_get_the_default_deny_list_plus_the_configured_one() {
        let mut tools = tools();
        tools.subagent_tools = Some(ToolAllowDeny {
            allow: None,
            deny: list(&["web_*"]),
        });
        let mut s = scope(&tools, None);
        s.subagent = true;
        let chain = PolicyChain::resolve(&s);
        assert!(!chain.allows("session_status"));
        assert!(!chain.allows("web_fetch"));
        assert!(chain.allows("exec"));
    }

    #[test]
    fn apply_patch_follows_allow_models() {
        let mut tools = tools();
        tools.exec.apply_patch_models = list(&["openai/gpt-5", "o3"]);
        let mut s = scope(&tools, None);
        assert!(PolicyChain::resolve(&s).allows("apply_patch"));
        s.model = Some("o3");
        assert!(PolicyChain::resolve(&s).allows("apply_patch"));
        s.model = Some("gpt-4o");
        let chain = PolicyChain::resolve(&s);
        assert_eq!(
            chain.verdict("apply_patch"),
            Verdict::Denied {
                by: "tools.exec.applyPatch.allowModels".into()
            }
        );
        assert!(chain.allows("exec"));
    }

    #[test]
    fn effective_lists_every_tool_with_its_verdict() {
        let mut tools = tools();
        tools.policy.deny = list(&["exec"]);
        let chain = PolicyChain::resolve(&scope(&tools, None));
        let rows = chain.effective(["read", "exec"]);
        assert_eq!(rows[0].verdict, Verdict::Allowed);
        assert_eq!(
            rows[1],
            EffectiveTool {
                name: "exec".into(),
                verdict: Verdict::Denied {
                    by: "tools.allow".into()
                }
            }
        );
        assert_eq!(chain.steps().len(), 2);
    }
}
