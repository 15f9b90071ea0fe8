//! Which agent answers a chat message, and in which session: OpenClaw's route bindings and
//! session scopes (`channels/channel-routing.md`, `concepts/session.md`).
//!
//! Bindings are tried by tier — an exact peer, a peer wildcard, a guild or team (channels
//! rustyclaw does not connect yet), the account, then the channel (`accountId: "*"`) — and the
//! first binding of the first tier with a match wins; a binding without `accountId` applies to
//! the default account only, as upstream's. Without a match the default agent answers.
//!
//! The session key follows the scopes (a binding's `session` overrides `session.dmScope` and
//! `session.groupScope`): a direct message goes to the agent's main session under `main`, or to
//! `agent:<a>:direct:<peer>`, `agent:<a>:<channel>:direct:<peer>` or
//! `agent:<a>:<channel>:<account>:direct:<peer>`, with `identityLinks` mapping a person's ids on
//! several channels to one canonical peer; a group goes to `agent:<a>:<channel>:group:<id>`
//! (`channel` or `room` by its kind), a Telegram forum topic being the group id with
//! `:topic:<topic>`, and another channel's thread a `:thread:<id>` suffix.

use rustyclaw_config::file::{BindingEntry, DmScope, GroupScope};
use rustyclaw_config::{Config, DEFAULT_ACCOUNT_ID};
use rustyclaw_protocol::session_entry::{ChatType, ThreadId};
use rustyclaw_protocol::{AgentId, SessionKey};

/// What routing needs to know of a message.
#[derive(Debug, Clone)]
pub struct RouteRequest<'a> {
    /// The channel (`telegram`).
    pub channel: &'a str,
    /// The account.
    pub account: &'a str,
    /// Direct, group, channel or room.
    pub chat_kind: ChatType,
    /// The chat's id (a group's id; for a direct message, the chat).
    pub chat_id: &'a str,
    /// The sender's id (the peer of a direct message).
    pub sender_id: Option<&'a str>,
    /// The thread or forum topic.
    pub thread_id: Option<&'a ThreadId>,
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The agent that answers.
    pub agent_id: AgentId,
    /// The session.
    pub session_key: SessionKey,
    /// What decided the agent, for logs (`binding.peer`, `default`).
    pub matched_by: &'static str,
}

/// Routes a message by `config`.
pub fn route(config: &Config, request: &RouteRequest<'_>) -> Route {
    route_as(config, request, None)
}

/// Routes a message to `agent` rather than the agent bindings choose (a participant of a
/// group thread), in the session that agent has for the chat under the same scopes.
pub fn route_as(config: &Config, request: &RouteRequest<'_>, agent: Option<&AgentId>) -> Route {
    let peer_kind = peer_kind(&request.chat_kind);
    let peer_id = peer_id(request);
    let (binding, matched_by) = find_binding(&config.bindings, request, peer_kind, &peer_id);
    let agent_id = match agent {
        Some(agent) => agent.clone(),
        None => AgentId::normalize(
            binding
                .and_then(|binding| binding.agent_id.as_deref())
                .filter(|agent| config.agents.list.iter().any(|a| &a.id == agent))
                .unwrap_or(&config.agents.default_agent_id),
        ),
    };
    let session = binding.and_then(|binding| binding.session.as_ref());
    let dm_scope = session
        .and_then(|s| s.dm_scope)
        .unwrap_or(config.session.dm_scope);
    let group_scope = session
        .and_then(|s| s.group_scope)
        .unwrap_or(config.session.group_scope);
    let key = if request.chat_kind == ChatType::Direct {
        let peer = request.sender_id.unwrap_or(request.chat_id);
        direct_key(config, &agent_id, request, dm_scope, peer)
    } else {
        group_key(&agent_id, request, group_scope, peer_kind)
    };
    let session_key = SessionKey::parse(&key).unwrap_or_else(|_| SessionKey::main(&agent_id));
    Route {
        agent_id,
        session_key,
        matched_by: if binding.is_some() {
            matched_by
        } else {
            "default"
        },
    }
}

fn peer_kind(kind: &ChatType) -> &'static str {
    match kind {
        ChatType::Direct => "direct",
        ChatType::Channel => "channel",
        ChatType::Room => "room",
        _ => "group",
    }
}

/// The peer id bindings and group keys name: the sender of a direct message, the chat of a
/// group (a Telegram forum topic as `<group>:topic:<topic>`).
pub(crate) fn peer_id(request: &RouteRequest<'_>) -> String {
    if request.chat_kind == ChatType::Direct {
        return request
            .sender_id
            .unwrap_or(request.chat_id)
            .trim()
            .to_lowercase();
    }
    let chat = request.chat_id.trim().to_lowercase();
    match (request.channel, request.thread_id) {
        ("telegram", Some(topic)) => format!("{chat}:topic:{}", thread_text(topic)),
        _ => chat,
    }
}

fn thread_text(thread: &ThreadId) -> String {
    match thread {
        ThreadId::Number(n) => n.to_string(),
        ThreadId::Text(text) => text.trim().to_lowercase(),
    }
}

fn account_matches(pattern: Option<&str>, account: &str) -> bool {
    match pattern.map(str::trim) {
        Some("*") => true,
        None | Some("") => account.eq_ignore_ascii_case(DEFAULT_ACCOUNT_ID),
        Some(pattern) => pattern.eq_ignore_ascii_case(account),
    }
}

fn kind_matches(binding_kind: &str, peer_kind: &str) -> bool {
    let binding_kind = binding_kind.trim().to_lowercase();
    let binding_kind = if binding_kind == "dm" {
        "direct"
    } else {
        binding_kind.as_str()
    };
    binding_kind == peer_kind
        // Upstream treats `group` and `channel` peers as matching each other's bindings.
        || (binding_kind == "group" && peer_kind == "channel")
        || (binding_kind == "channel" && peer_kind == "group")
}

/// The binding that applies, by tier, and the tier's name.
fn find_binding<'c>(
    bindings: &'c [BindingEntry],
    request: &RouteRequest<'_>,
    peer_kind: &str,
    peer_id: &str,
) -> (Option<&'c BindingEntry>, &'static str) {
    let candidates: Vec<&BindingEntry> = bindings
        .iter()
        .filter(|b| b.kind.as_deref().is_none_or(|kind| kind == "route"))
        .filter(|b| {
            b.matches.as_ref().is_some_and(|m| {
                m.channel.trim().eq_ignore_ascii_case(request.channel)
                    && account_matches(m.account_id.as_deref(), request.account)
            })
        })
        .collect();
    let rule = |b: &&BindingEntry| b.matches.clone().unwrap_or_default();
    let no_scope = |b: &&BindingEntry| {
        let m = rule(b);
        m.guild_id.is_none() && m.team_id.is_none() && m.roles.is_none()
    };
    let peer_exact = candidates.iter().find(|b| {
        no_scope(b)
            && rule(b).peer.is_some_and(|p| {
                kind_matches(&p.kind, peer_kind) && {
                    let id = p.id.trim().to_lowercase();
                    id == peer_id || (id != "*" && peer_id.starts_with(&format!("{id}:topic:")))
                }
            })
    });
    if let Some(binding) = peer_exact {
        return (Some(binding), "binding.peer");
    }
    let peer_wildcard = candidates.iter().find(|b| {
        no_scope(b)
            && rule(b)
                .peer
                .is_some_and(|p| kind_matches(&p.kind, peer_kind) && p.id.trim() == "*")
    });
    if let Some(binding) = peer_wildcard {
        return (Some(binding), "binding.peer.wildcard");
    }
    // Guild, role and team bindings name Discord and Slack chats, which rustyclaw does not
    // connect yet: they never match here.
    let bare = |b: &&&BindingEntry| no_scope(b) && rule(b).peer.is_none();
    let account = candidates
        .iter()
        .find(|b| bare(b) && rule(b).account_id.as_deref().map(str::trim) != Some("*"));
    if let Some(binding) = account {
        return (Some(binding), "binding.account");
    }
    let channel = candidates.iter().find(|b| bare(b));
    match channel {
        Some(binding) => (Some(binding), "binding.channel"),
        None => (None, "default"),
    }
}

fn direct_key(
    config: &Config,
    agent: &AgentId,
    request: &RouteRequest<'_>,
    scope: DmScope,
    peer: &str,
) -> String {
    if scope == DmScope::Main {
        return SessionKey::main(agent).as_str().to_owned();
    }
    let peer = linked_peer(config, request.channel, peer)
        .unwrap_or_else(|| peer.to_owned())
        .trim()
        .to_lowercase();
    if peer.is_empty() {
        return SessionKey::main(agent).as_str().to_owned();
    }
    let channel = request.channel.to_lowercase();
    match scope {
        DmScope::PerAccountChannelPeer => format!(
            "agent:{agent}:{channel}:{}:direct:{peer}",
            request.account.to_lowercase()
        ),
        DmScope::PerChannelPeer => format!("agent:{agent}:{channel}:direct:{peer}"),
        _ => format!("agent:{agent}:direct:{peer}"),
    }
}

/// The canonical peer `identityLinks` gives `peer` of `channel` (an entry names `peer` or
/// `channel:peer`).
fn linked_peer(config: &Config, channel: &str, peer: &str) -> Option<String> {
    let peer = peer.trim().to_lowercase();
    if peer.is_empty() {
        return None;
    }
    let qualified = format!("{}:{peer}", channel.to_lowercase());
    config
        .session
        .identity_links
        .iter()
        .find(|(_, ids)| {
            ids.iter().any(|id| {
                let id = id.trim().to_lowercase();
                id == peer || id == qualified
            })
        })
        .map(|(canonical, _)| canonical.trim().to_owned())
        .filter(|canonical| !canonical.is_empty())
}

fn group_key(
    agent: &AgentId,
    request: &RouteRequest<'_>,
    scope: GroupScope,
    peer_kind: &str,
) -> String {
    if scope == GroupScope::Main {
        return SessionKey::main(agent).as_str().to_owned();
    }
    let channel = request.channel.to_lowercase();
    let base = format!("agent:{agent}:{channel}:{peer_kind}:{}", peer_id(request));
    match (request.channel, request.thread_id) {
        ("telegram", _) | (_, None) => base,
        (_, Some(thread)) => format!("{base}:thread:{}", thread_text(thread)),
    }
}

#[cfg(test)]
#[path = "route_tests.rs"]
pub(crate) mod tests;
