//! Small value types shared by several sections.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An allowlist entry: a user id, handle or pattern (numbers accepted for numeric ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AllowEntry {
    /// A textual id, handle or `*`.
    Text(String),
    /// A numeric id (e.g. a Telegram user id).
    Number(i64),
}

impl AllowEntry {
    /// The entry as text, numbers in decimal.
    pub fn as_text(&self) -> String {
        match self {
            AllowEntry::Text(s) => s.clone(),
            AllowEntry::Number(n) => n.to_string(),
        }
    }
}

/// A tool allow/deny policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolPolicySection {
    /// Base tool profile: `minimal`, `coding`, `messaging` or `full`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ToolProfile>,
    /// Tools or groups allowed (wildcards like `web_*`, groups like `group:fs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// Tools added on top of the profile without replacing its list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also_allow: Option<Vec<String>>,
    /// Tools or groups denied; deny always wins over allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
}

/// A plain allow/deny list (`tools.sandbox.tools`, `tools.subagents.tools`): no profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolAllowDeny {
    /// Tools or groups allowed; absent or empty allows everything not denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// Tools or groups denied; deny always wins over allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
}

/// A section whose only key is `tools` (`tools.sandbox`, `tools.subagents`,
/// `agents.list[].tools.sandbox`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolListSection {
    /// The allow/deny list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolAllowDeny>,
}

/// `agents.list[].tools`: the agent's own policy, applied after the global one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct AgentToolsSection {
    /// `profile` (replaces the global one for this agent), `allow`, `alsoAllow`, `deny`.
    #[serde(flatten)]
    pub policy: ToolPolicySection,
    /// Further restrictions per provider or `provider/model` for this agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_provider: Option<std::collections::BTreeMap<String, ToolPolicySection>>,
    /// The sandbox tool policy of this agent (replaces `tools.sandbox.tools`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<ToolListSection>,
}

/// Built-in tool profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ToolProfile {
    /// Only `session_status`.
    Minimal,
    /// Files, runtime, sessions, memory.
    Coding,
    /// Messaging and session tools.
    Messaging,
    /// Every tool.
    Full,
}

/// Thinking (reasoning effort) levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ThinkingLevel {
    /// No extended thinking.
    Off,
    /// Minimal thinking budget.
    Minimal,
    /// Low budget.
    Low,
    /// Medium budget.
    Medium,
    /// High budget.
    High,
    /// The provider's maximum.
    Xhigh,
    /// Let the provider decide.
    Adaptive,
}

/// Verbose levels for tool output shown in chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VerboseLevel {
    /// No tool summaries.
    Off,
    /// Tool summaries.
    On,
    /// Tool summaries with output.
    Full,
}
