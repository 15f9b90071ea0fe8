//! Resolution of `broadcast` (agent group threads): the entries checked against the agents
//! configured, OpenClaw's bounds applied, and the entries rustyclaw cannot serve reported.

use std::collections::BTreeMap;

use super::{AgentsConfig, CONNECTED_CHANNELS, Ctx};
use crate::file::{BroadcastGroup, BroadcastSection, BroadcastStrategy};
use crate::{Issue, JsonPath};

/// Most participants one group thread may have.
pub const MAX_PARTICIPANTS: usize = 16;
/// Bounds of `maxRounds`.
const ROUNDS: std::ops::RangeInclusive<i64> = 1..=4;
/// Bounds of `maxTurns`.
const TURNS: std::ops::RangeInclusive<i64> = 1..=32;

/// `broadcast`, resolved.
#[derive(Debug, Clone, Default)]
pub struct BroadcastConfig {
    /// How the participants of a round run.
    pub strategy: BroadcastStrategy,
    /// Group threads by `"<channel>:<peerId>"`, lower-cased (chat ids compare without case).
    pub threads: BTreeMap<String, GroupThread>,
}

impl BroadcastConfig {
    /// The group thread of `peer` on `channel`, if one is configured.
    pub fn thread(&self, channel: &str, peer: &str) -> Option<&GroupThread> {
        self.threads
            .get(&format!("{channel}:{peer}").to_lowercase())
            .filter(|thread| !thread.agents.is_empty())
    }
}

/// One group thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupThread {
    /// The participants, in configured order, without repeats.
    pub agents: Vec<String>,
    /// How many participants the entry names (replies carry the participant's name when it
    /// names more than one, whoever ends up answering).
    pub configured_count: usize,
    /// Select only the participants explicitly @-mentioned, when any are.
    pub mention_gating: bool,
    /// Rounds per received message, including the first.
    pub max_rounds: u32,
    /// Participant turns per received message, across all rounds.
    pub max_turns: u32,
}

/// Whether `key` names a channel (`telegram:-100123`) rather than a legacy WhatsApp peer.
fn channel_of(key: &str) -> Option<&str> {
    let (channel, peer) = key.split_once(':')?;
    let is_id = channel
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase())
        && channel
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    (is_id && !peer.trim().is_empty()).then_some(channel)
}

pub(crate) fn resolve_broadcast(
    section: Option<&BroadcastSection>,
    agents: &AgentsConfig,
    ctx: &mut Ctx<'_>,
) -> BroadcastConfig {
    let Some(section) = section else {
        return BroadcastConfig::default();
    };
    let root = JsonPath::root().key("broadcast");
    let mut threads = BTreeMap::new();
    for (key, group) in &section.groups {
        let at = root.key(key);
        let written = group.agents();
        let mut agent_ids: Vec<String> = Vec::new();
        for (i, id) in written.iter().enumerate() {
            let id = id.trim().to_lowercase();
            if !agents.list.iter().any(|a| a.id == id) {
                let path = match group {
                    BroadcastGroup::Agents(_) => at.index(i),
                    BroadcastGroup::Thread(_) => at.key("agents").index(i),
                };
                ctx.errors.push(
                    Issue::error(path, format!("no agent {id:?} is configured"))
                        .with_hint("name agents from agents.list (or agents.entries)"),
                );
            } else if !agent_ids.contains(&id) {
                agent_ids.push(id);
            }
        }
        let Some(channel) = channel_of(key) else {
            if matches!(group, BroadcastGroup::Thread(_)) {
                ctx.errors.push(
                    Issue::error(at, "an entry with options needs a channel-qualified key")
                        .with_hint(
                            "write the key as \"<channel>:<peerId>\", e.g. \"telegram:-100123\"",
                        ),
                );
            } else {
                ctx.warnings.push(
                    Issue::warning(
                        at,
                        "a legacy WhatsApp broadcast entry; rustyclaw does not connect WhatsApp yet, so it does nothing",
                    )
                    .with_hint("for other channels write the key as \"<channel>:<peerId>\""),
                );
            }
            continue;
        };
        if written.len() > MAX_PARTICIPANTS {
            ctx.errors.push(Issue::error(
                at.clone(),
                format!(
                    "{} agents; a group thread has at most {MAX_PARTICIPANTS}",
                    written.len()
                ),
            ));
        }
        let (mention_gating, max_rounds, max_turns) = match group {
            BroadcastGroup::Agents(_) => (true, 1, written.len() as i64),
            BroadcastGroup::Thread(thread) => {
                let rounds = bounded(thread.max_rounds, 1, ROUNDS, &at.key("maxRounds"), ctx);
                let turns = bounded(
                    thread.max_turns,
                    written.len() as i64,
                    TURNS,
                    &at.key("maxTurns"),
                    ctx,
                );
                (thread.mention_gating.unwrap_or(true), rounds, turns)
            }
        };
        if written.is_empty() {
            ctx.warnings.push(Issue::warning(
                at.clone(),
                "no agents are listed; this entry does nothing",
            ));
        }
        if !CONNECTED_CHANNELS.contains(&channel) {
            ctx.warnings.push(Issue::warning(
                at.clone(),
                format!(
                    "rustyclaw does not connect the {channel} channel yet; this entry does nothing"
                ),
            ));
        }
        threads.insert(
            key.to_lowercase(),
            GroupThread {
                agents: agent_ids,
                configured_count: written.len().min(MAX_PARTICIPANTS),
                mention_gating,
                max_rounds: clamp_u32(max_rounds, &ROUNDS),
                max_turns: clamp_u32(max_turns, &TURNS),
            },
        );
    }
    BroadcastConfig {
        strategy: section.strategy.unwrap_or_default(),
        threads,
    }
}

/// `value` (or `default`) when within `range`; an error otherwise.
fn bounded(
    value: Option<i64>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    at: &JsonPath,
    ctx: &mut Ctx<'_>,
) -> i64 {
    match value {
        Some(v) if range.contains(&v) => v,
        Some(v) => {
            ctx.errors.push(Issue::error(
                at.clone(),
                format!(
                    "{v} is out of range; use a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            ));
            default
        }
        None => default,
    }
}

fn clamp_u32(value: i64, range: &std::ops::RangeInclusive<i64>) -> u32 {
    u32::try_from(value.clamp(*range.start(), *range.end())).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_a_channel_only_with_a_channel_id_before_the_colon() {
        assert_eq!(channel_of("telegram:-100123"), Some("telegram"));
        assert_eq!(channel_of("irc:#ops"), Some("irc"));
        assert_eq!(channel_of("120363403215116621@g.us"), None);
        assert_eq!(channel_of("+15551234567"), None);
        assert_eq!(channel_of("Telegram:1"), None);
        assert_eq!(channel_of("telegram:"), None);
    }
}

#[cfg(test)]
#[path = "broadcast_tests.rs"]
mod loading_tests;
