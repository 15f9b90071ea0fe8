//! What the client reports, and how a registered connection turns server lines into it.
//!
//! Only what an assistant needs comes out: messages addressed to us or to our channels, and
//! our own joins, parts and kicks. Other users' joins, modes and the rest are dropped here.

use std::time::Duration;

use super::error::ConnectionError;
use super::message::{Message, Prefix};

/// An event of an [`IrcClient`](super::IrcClient).
#[derive(Debug)]
#[non_exhaustive]
pub enum IrcEvent {
    /// The server welcomed us; `nick` is the nick we got (maybe an alternative).
    Registered {
        /// Our nick on this connection.
        nick: String,
    },
    /// A `PRIVMSG` or `NOTICE` from someone else.
    Message(IncomingMessage),
    /// We joined a channel.
    Joined {
        /// The channel.
        channel: String,
    },
    /// We left a channel.
    Parted {
        /// The channel.
        channel: String,
    },
    /// We were kicked from a channel; the client does not rejoin by itself.
    Kicked {
        /// The channel.
        channel: String,
        /// Who kicked us.
        by: String,
        /// The reason given (may be empty).
        reason: String,
    },
    /// The connection ended or could not be made.
    Disconnected {
        /// Why.
        reason: ConnectionError,
        /// When the client tries again; `None` when it has stopped (shutdown, or a failure
        /// that reconnecting cannot fix, see [`ConnectionError::is_retryable`]).
        retry_in: Option<Duration>,
    },
}

/// A message someone sent to us or to a channel we are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// The sender, `nick!user@host`.
    pub from: Prefix,
    /// Where it was sent.
    pub target: MessageTarget,
    /// The text, without the CTCP wrapping of an action.
    pub text: String,
    /// A CTCP `ACTION` (`/me waves`).
    pub is_action: bool,
    /// A `NOTICE` rather than a `PRIVMSG` (bots must never answer notices).
    pub is_notice: bool,
}

/// Where an incoming message was sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageTarget {
    /// A channel, by name.
    Channel(String),
    /// Us directly (a DM).
    Direct,
}

/// What a registered connection knows about itself.
#[derive(Debug, Clone)]
pub(crate) struct SessionState {
    /// Our current nick.
    pub(crate) nick: String,
    /// Channel prefixes (ISUPPORT `CHANTYPES`, `#&` until the server says otherwise).
    pub(crate) chantypes: String,
}

impl SessionState {
    pub(crate) fn new(nick: String) -> Self {
        Self {
            nick,
            chantypes: "#&".to_owned(),
        }
    }

    /// Updates the state from `message` and returns the event it means, if any.
    pub(crate) fn interpret(&mut self, message: &Message) -> Option<IrcEvent> {
        let prefix = message.prefix.as_ref();
        let from_me = prefix.is_some_and(|prefix| irc_eq(&prefix.nick, &self.nick));
        match message.command.as_str() {
            "005" => {
                self.read_isupport(message);
                None
            }
            "NICK" if from_me => {
                self.nick = message.param(0).to_owned();
                None
            }
            "JOIN" if from_me => Some(IrcEvent::Joined {
                channel: message.param(0).to_owned(),
            }),
            "PART" if from_me => Some(IrcEvent::Parted {
                channel: message.param(0).to_owned(),
            }),
            "KICK" if irc_eq(message.param(1), &self.nick) => Some(IrcEvent::Kicked {
                channel: message.param(0).to_owned(),
                by: prefix.map(|prefix| prefix.nick.clone()).unwrap_or_default(),
                reason: message.param(2).to_owned(),
            }),
            "PRIVMSG" | "NOTICE" if !from_me => self.incoming(message).map(IrcEvent::Message),
            _ => None,
        }
    }

    fn read_isupport(&mut self, message: &Message) {
        // `:server 005 <nick> TOKEN[=value]… :are supported by this server`
        let tokens = message.params.iter().skip(1);
        for token in tokens {
            if let Some(types) = token.strip_prefix("CHANTYPES=") {
                self.chantypes = types.to_owned();
            }
        }
    }

    fn incoming(&self, message: &Message) -> Option<IncomingMessage> {
        // Server notices (no user part) are not someone talking to us.
        let from = message.prefix.clone().filter(Prefix::is_user)?;
        let target = message.param(0);
        let target = if target
            .chars()
            .next()
            .is_some_and(|first| self.chantypes.contains(first))
        {
            MessageTarget::Channel(target.to_owned())
        } else {
            MessageTarget::Direct
        };
        let is_notice = message.command == "NOTICE";
        let raw = message.param(1);
        let (text, is_action) = match raw.strip_prefix('\u{1}') {
            None => (raw.to_owned(), false),
            Some(ctcp) => {
                let ctcp = ctcp.strip_suffix('\u{1}').unwrap_or(ctcp);
                let (command, rest) = ctcp.split_once(' ').unwrap_or((ctcp, ""));
                // CTCP replies arrive as notices, and requests other than ACTION (VERSION,
                // PING, DCC …) are not messages for the assistant.
                if is_notice || !command.eq_ignore_ascii_case("ACTION") {
                    return None;
                }
                (rest.to_owned(), true)
            }
        };
        Some(IncomingMessage {
            from,
            target,
            text,
            is_action,
            is_notice,
        })
    }
}

/// Nick equality under RFC 1459 case mapping (`[]\~` are the upper case of `{}|^`), which
/// ngircd, Solanum and InspIRCd use by default.
pub(crate) fn irc_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.chars().map(irc_fold).eq(b.chars().map(irc_fold))
}

/// `c` in lower case under RFC 1459 case mapping (see [`irc_eq`]).
pub(crate) fn irc_fold(c: char) -> char {
    match c {
        '[' => '{',
        ']' => '}',
        '\\' => '|',
        '~' => '^',
        c => c.to_ascii_lowercase(),
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
