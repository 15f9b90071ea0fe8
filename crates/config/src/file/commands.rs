//! `commands`: who may use chat commands (`/new`, `/model`, `/approve`, …) from a channel.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AllowEntry;

/// `commands` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommandsSection {
    /// Parse `/…` commands in chat messages (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<bool>,
    /// The owners: senders (`channel:id`) allowed owner-only commands such as approving host
    /// commands with `/approve`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_allow_from: Option<Vec<AllowEntry>>,
    /// Who may use commands at all, by channel (`*` for every channel); when set for a channel
    /// it replaces the channel's own admission for commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<BTreeMap<String, Vec<AllowEntry>>>,
}
