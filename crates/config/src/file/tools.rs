//! `tools`: the tool policy and tool behaviour.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AllowEntry, SecretInput, ToolListSection, ToolPolicySection};

/// `tools` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ToolsSection {
    /// The global policy: `profile` (default `coding`), `allow`, `alsoAllow`, `deny`.
    #[serde(flatten)]
    pub policy: ToolPolicySection,
    /// Policy overrides per provider or `provider/model`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_provider: Option<BTreeMap<String, ToolPolicySection>>,
    /// Elevated (host) execution for approved senders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elevated: Option<ElevatedSection>,
    /// The `exec` tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecSection>,
    /// The web tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web: Option<WebToolsSection>,
    /// Detection of a model repeating the same tool call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_detection: Option<LoopDetectionSection>,
    /// Risk guards scoring commands and tool output before they act (rustyclaw only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guards: Option<GuardsSection>,
    /// The tool policy of sandboxed sessions (`tools.sandbox.tools`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<ToolListSection>,
    /// The tool policy of sub-agent sessions (`tools.subagents.tools`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subagents: Option<ToolListSection>,
}

/// `tools.elevated`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElevatedSection {
    /// Allow `/elevated` at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Senders allowed per channel: `{ telegram: ["123"] }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<BTreeMap<String, Vec<AllowEntry>>>,
}

/// `tools.exec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecSection {
    /// Move a command to the background after this long (default 10000 ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_ms: Option<u64>,
    /// Kill a command after this long (default 1800 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_sec: Option<u64>,
    /// Forget finished background runs after this long (default 1800000 ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup_ms: Option<u64>,
    /// Tell the session when a background command exits (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_on_exit: Option<bool>,
    /// Where commands run: `sandbox` (default), `gateway` (host) or `node`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<ExecHost>,
    /// Host execution policy: `deny`, `allowlist` or `full`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<ExecSecurity>,
    /// When to ask a human: `off`, `on-miss` or `always`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ask: Option<ExecAsk>,
    /// The `apply_patch` tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_patch: Option<ApplyPatchSection>,
}

/// Execution hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExecHost {
    /// Inside the sandbox.
    Sandbox,
    /// On the gateway host.
    Gateway,
    /// On a paired device node.
    Node,
}

/// Host execution policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExecSecurity {
    /// Refuse host commands.
    Deny,
    /// Allow commands on the allowlist.
    Allowlist,
    /// Allow everything.
    Full,
}

/// Approval prompting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExecAsk {
    /// Never ask.
    Off,
    /// Ask when a command is not on the allowlist.
    OnMiss,
    /// Always ask.
    Always,
}

/// `tools.exec.applyPatch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyPatchSection {
    /// Offer `apply_patch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Models allowed to use it (absent = all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_models: Option<Vec<String>>,
}

/// `tools.web`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebToolsSection {
    /// `web_fetch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch: Option<WebFetchSection>,
    /// `web_search`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<WebSearchSection>,
}

/// `tools.web.fetch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebFetchSection {
    /// Offer `web_fetch` (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Most characters returned (default 50000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
    /// Request timeout in seconds (default 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Most redirects followed (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_redirects: Option<u32>,
    /// User-Agent header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Allow fetching private and loopback addresses (default false: SSRF guard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_private_network: Option<bool>,
}

/// `tools.web.search`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebSearchSection {
    /// Offer `web_search`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Search provider id (`brave`, `perplexity`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// API key for the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<SecretInput>,
    /// Results per query (default 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
}

/// `tools.loopDetection`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoopDetectionSection {
    /// Detect repeated identical tool calls (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Identical calls in a row that count as a loop (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_repeats: Option<u32>,
}

/// `tools.guards` (rustyclaw only): the command-risk and prompt-injection guards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardsSection {
    /// `enforce` (default: review and block as scored), `audit` (record only) or `off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<GuardMode>,
    /// Thresholds for commands (`exec`, shell input to `process`); default review 40, block 80.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<GuardThresholdsSection>,
    /// Thresholds for tool output and fetched content; default review 35, block 70.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<GuardThresholdsSection>,
}

/// How the guards act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GuardMode {
    /// Review and block by score.
    Enforce,
    /// Score and record (audit log, quarantine) but let everything through.
    Audit,
    /// Do not score.
    Off,
}

/// `tools.guards.command` / `tools.guards.content`: score thresholds (0–100).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardThresholdsSection {
    /// Lowest score that is let through with a notice and audited.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub review: Option<u32>,
    /// Lowest score that is stopped, quarantined and audited (at least `review`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub block: Option<u32>,
}
