//! `session`: how conversations map to sessions and when they reset.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `session` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionSection {
    /// `per-sender` (default) or `global` (one session for everything).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<SessionScope>,
    /// How direct messages map to sessions (default `main`: all DMs share the main session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dm_scope: Option<DmScope>,
    /// How groups and channels map to sessions (default `per-group`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_scope: Option<GroupScope>,
    /// Peers that are the same person: `{ alice: ["telegram:123", "discord:456"] }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_links: Option<BTreeMap<String, Vec<String>>>,
    /// Automatic reset policy (default: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset: Option<ResetSection>,
    /// Reset policy per chat type (`direct`, `group`, `thread`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_by_type: Option<BTreeMap<String, ResetSection>>,
    /// Reset policy per channel id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_by_channel: Option<BTreeMap<String, ResetSection>>,
    /// Messages that start a fresh session (default `/new`, `/reset`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_triggers: Option<Vec<String>>,
    /// Name of the main session key (always `main`; kept for compatibility).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_key: Option<String>,
}

/// Session scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SessionScope {
    /// Sessions per conversation.
    PerSender,
    /// One session for all conversations.
    Global,
}

/// Direct-message session scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DmScope {
    /// All DMs share the agent's main session.
    Main,
    /// One session per peer across channels.
    PerPeer,
    /// One session per channel and peer.
    PerChannelPeer,
    /// One session per account, channel and peer.
    PerAccountChannelPeer,
}

/// Group session scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GroupScope {
    /// Each group, room or channel has its own session.
    PerGroup,
    /// Groups share the agent's main session.
    Main,
}

/// A reset policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetSection {
    /// `daily` (at `atHour`) or `idle` (after `idleMinutes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<ResetMode>,
    /// Local hour for daily resets (default 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hour: Option<u8>,
    /// Inactivity before an idle reset, in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<u32>,
}

/// Reset modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResetMode {
    /// Once a day.
    Daily,
    /// After inactivity.
    Idle,
}
