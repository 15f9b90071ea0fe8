//! The IRC message grammar (RFC 1459 §2.3.1, RFC 2812 §2.3.1) with IRCv3 tags tolerated.
//!
//! `[@tags] [:prefix] COMMAND [params…] [:trailing]`. Parsing never fails on bytes a server may
//! send in practice: text that is not UTF-8 is decoded lossily (many networks still relay
//! Latin-1), tags are skipped (no feature here reads them), runs of spaces are accepted. Only a
//! line without a command is refused. Serializing is strict, because a parameter holding CR or
//! LF would let a chat message smuggle a second command onto the wire.

use std::fmt;

/// The longest line a client may send, CR LF included (RFC 1459 §2.3).
pub const MAX_LINE_BYTES: usize = 512;

/// The longest line accepted from a server, CR LF included: 512 bytes of message plus the
/// 8191 bytes IRCv3 allows for tags, rounded to what the reader buffers. Longer lines are
/// refused by the reader instead of buffered.
pub const MAX_INBOUND_LINE_BYTES: usize = 8191;

/// Who a message comes from: `nick!user@host`, or a server name (in `nick`, without user and
/// host).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prefix {
    /// The nickname, or the server's name for a server message.
    pub nick: String,
    /// The user (ident) part, when present.
    pub user: Option<String>,
    /// The host part, when present.
    pub host: Option<String>,
}

impl Prefix {
    /// Parses the text after `:` up to the first space.
    pub fn parse(text: &str) -> Self {
        let (rest, host) = match text.split_once('@') {
            Some((rest, host)) => (rest, Some(host.to_owned())),
            None => (text, None),
        };
        let (nick, user) = match rest.split_once('!') {
            Some((nick, user)) => (nick, Some(user.to_owned())),
            None => (rest, None),
        };
        Self {
            nick: nick.to_owned(),
            user,
            host,
        }
    }

    /// Whether this is a user (it has a user or host part) rather than a server.
    pub fn is_user(&self) -> bool {
        self.user.is_some() || self.host.is_some()
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.nick)?;
        if let Some(user) = &self.user {
            write!(f, "!{user}")?;
        }
        if let Some(host) = &self.host {
            write!(f, "@{host}")?;
        }
        Ok(())
    }
}

/// One IRC message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The origin, absent in what clients send.
    pub prefix: Option<Prefix>,
    /// The command in upper case (`PRIVMSG`) or a three-digit numeric reply (`001`).
    pub command: String,
    /// The parameters, the trailing one (after ` :`) last and unmarked.
    pub params: Vec<String>,
}

/// Why a received line is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but tags, a prefix or spaces.
    #[error("the IRC line has no command")]
    NoCommand,
    /// The command is neither letters nor a three-digit numeric.
    #[error("the IRC command {command:?} is neither letters nor a three-digit numeric")]
    BadCommand {
        /// The command as received (lossily decoded).
        command: String,
    },
}

/// Why a message cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerializeError {
    /// The command is empty or not letters/digits.
    #[error("the IRC command {command:?} is not letters or digits")]
    BadCommand {
        /// The command.
        command: String,
    },
    /// A parameter holds CR, LF or NUL, which would end or corrupt the line.
    #[error("IRC parameter {index} contains CR, LF or NUL")]
    ForbiddenCharacter {
        /// Which parameter (0-based).
        index: usize,
    },
    /// A parameter other than the last is empty, holds a space or starts with `:`.
    #[error(
        "IRC parameter {index} is not the last one but is empty, contains a space or starts with ':'"
    )]
    MiddleParam {
        /// Which parameter (0-based).
        index: usize,
    },
    /// The line with CR LF would exceed [`MAX_LINE_BYTES`].
    #[error("the IRC line is {bytes} bytes with CR LF, more than the {MAX_LINE_BYTES} allowed")]
    TooLong {
        /// The line's length in bytes, CR LF included.
        bytes: usize,
    },
}

impl Message {
    /// A message without prefix.
    pub fn new(command: &str, params: &[&str]) -> Self {
        Self {
            prefix: None,
            command: command.to_owned(),
            params: params.iter().map(|param| (*param).to_owned()).collect(),
        }
    }

    /// The parameter at `index`, or `""` when absent (servers omit parameters in practice).
    pub fn param(&self, index: usize) -> &str {
        self.params.get(index).map_or("", String::as_str)
    }

    /// Parses one line (with or without its CR LF). Bytes that are not UTF-8 are decoded
    /// lossily; NUL bytes are dropped.
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        let decoded = String::from_utf8_lossy(line);
        let text = decoded.trim_end_matches(['\r', '\n']);
        let mut rest: &str = text;
        if rest.contains('\0') {
            // Not allowed on the wire; dropping them is kinder than refusing the message.
            return Self::parse(text.replace('\0', "").as_bytes());
        }
        rest = rest.trim_start_matches(' ');
        if rest.starts_with('@') {
            rest = rest.split_once(' ').map_or("", |(_, after)| after);
            rest = rest.trim_start_matches(' ');
        }
        let mut prefix = None;
        if let Some(after_colon) = rest.strip_prefix(':') {
            let (text, after) = after_colon.split_once(' ').unwrap_or((after_colon, ""));
            if !text.is_empty() {
                prefix = Some(Prefix::parse(text));
            }
            rest = after.trim_start_matches(' ');
        }
        let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
        if command.is_empty() {
            return Err(ParseError::NoCommand);
        }
        let is_word = command.bytes().all(|byte| byte.is_ascii_alphabetic());
        let is_numeric = command.len() == 3 && command.bytes().all(|byte| byte.is_ascii_digit());
        if !is_word && !is_numeric {
            return Err(ParseError::BadCommand {
                command: command.to_owned(),
            });
        }
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            if let Some(trailing) = rest.strip_prefix(':') {
                params.push(trailing.to_owned());
                break;
            }
            let (param, after) = rest.split_once(' ').unwrap_or((rest, ""));
            params.push(param.to_owned());
            rest = after;
        }
        Ok(Self {
            prefix,
            command: command.to_ascii_uppercase(),
            params,
        })
    }

    /// The line to write, CR LF included, after checking that every parameter can travel: no
    /// CR, LF or NUL anywhere, only the last parameter empty or with spaces or a leading `:`,
    /// and at most [`MAX_LINE_BYTES`] in all.
    pub fn to_line(&self) -> Result<String, SerializeError> {
        if self.command.is_empty() || !self.command.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SerializeError::BadCommand {
                command: self.command.clone(),
            });
        }
        let mut line = String::new();
        if let Some(prefix) = &self.prefix {
            line.push(':');
            line.push_str(&prefix.to_string());
            line.push(' ');
        }
        line.push_str(&self.command);
        let last = self.params.len().saturating_sub(1);
        for (index, param) in self.params.iter().enumerate() {
            if param.contains(['\r', '\n', '\0']) {
                return Err(SerializeError::ForbiddenCharacter { index });
            }
            let needs_colon = param.is_empty() || param.contains(' ') || param.starts_with(':');
            line.push(' ');
            if needs_colon {
                if index != last {
                    return Err(SerializeError::MiddleParam { index });
                }
                line.push(':');
            }
            line.push_str(param);
        }
        line.push_str("\r\n");
        if line.len() > MAX_LINE_BYTES {
            return Err(SerializeError::TooLong { bytes: line.len() });
        }
        Ok(line)
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
