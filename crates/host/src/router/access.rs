//! Who may reach the agent through a channel, decided as OpenClaw decides it
//! (`channels/pairing.md`, `channels/groups.md`): the DM policy and its allowlist, the group
//! policy, the group and group-sender allowlists, and mention gating.
//!
//! For a direct message: `disabled` drops it; `open` admits the senders of `allowFrom` — anyone
//! when it has `*` (the approvals of pairing never widen `open`); `allowlist` admits `allowFrom`
//! and the senders pairing approved; `pairing` (the default) does the same and answers anyone
//! else with a pairing request. For a group message: `disabled` drops it; `allowlist` (the
//! default) needs the group in `groups` (by id, or `*`) unless only `groupAllowFrom` is set,
//! and a sender on `groupAllowFrom` when that is set (approvals of DM pairing never count in
//! groups); `open` admits every group. An admitted group message runs the agent when it
//! mentions the bot (natively, by replying to it, or by a configured mention pattern), when the
//! group does not require mentions, or when the session's `/activation` is `always`; otherwise
//! it is kept only as context for the next triggered turn.

use std::collections::BTreeMap;

use rustyclaw_config::file::{DmPolicy, GroupPolicy, GroupSection};
use rustyclaw_protocol::session_entry::{ChatType, GroupActivation};

use super::allow::{AllowList, SenderNames};

/// A channel account's access rules, resolved from its config and the store.
#[derive(Debug, Clone)]
pub struct AccessRules {
    /// `dmPolicy` (default `pairing`).
    pub dm_policy: DmPolicy,
    /// `allowFrom` as configured.
    pub allow_from: AllowList,
    /// The senders DM pairing approved (from the store).
    pub paired: AllowList,
    /// `groupPolicy` (default `allowlist`).
    pub group_policy: GroupPolicy,
    /// `groupAllowFrom`, falling back to an explicit `allowFrom` as upstream does.
    pub group_allow_from: AllowList,
    /// `groups`, by group id or `*`.
    pub groups: BTreeMap<String, GroupSection>,
    /// The mention patterns that apply in this channel (regexes, case-insensitive).
    pub mention_patterns: Vec<regex::Regex>,
}

/// What is known of one arriving message.
#[derive(Debug, Clone)]
pub struct Arrival<'a> {
    /// Direct chat, group, channel or room.
    pub chat_kind: ChatType,
    /// The chat's id (a group's id; a Telegram forum topic as `<group>:topic:<id>`).
    pub chat_id: &'a str,
    /// The group's id without a topic, for `groups` lookups.
    pub group_id: &'a str,
    /// Who sent it.
    pub sender: &'a SenderNames,
    /// The platform says the message mentions the bot.
    pub mentions_bot: bool,
    /// The message replies to one of the bot's.
    pub replies_to_bot: bool,
    /// The text, for mention patterns.
    pub text: &'a str,
    /// The session's `/activation`, when it set one.
    pub activation: Option<&'a GroupActivation>,
}

/// What to do with an arriving message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Run the agent on it.
    Run,
    /// A group message that does not trigger a run: kept as context for the next one.
    Context,
    /// An unknown direct sender under `pairing`: answer with a pairing request.
    Pair,
    /// Not for the agent; why (for the log).
    Drop(&'static str),
}

impl AccessRules {
    /// The admission of `arrival`.
    pub fn admit(&self, arrival: &Arrival<'_>) -> Admission {
        if arrival.chat_kind == ChatType::Direct {
            self.admit_direct(arrival.sender)
        } else {
            self.admit_group(arrival)
        }
    }

    fn admit_direct(&self, sender: &SenderNames) -> Admission {
        match self.dm_policy {
            DmPolicy::Disabled => Admission::Drop("direct messages are disabled (dmPolicy)"),
            DmPolicy::Open => {
                if self.allow_from.allows(sender) {
                    Admission::Run
                } else {
                    Admission::Drop("dmPolicy open admits only allowFrom (add \"*\" for anyone)")
                }
            }
            DmPolicy::Allowlist => {
                if self.allow_from.allows(sender) || self.paired.allows(sender) {
                    Admission::Run
                } else {
                    Admission::Drop("the sender is not on allowFrom (dmPolicy allowlist)")
                }
            }
            DmPolicy::Pairing => {
                if self.allow_from.allows(sender) || self.paired.allows(sender) {
                    Admission::Run
                } else {
                    Admission::Pair
                }
            }
        }
    }

    fn admit_group(&self, arrival: &Arrival<'_>) -> Admission {
        let group = self
            .groups
            .get(arrival.chat_id)
            .or_else(|| self.groups.get(arrival.group_id))
            .or_else(|| self.groups.get("*"));
        if group.is_some_and(|g| g.enabled == Some(false)) {
            return Admission::Drop("the group is disabled (groups.<id>.enabled)");
        }
        match self.group_policy {
            GroupPolicy::Disabled => return Admission::Drop("groups are disabled (groupPolicy)"),
            GroupPolicy::Allowlist => {
                let groups_listed = !self.groups.is_empty();
                if groups_listed && group.is_none() {
                    return Admission::Drop("the group is not in groups (groupPolicy allowlist)");
                }
                if !groups_listed && self.group_allow_from.is_empty() {
                    return Admission::Drop(
                        "no group is allowed: set groups or groupAllowFrom (groupPolicy allowlist)",
                    );
                }
                if !self.group_allow_from.is_empty()
                    && !self.group_allow_from.allows(arrival.sender)
                {
                    return Admission::Drop("the sender is not on groupAllowFrom");
                }
            }
            GroupPolicy::Open => {}
        }
        // A group's own sender list narrows it further.
        if let Some(allow) = group.and_then(|g| g.allow_from.as_ref()) {
            let list = AllowList::new("", allow.iter().map(|e| e.as_text()));
            if !list.is_empty() && !list.allows(arrival.sender) {
                return Admission::Drop("the sender is not on the group's allowFrom");
            }
        }
        if arrival.activation == Some(&GroupActivation::Always) {
            return Admission::Run;
        }
        let require_mention = arrival.activation == Some(&GroupActivation::Mention)
            || group.and_then(|g| g.require_mention).unwrap_or(true);
        if !require_mention || self.mentioned(arrival) {
            Admission::Run
        } else {
            Admission::Context
        }
    }

    /// Whether `arrival` mentions the bot: natively, by replying to it, or by a pattern.
    fn mentioned(&self, arrival: &Arrival<'_>) -> bool {
        arrival.mentions_bot
            || arrival.replies_to_bot
            || self
                .mention_patterns
                .iter()
                .any(|p| p.is_match(arrival.text))
    }
}

/// The patterns that mention `agent` in a group, as upstream resolves them: the agent's
/// `groupChat.mentionPatterns`, else `messages.groupChat.mentionPatterns`, else its identity's
/// name and emoji (matched as whole words).
pub(crate) fn mention_patterns(
    config: &rustyclaw_config::Config,
    agent: &rustyclaw_protocol::AgentId,
) -> Vec<String> {
    let entry = config.agents.list.iter().find(|a| a.id == agent.as_str());
    if let Some(patterns) = entry.and_then(|a| a.mention_patterns.clone()) {
        return patterns;
    }
    if !config.messages.mention_patterns.is_empty() {
        return config.messages.mention_patterns.clone();
    }
    let Some(identity) = entry.map(|a| &a.identity) else {
        return Vec::new();
    };
    let mut derived = Vec::new();
    if let Some(name) = identity
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        derived.push(format!(r"\b{}\b", regex::escape(name)));
    }
    if let Some(emoji) = identity
        .emoji
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        derived.push(regex::escape(emoji));
    }
    derived
}

/// The mention patterns of `patterns` compiled case-insensitively; a pattern that is not a
/// valid regex is returned apart, for the caller to warn about (it never matches).
pub fn compile_mention_patterns(patterns: &[String]) -> (Vec<regex::Regex>, Vec<String>) {
    let mut compiled = Vec::new();
    let mut invalid = Vec::new();
    for pattern in patterns {
        match regex::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
        {
            Ok(regex) => compiled.push(regex),
            Err(_) => invalid.push(pattern.clone()),
        }
    }
    (compiled, invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> AccessRules {
        AccessRules {
            dm_policy: DmPolicy::Pairing,
            allow_from: AllowList::new("telegram", ["111"]),
            paired: AllowList::default(),
            group_policy: GroupPolicy::Allowlist,
            group_allow_from: AllowList::default(),
            groups: BTreeMap::new(),
            mention_patterns: compile_mention_patterns(&["\\bclaw\\b".to_owned()]).0,
        }
    }

    fn sender(id: &str) -> SenderNames {
        SenderNames {
            id: id.to_owned(),
            aliases: Vec::new(),
        }
    }

    fn dm<'a>(from: &'a SenderNames) -> Arrival<'a> {
        Arrival {
            chat_kind: ChatType::Direct,
            chat_id: &from.id,
            group_id: &from.id,
            sender: from,
            mentions_bot: false,
            replies_to_bot: false,
            text: "hi",
            activation: None,
        }
    }

    fn group_message<'a>(from: &'a SenderNames, group: &'a str, text: &'a str) -> Arrival<'a> {
        Arrival {
            chat_kind: ChatType::Group,
            chat_id: group,
            group_id: group,
            sender: from,
            mentions_bot: false,
            replies_to_bot: false,
            text,
            activation: None,
        }
    }

    #[test]
    fn direct_messages_follow_the_dm_policy() {
        let (known, stranger) = (sender("111"), sender("222"));
        let mut r = rules();
        assert_eq!(r.admit(&dm(&known)), Admission::Run);
        assert_eq!(r.admit(&dm(&stranger)), Admission::Pair);
        r.paired = AllowList::new("telegram", ["222"]);
        assert_eq!(
            r.admit(&dm(&stranger)),
            Admission::Run,
            "approved by pairing"
        );
        r.dm_policy = DmPolicy::Allowlist;
        assert_eq!(r.admit(&dm(&stranger)), Admission::Run);
        assert!(matches!(r.admit(&dm(&sender("333"))), Admission::Drop(_)));
        // `open` admits only `allowFrom` unless it has `*`; pairing approvals do not widen it.
        r.dm_policy = DmPolicy::Open;
        assert!(matches!(r.admit(&dm(&stranger)), Admission::Drop(_)));
        r.allow_from = AllowList::new("telegram", ["*"]);
        assert_eq!(r.admit(&dm(&sender("999"))), Admission::Run);
        r.dm_policy = DmPolicy::Disabled;
        assert!(matches!(r.admit(&dm(&known)), Admission::Drop(_)));
    }

    #[test]
    fn groups_need_the_allowlist_then_a_mention() {
        let someone = sender("555");
        let mut r = rules();
        // No group allowed at all by default.
        assert!(matches!(
            r.admit(&group_message(&someone, "-100", "hello claw")),
            Admission::Drop(_)
        ));
        r.groups.insert("-100".into(), GroupSection::default());
        assert_eq!(
            r.admit(&group_message(&someone, "-100", "just chatting")),
            Admission::Context
        );
        assert_eq!(
            r.admit(&group_message(&someone, "-100", "hey Claw, help")),
            Admission::Run,
            "a mention pattern"
        );
        let mut native = group_message(&someone, "-100", "hi @bot");
        native.mentions_bot = true;
        assert_eq!(r.admit(&native), Admission::Run);
        let mut reply = group_message(&someone, "-100", "thanks");
        reply.replies_to_bot = true;
        assert_eq!(r.admit(&reply), Admission::Run);
        // Another group is not listed.
        assert!(matches!(
            r.admit(&group_message(&someone, "-200", "claw?")),
            Admission::Drop(_)
        ));
        // groupAllowFrom narrows the senders; DM pairing approvals do not count.
        r.group_allow_from = AllowList::new("telegram", ["777"]);
        r.paired = AllowList::new("telegram", ["555"]);
        assert!(matches!(
            r.admit(&group_message(&someone, "-100", "claw?")),
            Admission::Drop(_)
        ));
        assert_eq!(
            r.admit(&group_message(&sender("777"), "-100", "claw?")),
            Admission::Run
        );
    }

    #[test]
    fn activation_and_require_mention_decide_what_runs() {
        let someone = sender("555");
        let mut r = rules();
        r.group_policy = GroupPolicy::Open;
        assert_eq!(
            r.admit(&group_message(&someone, "-300", "chatter")),
            Admission::Context
        );
        r.groups.insert(
            "-300".into(),
            GroupSection {
                require_mention: Some(false),
                ..GroupSection::default()
            },
        );
        assert_eq!(
            r.admit(&group_message(&someone, "-300", "chatter")),
            Admission::Run
        );
        let mut mention_only = group_message(&someone, "-300", "chatter");
        mention_only.activation = Some(&GroupActivation::Mention);
        assert_eq!(r.admit(&mention_only), Admission::Context);
        let mut always = group_message(&someone, "-400", "chatter");
        always.activation = Some(&GroupActivation::Always);
        assert_eq!(r.admit(&always), Admission::Run);
        r.group_policy = GroupPolicy::Disabled;
        assert!(matches!(r.admit(&always), Admission::Drop(_)));
    }

    #[test]
    fn a_disabled_group_is_dropped_and_bad_patterns_are_reported() {
        let mut r = rules();
        r.group_policy = GroupPolicy::Open;
        r.groups.insert(
            "-500".into(),
            GroupSection {
                enabled: Some(false),
                ..GroupSection::default()
            },
        );
        assert!(matches!(
            r.admit(&group_message(&sender("1"), "-500", "claw")),
            Admission::Drop(_)
        ));
        let (ok, bad) = compile_mention_patterns(&["(unclosed".into(), "fine".into()]);
        assert_eq!(ok.len(), 1);
        assert_eq!(bad, ["(unclosed"]);
    }

    #[test]
    fn mention_patterns_come_from_the_agent_then_messages_then_its_identity() {
        let agent = rustyclaw_protocol::AgentId::normalize("ops");
        let own = crate::router::route::tests::config(
            r#"{"agents": {"list": [{"id": "ops", "groupChat": {"mentionPatterns": ["opsbot"]},
                "identity": {"name": "Ops"}}]},
                "messages": {"groupChat": {"mentionPatterns": ["everyone"]}}}"#,
        );
        assert_eq!(mention_patterns(&own, &agent), ["opsbot"]);
        let global = crate::router::route::tests::config(
            r#"{"agents": {"list": [{"id": "ops", "identity": {"name": "Ops"}}]},
                "messages": {"groupChat": {"mentionPatterns": ["everyone"]}}}"#,
        );
        assert_eq!(mention_patterns(&global, &agent), ["everyone"]);
        let derived = crate::router::route::tests::config(
            r#"{"agents": {"list": [{"id": "ops", "identity": {"name": "Ops Bot", "emoji": "🦀"}}]}}"#,
        );
        let patterns = mention_patterns(&derived, &agent);
        let (compiled, invalid) = compile_mention_patterns(&patterns);
        assert!(invalid.is_empty(), "{invalid:?}");
        assert!(compiled.iter().any(|p| p.is_match("hey ops bot, status?")));
        assert!(compiled.iter().any(|p| p.is_match("🦀 help")));
        assert!(!compiled.iter().any(|p| p.is_match("opsbotty")));
    }
}
