//! `messages`: message handling and the inbound queue.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `messages` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessagesSection {
    /// Text prepended to inbound messages before the model sees them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_prefix: Option<String>,
    /// Text prepended to every reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_prefix: Option<String>,
    /// What happens to messages that arrive while a run is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSection>,
    /// Group chat context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_chat: Option<GroupChatSection>,
    /// Emoji reaction acknowledging an inbound message (default the agent's identity emoji,
    /// else 👀; `""` turns it off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_reaction: Option<String>,
    /// Which messages get the ack reaction: `group-mentions` (default), `group-all`, `direct`,
    /// `all`, `off` or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_reaction_scope: Option<AckReactionScope>,
    /// Batching of rapid inbound messages from one sender into one turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbound: Option<InboundSection>,
    /// Do not post tool errors to the chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppress_tool_errors: Option<bool>,
}

/// `messages.inbound`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundSection {
    /// Quiet window (ms) that batches rapid text messages of one sender (Telegram 300 by
    /// default, other channels 0; 0 turns batching off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debounce_ms: Option<u64>,
    /// The window per channel id (wins over `debounceMs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_channel: Option<BTreeMap<String, u64>>,
}

/// Which inbound messages get the ack reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AckReactionScope {
    /// Group messages that mention the agent.
    GroupMentions,
    /// Every admitted group message that runs the agent.
    GroupAll,
    /// Direct messages.
    Direct,
    /// Every message that runs the agent.
    All,
    /// None.
    Off,
    /// None (alias of `off`).
    None,
}

/// `messages.queue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueSection {
    /// Queue mode (default `collect`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<QueueMode>,
    /// Wait for more messages this long before starting a run (default 1000 ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debounce_ms: Option<u64>,
    /// Most queued messages per session (default 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// Which messages to drop past the cap: `old`, `new` or `summarize` (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop: Option<QueueDrop>,
    /// Queue mode per channel id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_channel: Option<BTreeMap<String, QueueMode>>,
}

/// Queue modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum QueueMode {
    /// Gather queued messages into one follow-up turn.
    Collect,
    /// Run each queued message as its own follow-up turn.
    Followup,
    /// Inject queued messages into the running turn.
    Steer,
    /// Steer, and keep the messages for a follow-up as well.
    SteerBacklog,
    /// Abort the running turn and start over with the new message.
    Interrupt,
    /// Legacy alias of `steer`.
    Queue,
}

/// Overflow policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QueueDrop {
    /// Drop the oldest.
    Old,
    /// Drop the newest.
    New,
    /// Replace the dropped ones with a summary line.
    Summarize,
}

/// `messages.groupChat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupChatSection {
    /// Recent group messages given as context (default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_limit: Option<u32>,
    /// Regular expressions that count as mentioning the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mention_patterns: Option<Vec<String>>,
}
