//! The raw config file, `openclaw.json`, as serde types.
//!
//! These mirror OpenClaw's key names and nesting exactly; every field is optional because a file
//! may say nothing. Doc comments here become the descriptions in the generated JSON Schema
//! (`rustyclaw config schema`). Defaults are applied later, in [`crate::resolve`]; nothing here
//! guesses. Sections are split one per file.

mod agents;
mod auth;
mod bindings;
mod broadcast;
mod channels;
mod commands;
mod common;
mod cron;
mod gateway;
mod hooks;
mod logging;
mod memory;
mod messages;
mod meta;
mod models;
mod secrets;
mod session;
mod skills;
mod streaming;
mod tools;

pub use agents::*;
pub use auth::*;
pub use bindings::*;
pub use broadcast::*;
pub use channels::*;
pub use commands::*;
pub use common::*;
pub use cron::*;
pub use gateway::*;
pub use hooks::*;
pub use logging::*;
pub use memory::*;
pub use messages::*;
pub use meta::*;
pub use models::*;
pub use secrets::*;
pub use session::*;
pub use skills::*;
pub use streaming::*;
pub use tools::*;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The whole `openclaw.json` document (after `$include` merging and `${VAR}` substitution).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "rustyclaw configuration (openclaw.json)")]
pub struct ConfigFile {
    /// JSON Schema reference for editors; ignored.
    #[serde(rename = "$schema", skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Bookkeeping written by tools (last writer version, applied migrations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<MetaSection>,
    /// Record of the last onboarding run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wizard: Option<WizardSection>,
    /// Extra environment variables for `${VAR}` substitution and child processes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<EnvSection>,
    /// Secret providers backing SecretRef objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsSection>,
    /// The gateway server: port, bind address, authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewaySection>,
    /// Agents: defaults for all agents and the list of agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agents: Option<AgentsSection>,
    /// Model providers and their models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<ModelsSection>,
    /// Model credential profiles and their rotation order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthSection>,
    /// How conversations map to sessions, and when sessions reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionSection>,
    /// Message handling: prefixes, the inbound queue, group chat history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<MessagesSection>,
    /// Which tools the agent may use and how they behave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolsSection>,
    /// Chat channel connections (Telegram, Discord, Slack, IRC, Matrix, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<ChannelsSection>,
    /// Which agent answers which chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bindings: Option<Vec<BindingEntry>>,
    /// Agent group threads: several agents answering one chat, each in its own session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<BroadcastSection>,
    /// Who may use chat commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commands: Option<CommandsSection>,
    /// Skill loading and per-skill settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skills: Option<SkillsSection>,
    /// The memory index and its search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemorySection>,
    /// The scheduler for recurring agent jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cron: Option<CronSection>,
    /// Inbound webhooks that wake the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<HooksSection>,
    /// Log levels and the log file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingSection>,
}
