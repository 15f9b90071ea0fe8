//! What one IRC connection needs to know: server, identity, credentials, channels, pacing.
//!
//! This is the resolved form an adapter builds from `channels.irc` (defaults applied, password
//! files read); passwords are [`SecretString`]s, so `Debug` output and logs never show them.

use std::time::Duration;

use rustls::pki_types::CertificateDer;
use secrecy::SecretString;

use super::queue::FloodControl;

/// One IRC connection's settings.
#[derive(Debug, Clone)]
pub struct IrcConfig {
    /// The server's host name or address.
    pub host: String,
    /// The server's port (OpenClaw: 6697 with TLS, 6667 plain).
    pub port: u16,
    /// TLS settings; `None` connects in plain text.
    pub tls: Option<TlsOptions>,
    /// The nick asked for; on a collision the client tries `nick_`, then `nick2`, `nick3`, ….
    pub nick: String,
    /// The user name (ident) sent in `USER`.
    pub username: String,
    /// The real name (GECOS) sent in `USER`.
    pub realname: String,
    /// The server password, sent as `PASS` before registering.
    pub server_password: Option<SecretString>,
    /// SASL PLAIN credentials; when set, registration negotiates SASL and fails without it.
    pub sasl: Option<SaslPlain>,
    /// NickServ identification after the welcome, used only without SASL.
    pub nickserv: Option<NickServ>,
    /// Channels joined after each registration (end of the MOTD).
    pub channels: Vec<ChannelJoin>,
    /// Pacing of `PRIVMSG`/`NOTICE` lines.
    pub flood: FloodControl,
    /// Connection, registration and liveness time limits.
    pub timeouts: Timeouts,
    /// Delays between reconnection attempts.
    pub backoff: Backoff,
}

impl IrcConfig {
    /// Settings for `nick` on `host:port` with OpenClaw's defaults: user name the nick, real
    /// name `OpenClaw`, no credentials, no channels, default pacing, timeouts and backoff.
    pub fn new(host: &str, port: u16, tls: Option<TlsOptions>, nick: &str) -> Self {
        Self {
            host: host.to_owned(),
            port,
            tls,
            nick: nick.to_owned(),
            username: nick.to_owned(),
            realname: "OpenClaw".to_owned(),
            server_password: None,
            sasl: None,
            nickserv: None,
            channels: Vec::new(),
            flood: FloodControl::default(),
            timeouts: Timeouts::default(),
            backoff: Backoff::default(),
        }
    }
}

/// TLS settings.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// The name the certificate must carry; the host when `None`.
    pub server_name: Option<String>,
    /// Certificate authorities trusted besides the platform's roots (a private network's CA).
    pub extra_roots: Vec<CertificateDer<'static>>,
}

/// SASL PLAIN credentials.
#[derive(Debug, Clone)]
pub struct SaslPlain {
    /// The account name.
    pub account: String,
    /// The account password.
    pub password: SecretString,
}

/// NickServ identification.
#[derive(Debug, Clone)]
pub struct NickServ {
    /// The service's nick (`NickServ`).
    pub service: String,
    /// The nick's password.
    pub password: SecretString,
    /// When set, `REGISTER <password> <email>` is sent before `IDENTIFY` (OpenClaw's
    /// `nickserv.register`); the service refuses it harmlessly once the nick is registered.
    pub register_email: Option<String>,
}

/// A channel to join.
#[derive(Debug, Clone)]
pub struct ChannelJoin {
    /// The channel name with its prefix (`#rustyclaw`).
    pub name: String,
    /// The channel key, if it has one.
    pub key: Option<SecretString>,
}

/// Time limits of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect plus TLS handshake.
    pub connect: Duration,
    /// From connected to the welcome (`001`).
    pub registration: Duration,
    /// Silence from the server after which the client sends a `PING`.
    pub idle: Duration,
    /// How long the server may take to answer that `PING` (any line counts) before the
    /// connection is declared dead.
    pub pong: Duration,
    /// The longest a single write may block.
    pub write: Duration,
}

impl Default for Timeouts {
    /// 20 s to connect, 60 s to register, a `PING` after 120 s of silence answered within 30 s,
    /// writes within 30 s.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(20),
            registration: Duration::from_secs(60),
            idle: Duration::from_secs(120),
            pong: Duration::from_secs(30),
            write: Duration::from_secs(30),
        }
    }
}

/// Delays between reconnection attempts: exponential from `initial` to `max`, each scaled by a
/// random factor in [0.5, 1] so many clients cut off together do not come back together, and
/// back to `initial` once a connection has stayed up for `stable_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
    /// How long a registered connection must last for the next failure to start over.
    pub stable_after: Duration,
}

impl Default for Backoff {
    /// 2 s doubling to 5 min, reset after 60 s of stable connection.
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(300),
            stable_after: Duration::from_secs(60),
        }
    }
}
