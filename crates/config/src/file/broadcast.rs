//! `broadcast`: agent group threads — several agents answering one chat, each in its own
//! session (OpenClaw's `channels/broadcast-groups.md`).
//!
//! Keys are `"<channel>:<peerId>"` (`"telegram:-100123"`, `"irc:#ops"`) with a list of agent ids
//! or an object with `agents`, `mentionGating`, `maxRounds` and `maxTurns`; `strategy` says
//! whether the participants of a round run together or one after another. Unqualified keys are
//! OpenClaw's legacy WhatsApp form (a group JID or phone number with a list of agents).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The `broadcast` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BroadcastSection {
    /// How the participants of a round run: `parallel` (default, all at once) or `sequential`
    /// (in configured order, each after the previous finished).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<BroadcastStrategy>,
    /// Group threads by `"<channel>:<peerId>"` (or a legacy WhatsApp peer id).
    #[serde(flatten)]
    pub groups: BTreeMap<String, BroadcastGroup>,
}

/// `broadcast.strategy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BroadcastStrategy {
    /// All participants of a round at once; replies arrive in any order.
    #[default]
    Parallel,
    /// Participants in configured order, each after the previous finished.
    Sequential,
}

/// One group thread: its participants, as a list or with options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BroadcastGroup {
    /// The participating agent ids, with the defaults.
    Agents(Vec<String>),
    /// The participants and how they take turns.
    Thread(BroadcastThread),
}

impl BroadcastGroup {
    /// The participating agent ids, as written.
    pub fn agents(&self) -> &[String] {
        match self {
            BroadcastGroup::Agents(agents) => agents,
            BroadcastGroup::Thread(thread) => &thread.agents,
        }
    }
}

/// The object form of a group thread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BroadcastThread {
    /// Participant agent ids (at most 16); each answers in its own session.
    pub agents: Vec<String>,
    /// Select only the participants explicitly @-mentioned, when any are (default: true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mention_gating: Option<bool>,
    /// Rounds per received message, including the first (1–4, default 1); a follow-up round
    /// shows each participant its siblings' replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_rounds: Option<i64>,
    /// Participant turns per received message across all rounds (1–32, default: the number of
    /// agents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<i64>,
}

impl<'de> Deserialize<'de> for BroadcastSection {
    /// `strategy` and the entries, an entry's error naming its key (a flattened map would lose
    /// it from the error's path).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let entries = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let mut section = BroadcastSection::default();
        for (key, value) in entries {
            if key == "strategy" {
                section.strategy = Some(
                    serde_json::from_value(value)
                        .map_err(|e| D::Error::custom(format!("strategy: {e}")))?,
                );
                continue;
            }
            let group = serde_json::from_value(value)
                .map_err(|e| D::Error::custom(format!("{key:?}: {e}")))?;
            section.groups.insert(key, group);
        }
        Ok(section)
    }
}

impl<'de> Deserialize<'de> for BroadcastGroup {
    /// A list of agent ids or the object form, with errors that say which was expected (an
    /// untagged derive would only say that nothing matched).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = Value::deserialize(deserializer)?;
        match value {
            Value::Array(_) => serde_json::from_value(value)
                .map(BroadcastGroup::Agents)
                .map_err(|e| D::Error::custom(format!("a list of agent ids: {e}"))),
            Value::Object(_) => serde_json::from_value(value)
                .map(BroadcastGroup::Thread)
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!(
                "expected a list of agent ids or an object with `agents`, found {}",
                kind_of(&other)
            ))),
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
