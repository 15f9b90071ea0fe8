//! `agents`: defaults shared by every agent, and the agents themselves.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    AgentToolsSection, BlockCoalesce, BlockStreamingBreak, BlockStreamingChunk, HumanDelaySection,
    OnOff, ThinkingLevel, VerboseLevel,
};

/// `agents` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentsSection {
    /// Settings every agent inherits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaults: Option<AgentDefaultsSection>,
    /// Agents as a list (each with an `id`), OpenClaw ≤ 2026.7 style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<Vec<AgentEntrySection>>,
    /// Agents keyed by id, OpenClaw 2026.9 style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<BTreeMap<String, AgentEntrySection>>,
}

/// `agents.defaults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentDefaultsSection {
    /// Workspace directory (default `<state dir>/workspace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Skills every agent may use unless it lists its own (absent = all; `[]` = none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    /// Model as `provider/model`, or `{ primary, fallbacks }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSelection>,
    /// Per-model settings keyed by `provider/model` (aliases, request parameters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<BTreeMap<String, ModelEntrySection>>,
    /// Default thinking level for new sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_default: Option<ThinkingLevel>,
    /// Default verbose level for new sessions (default `off`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verbose_default: Option<VerboseLevel>,
    /// Longest a run may take, in seconds (default 600).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Most runs executing at once across all sessions (default 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<u32>,
    /// Context window to assume when the model does not declare one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_tokens: Option<u64>,
    /// IANA time zone for the date line of the system prompt (default: the host's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_timezone: Option<String>,
    /// Clock format in prompts: `auto`, `12` or `24`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_format: Option<String>,
    /// Do not seed or inject workspace bootstrap files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_bootstrap: Option<bool>,
    /// Compaction of long conversations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compaction: Option<CompactionSection>,
    /// Largest single bootstrap file injected into the prompt (default 12000 chars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap_max_chars: Option<usize>,
    /// Largest total of bootstrap files injected (default 60000 chars).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap_total_max_chars: Option<usize>,
    /// Isolation of tool commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxSection>,
    /// Send channel replies in blocks as they are written: `on` or `off` (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_streaming_default: Option<OnOff>,
    /// When blocks leave: `text_end` (as soon as complete, default) or `message_end`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_streaming_break: Option<BlockStreamingBreak>,
    /// How big a block is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_streaming_chunk: Option<BlockStreamingChunk>,
    /// How blocks are merged before they are sent (a channel's `streaming.block.coalesce`
    /// wins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_streaming_coalesce: Option<BlockCoalesce>,
    /// A random pause between block replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub human_delay: Option<HumanDelaySection>,
}

/// A model choice: `"provider/model"` or `{ primary, fallbacks }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ModelSelection {
    /// Just the primary model.
    Primary(String),
    /// A primary model and the models to fail over to, in order.
    WithFallbacks {
        /// The model used first.
        #[serde(skip_serializing_if = "Option::is_none")]
        primary: Option<String>,
        /// Models tried in order when the primary fails.
        #[serde(skip_serializing_if = "Option::is_none")]
        fallbacks: Option<Vec<String>>,
    },
}

/// `agents.defaults.models["provider/model"]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelEntrySection {
    /// Short name usable in `/model <alias>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Extra request parameters (temperature, max tokens, …) sent with this model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentEntrySection {
    /// Agent id (`[a-z0-9][a-z0-9_-]*`); required in `list`, the key in `entries`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Use this agent when no binding picks another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Workspace directory for this agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Per-agent state directory (OpenClaw layout); informational in rustyclaw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_dir: Option<String>,
    /// Model override for this agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSelection>,
    /// How the agent presents itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentitySection>,
    /// Sandbox override for this agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxSection>,
    /// Tool policy of this agent (applied after the global one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<AgentToolsSection>,
    /// Skills this agent may use (absent = all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    /// How the agent behaves in group chats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_chat: Option<AgentGroupChatSection>,
}

/// `agents.list[].groupChat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentGroupChatSection {
    /// Patterns (case-insensitive regexes) that count as mentioning this agent in a group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mention_patterns: Option<Vec<String>>,
}

/// `identity` of an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentitySection {
    /// Name the agent uses for itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An emoji for the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// Avatar image path or URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Free-text personality theme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

/// `sandbox`: isolation of tool commands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxSection {
    /// `off`, `non-main` (sandbox all but the agent's main session) or `all`. rustyclaw
    /// sandboxes every session when unset (OpenClaw defaults to `off`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<SandboxMode>,
    /// Access to the agent workspace from inside the sandbox: `none` (a scratch workspace under
    /// `<stateDir>/sandboxes`), `ro` or `rw` (default `rw`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_access: Option<WorkspaceAccess>,
    /// Sandbox lifetime: per `session`, per `agent`, or `shared`; names the scratch workspace
    /// of `workspaceAccess: "none"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<SandboxScope>,
    /// rustyclaw: isolation level of sandboxed commands, `workspace-write` (default) or
    /// `strict` (no network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<IsolationLevel>,
    /// rustyclaw: refuse to run a command when a layer its level needs is missing on the host,
    /// instead of running with the layers available (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require: Option<bool>,
    /// rustyclaw: at `workspace-write`, share the host's network instead of a private one, so
    /// commands can reach services on the host's loopback and addresses — the gateway among
    /// them (default false: outbound network only, through slirp4netns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    /// rustyclaw: resource limits of each sandboxed command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<SandboxLimitsSection>,
    /// rustyclaw: resource limits all running sandboxed commands of the agent share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_limits: Option<SandboxAgentLimitsSection>,
}

/// Isolation levels of sandboxed commands (rustyclaw).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IsolationLevel {
    /// Writes only to the workspace and a private `/tmp`; network allowed.
    WorkspaceWrite,
    /// As `workspace-write`, without network.
    Strict,
}

/// `sandbox.limits`: resource limits of one sandboxed command and everything it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxLimitsSection {
    /// CPU seconds per process (default 600).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<u64>,
    /// Memory of the whole command in MiB (default 4096).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Processes and threads of the whole command (default 256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_processes: Option<u64>,
    /// Largest file written, in MiB (default 1024).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size_mb: Option<u64>,
}

/// `sandbox.agentLimits`: resource limits of all running sandboxed commands of one agent
/// together (one cgroup holding each command's), so background commands cannot multiply the
/// per-command limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxAgentLimitsSection {
    /// Processes and threads of all the agent's commands together (default 512).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_processes: Option<u64>,
    /// Memory of all the agent's commands together in MiB (default: half the host's memory,
    /// or of the gateway's cgroup limit when lower).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
}

/// Sandbox modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Commands run unsandboxed.
    Off,
    /// Every session but the main one is sandboxed.
    NonMain,
    /// Every session is sandboxed.
    All,
}

/// Workspace access from a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkspaceAccess {
    /// No access; the sandbox has its own scratch workspace.
    None,
    /// Read-only.
    Ro,
    /// Read-write.
    Rw,
}

/// Sandbox lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SandboxScope {
    /// One sandbox per session.
    Session,
    /// One per agent.
    Agent,
    /// One for everything.
    Shared,
}

/// `agents.defaults.compaction`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompactionSection {
    /// The silent turn before a compaction that lets the agent save memories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_flush: Option<MemoryFlushSection>,
}

/// `agents.defaults.compaction.memoryFlush`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryFlushSection {
    /// Run it (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}
