//! OpenClaw keys that restrict a channel rustyclaw connects, which rustyclaw does not enforce
//! yet: refused with an error rather than accepted with a warning.
//!
//! A warning is enough for a key whose absence only means a missing feature. A key that takes
//! access away — the tools a group may use, who may approve host commands, which files a
//! channel may send — must not be ignored on a channel that is connected: the assistant would
//! run with more than the config allows. So until rustyclaw enforces one, a config holding it
//! does not load, and the error says what to do.

/// One refused key: its path pattern (`*` for any key) and what it restricts.
pub struct RefusedKey {
    /// Dotted path pattern.
    pub pattern: &'static str,
    /// What the key restricts, completing "it restricts …".
    pub restricts: &'static str,
}

const fn refused(pattern: &'static str, restricts: &'static str) -> RefusedKey {
    RefusedKey { pattern, restricts }
}

/// The table; each pattern is also refused under `accounts.*`.
const KEYS: &[RefusedKey] = &[
    refused(
        "channels.telegram.groups.*.tools",
        "the tools the agent may use in a group",
    ),
    refused(
        "channels.telegram.groups.*.toolsBySender",
        "the tools each group member may use",
    ),
    refused(
        "channels.telegram.groups.*.skills",
        "the skills the agent may use in a group",
    ),
    refused(
        "channels.telegram.groups.*.groupPolicy",
        "who may talk to the agent in one group",
    ),
    refused(
        "channels.telegram.groups.*.topics",
        "access and tools per forum topic",
    ),
    refused(
        "channels.telegram.direct",
        "access and tools per direct chat",
    ),
    refused(
        "channels.telegram.execApprovals",
        "who may approve host commands from Telegram",
    ),
    refused(
        "channels.telegram.actions",
        "what the message tool may do on Telegram",
    ),
    refused(
        "channels.telegram.trustedLocalFileRoots",
        "which local files may be sent",
    ),
    refused(
        "channels.telegram.proxy",
        "how Telegram is reached (an egress proxy)",
    ),
    refused(
        "channels.irc.groups.*.tools",
        "the tools the agent may use in a channel",
    ),
    refused(
        "channels.irc.groups.*.toolsBySender",
        "the tools each channel member may use",
    ),
    refused(
        "channels.irc.groups.*.skills",
        "the skills the agent may use in a channel",
    ),
];

/// The refused key `segments` names, if any.
pub fn lookup(segments: &[&str]) -> Option<&'static RefusedKey> {
    KEYS.iter().find(|key| {
        let parts: Vec<&str> = key.pattern.split('.').collect();
        matches(&parts, segments) || matches(&under_accounts(&parts), segments)
    })
}

/// `channels.<id>.rest` as `channels.<id>.accounts.*.rest`.
fn under_accounts<'a>(parts: &[&'a str]) -> Vec<&'a str> {
    let mut out = parts.to_vec();
    if out.len() > 2 {
        out.splice(2..2, ["accounts", "*"]);
    }
    out
}

fn matches(parts: &[&str], segments: &[&str]) -> bool {
    parts.len() == segments.len() && parts.iter().zip(segments).all(|(p, s)| *p == "*" || p == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_refused_on_the_channel_and_its_accounts() {
        assert!(lookup(&["channels", "telegram", "groups", "-100", "tools"]).is_some());
        assert!(
            lookup(&[
                "channels", "telegram", "accounts", "work", "groups", "-100", "tools"
            ])
            .is_some()
        );
        assert!(lookup(&["channels", "irc", "accounts", "x", "groups", "#a", "skills"]).is_some());
        assert!(lookup(&["channels", "telegram", "groups", "-100", "requireMention"]).is_none());
        assert!(lookup(&["channels", "discord", "groups", "1", "tools"]).is_none());
    }
}
