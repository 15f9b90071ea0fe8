//! The chat channels a gateway can be started with for the channel figures: Telegram polling
//! the testkit's fake Bot API, and IRC connected to a real ngircd on loopback. Only rustyclaw
//! takes them (the conformance setup installs no OpenClaw channel plugin for IRC).

use serde_json::{Value, json};

/// What the channel figures say about OpenClaw.
pub const RUSTYCLAW_ONLY: &str = "Only rustyclaw is measured: OpenClaw's IRC plugin is not \
     installed in the conformance setup (`scripts/conformance-deps.sh`), so its column is empty.";

/// The channel the IRC bot joins, and where the benchmark mentions it.
pub const IRC_CHANNEL: &str = "#bench";

/// Where a gateway's chat channels connect; none by default.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    /// A Telegram bot polling a Bot API server.
    pub telegram: Option<TelegramBot>,
    /// An IRC bot on a server.
    pub irc: Option<IrcBot>,
}

/// A Telegram bot account.
#[derive(Debug, Clone)]
pub struct TelegramBot {
    /// The Bot API base URL (`apiRoot`).
    pub api_root: String,
    /// The bot's token.
    pub bot_token: String,
}

/// An IRC bot account on `127.0.0.1`, without TLS.
#[derive(Debug, Clone)]
pub struct IrcBot {
    /// The server's port.
    pub port: u16,
    /// The bot's nick.
    pub nick: String,
}

impl Channels {
    /// Whether any channel is configured.
    pub fn is_empty(&self) -> bool {
        self.telegram.is_none() && self.irc.is_none()
    }

    /// rustyclaw's `channels` config section, `None` without channels. Anyone may write to
    /// the bots (`dmPolicy` open, `allowFrom` `*`: no pairing step), and the IRC bot joins
    /// [`IRC_CHANNEL`], where it answers messages that mention it.
    pub fn config(&self) -> Option<Value> {
        if self.is_empty() {
            return None;
        }
        let mut section = json!({});
        if let Some(bot) = &self.telegram {
            section["telegram"] = json!({
                "botToken": bot.bot_token,
                "apiRoot": bot.api_root,
                "dmPolicy": "open",
                "allowFrom": ["*"]
            });
        }
        if let Some(bot) = &self.irc {
            section["irc"] = json!({
                "host": "127.0.0.1",
                "port": bot.port,
                "tls": false,
                "nick": bot.nick,
                "channels": [IRC_CHANNEL],
                "groups": {IRC_CHANNEL: {"requireMention": true}},
                "dmPolicy": "open",
                "allowFrom": ["*"]
            });
        }
        Some(section)
    }
}
