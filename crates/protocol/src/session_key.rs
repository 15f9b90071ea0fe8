//! Agent ids and session keys (OpenClaw `src/routing/session-key.ts`).
//!
//! A session key names a conversation: `agent:<agentId>:<rest>` for everything an agent handles
//! (`agent:main:main`, `agent:main:telegram:direct:123456`, …) plus a few keys outside any agent
//! (`cron:<jobId>`, `hook:<…>`, `acp:<…>`, `global`). Keys are stored and compared as lowercased
//! text exactly as OpenClaw writes them; the structure is parsed on demand by
//! [`SessionKey::kind`]. Parsing is deliberately lenient where upstream is: a well-formed key whose
//! shape we do not recognise (`agent:main:explicit:bench`, written by `openclaw agent
//! --session-id`) is [`SessionKeyKind::Other`], not an error, because keys are created by plugins
//! and older versions we cannot enumerate. Only keys that cannot be addressed reliably are rejected:
//! empty, over-long, containing control characters or empty `:` segments, or `agent:` keys without
//! a valid agent id and a rest.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The agent id used when none is configured or given.
pub const DEFAULT_AGENT_ID: &str = "main";

/// Longest agent id, in characters (all ASCII).
pub const MAX_AGENT_ID_LEN: usize = 64;

/// Longest session key, in characters, after lowercasing.
pub const MAX_SESSION_KEY_LEN: usize = 512;

/// Suffix markers after which a key names a thread (Discord/Slack/Matrix threads, Telegram forum
/// topics) of the conversation before the marker.
const THREAD_MARKERS: [&str; 2] = [":thread:", ":topic:"];

/// Why a string is not a valid [`AgentId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentIdError {
    /// The value does not match `^[a-z0-9][a-z0-9_-]{0,63}$` (case-insensitively).
    #[error(
        "invalid agent id {value:?}: expected 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit"
    )]
    Invalid {
        /// The rejected value.
        value: String,
    },
}

/// An agent id: `^[a-z0-9][a-z0-9_-]{0,63}$`, always lowercase. Defaults to `main`.
///
/// Agent ids name directories and appear inside session keys, which is why the alphabet is small.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(String);

fn is_valid_agent_id(value: &str) -> bool {
    let mut chars = value.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    value.len() <= MAX_AGENT_ID_LEN
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && chars.all(is_agent_id_char)
}

fn is_agent_id_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
}

impl AgentId {
    /// The default agent, `main`.
    pub fn main() -> Self {
        Self(DEFAULT_AGENT_ID.to_owned())
    }

    /// Parses an agent id strictly. ASCII letters are accepted in either case and lowercased, as
    /// upstream matches its rule case-insensitively.
    pub fn parse(value: &str) -> Result<Self, AgentIdError> {
        let lower = value.to_ascii_lowercase();
        if is_valid_agent_id(&lower) {
            Ok(Self(lower))
        } else {
            Err(AgentIdError::Invalid {
                value: value.to_owned(),
            })
        }
    }

    /// Turns any string into an agent id the way upstream's `normalizeAgentId` does: trim; empty
    /// becomes `main`; a valid id is lowercased; otherwise lowercase, collapse each run of invalid
    /// characters into `-`, strip leading and trailing dashes, cut to 64 characters, and fall back to
    /// `main` if nothing is left.
    ///
    /// One deliberate difference: leading underscores are stripped too. Upstream would return
    /// `_ops` for `_ops!`, which its own rule then rejects; an `AgentId` is always valid.
    pub fn normalize(value: &str) -> Self {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Self::main();
        }
        let lower = trimmed.to_lowercase();
        if is_valid_agent_id(&lower) {
            return Self(lower);
        }
        let mut collapsed = String::with_capacity(lower.len());
        let mut in_invalid_run = false;
        for c in lower.chars() {
            if is_agent_id_char(c) {
                collapsed.push(c);
                in_invalid_run = false;
            } else if !in_invalid_run {
                collapsed.push('-');
                in_invalid_run = true;
            }
        }
        let stripped = collapsed
            .trim_start_matches(['-', '_'])
            .trim_end_matches('-');
        // Everything left is ASCII, so a byte cut is a character cut.
        let cut = &stripped[..stripped.len().min(MAX_AGENT_ID_LEN)];
        if cut.is_empty() {
            Self::main()
        } else {
            Self(cut.to_owned())
        }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for AgentId {
    fn default() -> Self {
        Self::main()
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AgentId {
    type Err = AgentIdError;

    fn from_str(value: &str) -> Result<Self, AgentIdError> {
        Self::parse(value)
    }
}

impl Serialize for AgentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AgentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(&value).map_err(serde::de::Error::custom)
    }
}

/// Why a string is not a valid [`SessionKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionKeyError {
    /// The key is empty or only whitespace.
    #[error("session key is empty")]
    Empty,
    /// The key is longer than [`MAX_SESSION_KEY_LEN`] characters.
    #[error("session key is {len} characters long (at most {max})")]
    TooLong {
        /// Length of the lowercased key in characters.
        len: usize,
        /// The limit, [`MAX_SESSION_KEY_LEN`].
        max: usize,
    },
    /// The key contains a control character (newline, NUL, …).
    #[error("session key contains the control character {character:?}")]
    ControlCharacter {
        /// The first offending character.
        character: char,
    },
    /// The key has an empty `:`-separated segment (leading, trailing or doubled `:`).
    #[error("session key {key:?} has an empty segment")]
    EmptySegment {
        /// The rejected key.
        key: String,
    },
    /// An `agent:` key without anything after the agent id.
    #[error("session key {key:?} must have the form agent:<agentId>:<rest>")]
    MissingRest {
        /// The rejected key.
        key: String,
    },
    /// An `agent:` key whose agent id is invalid.
    #[error("session key {key:?} has an invalid agent id")]
    InvalidAgentId {
        /// The rejected key.
        key: String,
        /// Why the agent id is invalid.
        #[source]
        source: AgentIdError,
    },
}

/// A session key: trimmed, lowercased, at most [`MAX_SESSION_KEY_LEN`] characters, validated as
/// described in the [module documentation](self). Serialized as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey(String);

/// What a session key addresses, borrowed from the key's text.
///
/// The kind describes the conversation itself; a thread or forum topic within it (`…:thread:<id>`,
/// `…:topic:<id>`) is orthogonal and reported by [`SessionKey::thread_id`] — a thread of a group is
/// still a group conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKeyKind<'a> {
    /// The agent's main session, `agent:<a>:main`, shared by direct chats with `dmScope: main`.
    Main,
    /// A direct chat: `agent:<a>:direct:<peer>` (`dmScope: per-peer`),
    /// `agent:<a>:<channel>:direct:<peer>` (`per-channel-peer`) or
    /// `agent:<a>:<channel>:<accountId>:direct:<peer>` (`per-account-channel-peer`). The legacy
    /// spelling `dm` is accepted in place of `direct`.
    Direct {
        /// The channel (`telegram`, `discord`, …), when the key is per channel.
        channel: Option<&'a str>,
        /// The channel account, when the key is per account.
        account_id: Option<&'a str>,
        /// The peer id; may itself contain `:` (Matrix user ids).
        peer: &'a str,
    },
    /// A group chat: `agent:<a>:<channel>:group:<id>`.
    Group {
        /// The channel.
        channel: &'a str,
        /// The group id; may contain `:`.
        id: &'a str,
    },
    /// A channel of a server or workspace: `agent:<a>:<channel>:channel:<id>`.
    Channel {
        /// The channel adapter (`discord`, `slack`, `matrix`, …).
        channel: &'a str,
        /// The channel id; may contain `:`.
        id: &'a str,
    },
    /// A room: `agent:<a>:<channel>:room:<id>`.
    Room {
        /// The channel adapter.
        channel: &'a str,
        /// The room id; may contain `:`.
        id: &'a str,
    },
    /// A sub-agent run: `agent:<a>:subagent:<id>` (also accepted without the agent prefix). Nested
    /// sub-agents keep their whole chain in `id` (`<uuid>:subagent:<uuid>`).
    Subagent {
        /// Everything after `subagent:`.
        id: &'a str,
    },
    /// A cron job's session, `cron:<jobId>`, or one run of it, `cron:<jobId>:run:<runId>`; also
    /// under an agent prefix.
    Cron {
        /// The job id.
        job_id: &'a str,
        /// The run id, for per-run keys.
        run_id: Option<&'a str>,
    },
    /// A webhook session, `hook:<id>` (mappings define ids such as `hook:gmail:<id>`).
    Hook {
        /// Everything after `hook:`.
        id: &'a str,
    },
    /// An Agent Client Protocol session, `acp:<id>`.
    Acp {
        /// Everything after `acp:`.
        id: &'a str,
    },
    /// The single session of `session.scope: global`, key `global`.
    Global,
    /// A well-formed key of a shape not listed above (plugin- or CLI-defined, e.g.
    /// `agent:main:explicit:bench`, or the heartbeat key `agent:main:main:heartbeat`).
    Other,
}

/// A key split into its agent prefix, its conversation part and its thread suffix.
struct Parts<'a> {
    agent: Option<&'a str>,
    base: &'a str,
    thread: Option<&'a str>,
    /// Byte length of the key without the thread suffix.
    base_end: usize,
}

impl SessionKey {
    /// Parses and normalizes a session key (trimmed, lowercased).
    pub fn parse(value: &str) -> Result<Self, SessionKeyError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(SessionKeyError::Empty);
        }
        if let Some(character) = trimmed.chars().find(|c| c.is_control()) {
            return Err(SessionKeyError::ControlCharacter { character });
        }
        let key = trimmed.to_lowercase();
        let len = key.chars().count();
        if len > MAX_SESSION_KEY_LEN {
            return Err(SessionKeyError::TooLong {
                len,
                max: MAX_SESSION_KEY_LEN,
            });
        }
        if key.split(':').any(str::is_empty) {
            return Err(SessionKeyError::EmptySegment { key });
        }
        if let Some(after_prefix) = key.strip_prefix("agent:") {
            let Some((agent, _rest)) = after_prefix.split_once(':') else {
                return Err(SessionKeyError::MissingRest { key });
            };
            if let Err(source) = AgentId::parse(agent) {
                return Err(SessionKeyError::InvalidAgentId { key, source });
            }
        }
        Ok(Self(key))
    }

    /// The main session key of an agent, `agent:<agentId>:main`.
    pub fn main(agent: &AgentId) -> Self {
        Self(format!("agent:{agent}:{DEFAULT_AGENT_ID}"))
    }

    /// The key as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The agent of an `agent:<agentId>:…` key; `None` for keys outside any agent (`cron:…`,
    /// `global`, …), which upstream attributes to the default agent.
    pub fn agent_id(&self) -> Option<AgentId> {
        self.parts().agent.map(|agent| AgentId(agent.to_owned()))
    }

    /// What the key addresses (see [`SessionKeyKind`]).
    pub fn kind(&self) -> SessionKeyKind<'_> {
        let parts = self.parts();
        classify(parts.base, parts.agent.is_some())
    }

    /// The thread or forum topic id of a `…:thread:<id>` / `…:topic:<id>` key.
    pub fn thread_id(&self) -> Option<&str> {
        self.parts().thread
    }

    /// The key of the conversation a thread key belongs to (the key without its thread suffix).
    pub fn thread_parent(&self) -> Option<SessionKey> {
        let parts = self.parts();
        parts
            .thread
            .map(|_| Self(self.0[..parts.base_end].to_owned()))
    }

    fn parts(&self) -> Parts<'_> {
        let key = self.0.as_str();
        // `parse` guarantees an `agent:` key has `<agentId>:<non-empty rest>`.
        let (agent, scope, scope_start) = match key
            .strip_prefix("agent:")
            .and_then(|after| after.split_once(':'))
        {
            Some((agent, rest)) => (Some(agent), rest, key.len() - rest.len()),
            None => (None, key, 0),
        };
        let marker_at = THREAD_MARKERS
            .iter()
            .filter_map(|marker| scope.rfind(marker).map(|at| (at, marker.len())))
            .max_by_key(|&(at, _)| at);
        match marker_at {
            Some((at, marker_len)) if at > 0 => Parts {
                agent,
                base: &scope[..at],
                thread: Some(&scope[at + marker_len..]),
                base_end: scope_start + at,
            },
            _ => Parts {
                agent,
                base: scope,
                thread: None,
                base_end: key.len(),
            },
        }
    }
}

fn is_direct_marker(segment: &str) -> bool {
    segment == "direct" || segment == "dm"
}

fn classify(base: &str, agent_scoped: bool) -> SessionKeyKind<'_> {
    if agent_scoped && base == DEFAULT_AGENT_ID {
        return SessionKeyKind::Main;
    }
    if !agent_scoped && base == "global" {
        return SessionKeyKind::Global;
    }
    if let Some(id) = base.strip_prefix("subagent:") {
        return SessionKeyKind::Subagent { id };
    }
    if let Some(rest) = base.strip_prefix("cron:") {
        return match rest.split_once(':') {
            None => SessionKeyKind::Cron {
                job_id: rest,
                run_id: None,
            },
            Some((job_id, after)) => match after.strip_prefix("run:") {
                Some(run_id) => SessionKeyKind::Cron {
                    job_id,
                    run_id: Some(run_id),
                },
                None => SessionKeyKind::Other,
            },
        };
    }
    if let Some(id) = base.strip_prefix("hook:") {
        return SessionKeyKind::Hook { id };
    }
    if let Some(id) = base.strip_prefix("acp:") {
        return SessionKeyKind::Acp { id };
    }
    if agent_scoped {
        return classify_conversation(base);
    }
    SessionKeyKind::Other
}

/// Classifies the conversation grammars that exist under an agent prefix. Ids may contain `:`, so
/// only the leading segments are interpreted and the id is the remainder.
fn classify_conversation(base: &str) -> SessionKeyKind<'_> {
    let mut segments = base.splitn(4, ':');
    let first = segments.next().unwrap_or_default();
    let second = segments.next();
    let third = segments.next();
    let fourth = segments.next();
    let tail_after = |skip: usize| base.splitn(skip + 1, ':').nth(skip);

    if is_direct_marker(first) {
        if let Some(peer) = tail_after(1) {
            return SessionKeyKind::Direct {
                channel: None,
                account_id: None,
                peer,
            };
        }
        return SessionKeyKind::Other;
    }
    match (second, third) {
        (Some(marker), Some(_)) if is_direct_marker(marker) => {
            if let Some(peer) = tail_after(2) {
                return SessionKeyKind::Direct {
                    channel: Some(first),
                    account_id: None,
                    peer,
                };
            }
        }
        (Some(marker @ ("group" | "channel" | "room")), Some(_)) => {
            if let Some(id) = tail_after(2) {
                return match marker {
                    "group" => SessionKeyKind::Group { channel: first, id },
                    "channel" => SessionKeyKind::Channel { channel: first, id },
                    _ => SessionKeyKind::Room { channel: first, id },
                };
            }
        }
        (Some(account_id), Some(marker)) if is_direct_marker(marker) && fourth.is_some() => {
            if let Some(peer) = tail_after(3) {
                return SessionKeyKind::Direct {
                    channel: Some(first),
                    account_id: Some(account_id),
                    peer,
                };
            }
        }
        _ => {}
    }
    SessionKeyKind::Other
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SessionKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for SessionKey {
    type Err = SessionKeyError;

    fn from_str(value: &str) -> Result<Self, SessionKeyError> {
        Self::parse(value)
    }
}

impl Serialize for SessionKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SessionKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
