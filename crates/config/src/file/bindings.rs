//! `bindings`: which agent answers which chat (OpenClaw's route bindings).
//!
//! A binding matches a channel, optionally an account, a peer (a direct chat, group or
//! channel by id, `*` for any of that kind), a Discord guild and roles or a Slack team; the
//! router tries peer matches first, then guild/team, then account, then channel, and takes the
//! first binding of the most specific tier that matches. `session` overrides the DM and group
//! scopes for the chats it matches.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{DmScope, GroupScope};

/// One entry of `bindings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BindingEntry {
    /// `route` (the default) routes chats to an agent; `acp` (persistent ACP conversations) is
    /// not supported by rustyclaw and is ignored with a warning.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The agent that answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// A note for people reading the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What the binding applies to.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub matches: Option<BindingMatch>,
    /// Session scopes for the chats it matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<BindingSession>,
}

/// `bindings[].match`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BindingMatch {
    /// The channel (`telegram`, `irc`, …).
    pub channel: String,
    /// One account of the channel; `*` or absent for any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// One chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<BindingPeer>,
    /// A Discord guild.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<String>,
    /// A Slack team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Discord roles (with `guildId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

/// `bindings[].match.peer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BindingPeer {
    /// `direct` (or the legacy `dm`), `group` or `channel`.
    pub kind: String,
    /// The chat's id on the channel (a Telegram chat id, an IRC channel), or `*`.
    pub id: String,
}

/// `bindings[].session`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BindingSession {
    /// How direct messages matched by the binding map to sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dm_scope: Option<DmScope>,
    /// How groups matched by the binding map to sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_scope: Option<GroupScope>,
}
