//! Who may use chat commands (`/new`, `/model`, `/approve`, …) from a channel, as OpenClaw
//! decides it (`tools/slash-commands.md`): `commands.allowFrom` for the channel (or `*`), when
//! set, is the only list that counts; otherwise an admitted direct sender may, and in a group
//! only a sender named by an allowlist (open groups do not hand commands to everyone). Owner-only
//! commands (`/approve`, which runs host commands) also need `commands.ownerAllowFrom`; anyone
//! else gets the exact config command that would make them an owner.

use rustyclaw_agent::COMMANDS;
use rustyclaw_config::{AccountSettings, Config};

use super::hub::AccountKey;
use crate::router::access::AccessRules;
use crate::router::allow::{AllowList, SenderNames};

/// Commands only owners may use.
const OWNER_ONLY: [&str; 1] = ["approve"];

/// What may happen to a message that may be a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CommandAccess {
    /// Not a command: an ordinary message.
    NotACommand,
    /// A command the sender may use.
    Allowed,
    /// A command the sender may not use, with the reply that says so.
    Refused(String),
    /// A command the sender may not use, dropped without a word (upstream's behaviour for
    /// senders outside the command allowlists).
    Ignored,
}

/// The command `text` names (without the slash, lowercased; Telegram's `/cmd@bot` counts), if
/// it is one of the runtime's.
fn command_name(text: &str) -> Option<String> {
    let word = text
        .trim_start()
        .strip_prefix('/')?
        .split_whitespace()
        .next()?;
    let name = word.split('@').next()?.to_lowercase();
    // `/activation` is the channel layer's own (a group's activation mode).
    (name == "activation"
        || COMMANDS
            .iter()
            .any(|c| c.name == name || c.aliases.contains(&name.as_str())))
    .then_some(name)
}

/// The access `sender` has to the command in `text`, if it is one.
#[allow(clippy::too_many_arguments)]
pub(crate) fn command_access(
    config: &Config,
    key: &AccountKey,
    settings: &AccountSettings,
    rules: &AccessRules,
    sender: &SenderNames,
    text: &str,
    is_direct: bool,
) -> CommandAccess {
    if config.commands.text == Some(false) {
        return CommandAccess::NotACommand;
    }
    let Some(name) = command_name(text) else {
        return CommandAccess::NotACommand;
    };
    let channel = key.channel.as_str();
    let explicit = config.commands.allow_from.as_ref().and_then(|by_channel| {
        by_channel
            .get(channel)
            .or_else(|| by_channel.get("*"))
            .map(|entries| AllowList::new(channel, entries.iter().map(|e| e.as_text())))
    });
    let allowed = match explicit {
        Some(list) => list.allows(sender),
        None if is_direct => true,
        None => {
            let group_list = settings
                .groups
                .values()
                .filter_map(|g| g.allow_from.as_ref())
                .flatten()
                .map(|e| e.as_text());
            rules.allow_from.allows(sender)
                || rules.group_allow_from.allows(sender)
                || AllowList::new(channel, group_list).allows(sender)
                || owners(config, channel).allows(sender)
        }
    };
    if !allowed {
        return CommandAccess::Ignored;
    }
    if OWNER_ONLY.contains(&name.as_str()) && !owners(config, channel).allows(sender) {
        let entry = format!("{channel}:{}", sender.id);
        return CommandAccess::Refused(format!(
            "⚠️ Only an owner can use /{name}. To make this sender an owner, run:\n\
             rustyclaw config set commands.ownerAllowFrom '[\"{entry}\"]'"
        ));
    }
    CommandAccess::Allowed
}

/// `commands.ownerAllowFrom` as it applies on `channel` (`*` is ignored, as upstream).
fn owners(config: &Config, channel: &str) -> AllowList {
    let entries = config
        .commands
        .owner_allow_from
        .iter()
        .flatten()
        .map(|e| e.as_text())
        .filter(|e| e.trim() != "*");
    AllowList::new(channel, entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::route::tests::config;

    fn rules(allow: &[&str]) -> AccessRules {
        AccessRules {
            dm_policy: rustyclaw_config::file::DmPolicy::Pairing,
            allow_from: AllowList::new("telegram", allow),
            paired: AllowList::default(),
            group_policy: rustyclaw_config::file::GroupPolicy::Open,
            group_allow_from: AllowList::default(),
            groups: Default::default(),
            mention_patterns: Vec::new(),
        }
    }

    fn sender(id: &str) -> SenderNames {
        SenderNames {
            id: id.into(),
            aliases: Vec::new(),
        }
    }

    fn access(
        config: &Config,
        allow: &[&str],
        id: &str,
        text: &str,
        direct: bool,
    ) -> CommandAccess {
        let key = AccountKey::new("telegram", "default");
        let settings = config.channel_accounts.telegram[0].common.clone();
        command_access(
            config,
            &key,
            &settings,
            &rules(allow),
            &sender(id),
            text,
            direct,
        )
    }

    #[test]
    fn commands_need_an_allowlist_in_groups_and_an_owner_to_approve() {
        let config = config(
            r#"{"channels": {"telegram": {"botToken": "1:a"}},
                "commands": {"ownerAllowFrom": ["telegram:1"]}}"#,
        );
        assert_eq!(
            access(&config, &[], "5", "hello", false),
            CommandAccess::NotACommand
        );
        assert_eq!(
            access(&config, &[], "5", "/unknown thing", false),
            CommandAccess::NotACommand
        );
        assert_eq!(
            access(&config, &[], "5", "/new", true),
            CommandAccess::Allowed
        );
        assert_eq!(
            access(&config, &[], "5", "/new@claw_bot", false),
            CommandAccess::Ignored
        );
        assert_eq!(
            access(&config, &["5"], "5", "/reset", false),
            CommandAccess::Allowed
        );
        assert_eq!(
            access(&config, &[], "1", "/status", false),
            CommandAccess::Allowed
        );
        assert_eq!(
            access(&config, &[], "1", "/approve abc allow-once", true),
            CommandAccess::Allowed
        );
        let CommandAccess::Refused(reply) = access(&config, &[], "5", "/approve abc deny", true)
        else {
            panic!("a non-owner cannot approve");
        };
        assert!(
            reply.contains(r#"commands.ownerAllowFrom '["telegram:5"]'"#),
            "{reply}"
        );
    }

    #[test]
    fn an_explicit_command_allowlist_is_the_only_one_that_counts() {
        let config = config(
            r#"{"channels": {"telegram": {"botToken": "1:a"}},
                "commands": {"allowFrom": {"*": ["telegram:7"]}}}"#,
        );
        assert_eq!(
            access(&config, &[], "5", "/new", true),
            CommandAccess::Ignored
        );
        assert_eq!(
            access(&config, &[], "7", "/new", false),
            CommandAccess::Allowed
        );
        let off = crate::router::route::tests::config(
            r#"{"channels": {"telegram": {"botToken": "1:a"}}, "commands": {"text": false}}"#,
        );
        assert_eq!(
            access(&off, &[], "5", "/new", false),
            CommandAccess::NotACommand
        );
    }
}
