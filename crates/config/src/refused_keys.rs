//! OpenClaw keys that restrict what the assistant may do or reach, which rustyclaw does not
//! enforce yet: refused with an error rather than accepted with a warning.
//!
//! A warning is enough for a key whose absence only means a missing feature. A key that takes
//! access away — the tools a group may use, who may approve host commands, which files a
//! channel may send, which hosts a fetch may reach, what is redacted from logs — must not be
//! ignored: the assistant would run with more than the config allows. So until rustyclaw
//! enforces one, a config holding it does not load, and the error says what to do.

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
    refused("tools.fs", "which files the agent's file tools may reach"),
    refused("tools.toolsBySender", "the tools each sender may use"),
    refused(
        "tools.web.fetch.ssrfPolicy",
        "which hosts web_fetch may reach",
    ),
    refused(
        "tools.exec.mode",
        "which commands exec may run without approval",
    ),
    refused(
        "tools.exec.reviewer",
        "which commands a reviewer model lets exec run",
    ),
    refused(
        "tools.exec.strictInlineEval",
        "inline code exec may evaluate",
    ),
    refused(
        "tools.exec.applyPatch.workspaceOnly",
        "where patches may write",
    ),
    refused(
        "agents.entries.*.tools.exec",
        "the commands this agent may run",
    ),
    refused(
        "agents.entries.*.tools.fs",
        "the files this agent may reach",
    ),
    refused(
        "agents.entries.*.tools.elevated",
        "this agent's elevated commands",
    ),
    refused(
        "agents.entries.*.tools.toolsBySender",
        "the tools each sender may use with this agent",
    ),
    refused(
        "agents.entries.*.tools.message",
        "where this agent may send messages",
    ),
    refused(
        "agents.list.*.tools.exec",
        "the commands this agent may run",
    ),
    refused("agents.list.*.tools.fs", "the files this agent may reach"),
    refused(
        "agents.list.*.tools.elevated",
        "this agent's elevated commands",
    ),
    refused(
        "agents.list.*.tools.toolsBySender",
        "the tools each sender may use with this agent",
    ),
    refused(
        "agents.list.*.tools.message",
        "where this agent may send messages",
    ),
    refused(
        "agents.ownership",
        "which agent may act for a surface (fail closed)",
    ),
    refused(
        "cron.webhookSsrfPolicy",
        "which hosts cron webhooks may reach",
    ),
    refused(
        "gateway.auth.identityScopes",
        "what each authenticated identity may do",
    ),
    refused("gateway.roles", "what each gateway role may do"),
    refused(
        "gateway.http.endpoints.responses.files",
        "which files the responses endpoint accepts",
    ),
    refused(
        "gateway.http.endpoints.responses.maxUrlParts",
        "how many URL inputs the responses endpoint accepts",
    ),
    refused("hooks.allowedAgentIds", "which agents webhooks may wake"),
    refused(
        "hooks.allowedSessionKeyPrefixes",
        "which sessions webhooks may target",
    ),
    refused("logging.redactPatterns", "what is redacted from logs"),
    refused("proxy", "how the network is reached (an egress proxy)"),
    refused(
        "secrets.egressProxy",
        "how secret providers are reached (an egress proxy)",
    ),
    refused("security", "OpenClaw's security policy"),
];

/// The refused key `segments` names, if any.
pub fn lookup(segments: &[&str]) -> Option<&'static RefusedKey> {
    KEYS.iter().find(|key| {
        let parts: Vec<&str> = key.pattern.split('.').collect();
        matches(&parts, segments)
            || (parts.first() == Some(&"channels") && matches(&under_accounts(&parts), segments))
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
