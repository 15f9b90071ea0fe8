//! Registration as a state machine without I/O: the lines to send first, then for each line
//! received the lines to answer with and whether registration is done.
//!
//! Order on the wire: `CAP LS 302` (only with SASL, so the server holds registration until
//! `CAP END`), `PASS`, `NICK`, `USER`. With SASL: `CAP REQ :sasl`, `AUTHENTICATE PLAIN`, the
//! base64 credentials in 400-byte pieces, `CAP END` after `903`. A nick in use (`433`, `436`,
//! `437`) is retried as `nick_`, then `nick2`, `nick3`, … up to [`NICK_ATTEMPTS`] nicks.

use base64::Engine as _;
use secrecy::ExposeSecret as _;

use super::config::{IrcConfig, SaslPlain};
use super::error::ConnectionError;
use super::message::Message;

/// How many nicks registration tries before giving up for this connection.
pub(crate) const NICK_ATTEMPTS: usize = 10;

/// The nick for the `attempt`-th try (0-based): `nick`, `nick_`, `nick2`, `nick3`, ….
pub(crate) fn nick_candidate(nick: &str, attempt: usize) -> String {
    match attempt {
        0 => nick.to_owned(),
        1 => format!("{nick}_"),
        n => format!("{nick}{n}"),
    }
}

/// Where registration stands after a line.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Still registering.
    Pending,
    /// The server welcomed us under `nick`.
    Registered {
        /// The nick the server confirmed.
        nick: String,
    },
    /// Registration cannot succeed on this connection.
    Failed(ConnectionError),
}

/// Registration in progress.
#[derive(Debug)]
pub(crate) struct Registration {
    nick: String,
    attempt: usize,
    sasl: Option<SaslPlain>,
    /// Capabilities announced so far by a multi-line `CAP LS`.
    offered: Vec<String>,
}

impl Registration {
    /// Starts registering: the state and the lines to send at once.
    pub(crate) fn start(config: &IrcConfig) -> (Self, Vec<Message>) {
        let mut send = Vec::new();
        if config.sasl.is_some() {
            send.push(Message::new("CAP", &["LS", "302"]));
        }
        if let Some(password) = &config.server_password {
            send.push(Message::new("PASS", &[password.expose_secret()]));
        }
        send.push(Message::new("NICK", &[&config.nick]));
        send.push(Message::new(
            "USER",
            &[&config.username, "0", "*", &config.realname],
        ));
        let state = Self {
            nick: config.nick.clone(),
            attempt: 0,
            sasl: config.sasl.clone(),
            offered: Vec::new(),
        };
        (state, send)
    }

    /// Handles one line from the server; appends what to answer to `send`.
    pub(crate) fn on_message(&mut self, message: &Message, send: &mut Vec<Message>) -> Progress {
        match message.command.as_str() {
            "001" => Progress::Registered {
                nick: Some(message.param(0))
                    .filter(|nick| !nick.is_empty())
                    .map_or_else(|| nick_candidate(&self.nick, self.attempt), str::to_owned),
            },
            "433" | "436" | "437" => {
                self.attempt += 1;
                if self.attempt >= NICK_ATTEMPTS {
                    return Progress::Failed(ConnectionError::NickUnavailable {
                        nick: self.nick.clone(),
                        tried: self.attempt - 1,
                    });
                }
                send.push(Message::new(
                    "NICK",
                    &[&nick_candidate(&self.nick, self.attempt)],
                ));
                Progress::Pending
            }
            "432" => Progress::Failed(ConnectionError::NickRejected {
                nick: nick_candidate(&self.nick, self.attempt),
            }),
            "464" => Progress::Failed(ConnectionError::PasswordIncorrect),
            "465" => Progress::Failed(ConnectionError::Banned {
                message: message.params.last().cloned().unwrap_or_default(),
            }),
            "CAP" => self.on_cap(message, send),
            "AUTHENTICATE" if message.param(0) == "+" => {
                if let Some(sasl) = &self.sasl {
                    authenticate_plain(sasl, send);
                }
                Progress::Pending
            }
            "903" | "907" => {
                send.push(Message::new("CAP", &["END"]));
                Progress::Pending
            }
            "902" | "904" | "905" | "906" => Progress::Failed(ConnectionError::SaslFailed {
                code: message.command.clone(),
            }),
            _ => Progress::Pending,
        }
    }

    fn on_cap(&mut self, message: &Message, send: &mut Vec<Message>) -> Progress {
        // `:server CAP <nick> <subcommand> [*] :<capabilities>`
        match message.param(1).to_ascii_uppercase().as_str() {
            "LS" => {
                let more = message.params.len() > 3 && message.param(2) == "*";
                let list = message.params.last().map_or("", String::as_str);
                self.offered
                    .extend(list.split_whitespace().map(str::to_owned));
                if more || self.sasl.is_none() {
                    return Progress::Pending;
                }
                if self.offered.iter().any(|cap| offers_sasl_plain(cap)) {
                    send.push(Message::new("CAP", &["REQ", "sasl"]));
                    Progress::Pending
                } else {
                    Progress::Failed(ConnectionError::SaslUnavailable)
                }
            }
            "ACK" => {
                let acked = message.params.last().map_or("", String::as_str);
                if acked.split_whitespace().any(|cap| cap == "sasl") {
                    send.push(Message::new("AUTHENTICATE", &["PLAIN"]));
                }
                Progress::Pending
            }
            "NAK" => Progress::Failed(ConnectionError::SaslUnavailable),
            _ => Progress::Pending,
        }
    }
}

/// `sasl` alone, or `sasl=<mechanisms>` listing `PLAIN` (CAP 302 values).
fn offers_sasl_plain(cap: &str) -> bool {
    match cap.split_once('=') {
        None => cap == "sasl",
        Some((name, mechanisms)) => {
            name == "sasl"
                && mechanisms
                    .split(',')
                    .any(|m| m.eq_ignore_ascii_case("PLAIN"))
        }
    }
}

/// `AUTHENTICATE <base64(account NUL account NUL password)>` in 400-byte pieces, with a final
/// `+` when the last piece is exactly 400 bytes (IRCv3 SASL).
fn authenticate_plain(sasl: &SaslPlain, send: &mut Vec<Message>) {
    let plain = format!(
        "{}\0{}\0{}",
        sasl.account,
        sasl.account,
        sasl.password.expose_secret()
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
    let bytes = encoded.as_bytes();
    for piece in bytes.chunks(400) {
        send.push(Message::new(
            "AUTHENTICATE",
            &[&String::from_utf8_lossy(piece)],
        ));
    }
    if bytes.len() % 400 == 0 {
        send.push(Message::new("AUTHENTICATE", &["+"]));
    }
}

#[cfg(test)]
#[path = "register_tests.rs"]
mod tests;
