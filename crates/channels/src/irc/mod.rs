//! IRC: the channel account ([`IrcAccount`]) and the client it runs on.
//!
//! The account puts the client behind the channel contract (`crate::account`): received
//! messages become direct or group messages for the router, replies are cut into lines, one
//! stored delivery each.
//!
//! The client ([`IrcClient`]) runs over tokio, written here rather than taken from the `irc`
//! crate (MPL-2.0, outside the licence allow-list) and kept to what an assistant needs: the
//! message grammar ([`message`]), plain TCP or TLS through the process's one rustls stack,
//! registration with server password, SASL PLAIN or NickServ, nick collision handling,
//! `PING`/`PONG` and a silence watchdog, joining the configured channels, typed events out of
//! a `mpsc` receiver, when it last heard from the server (so a quiet connection can be shown
//! alive), paced sending ([`FloodControl`]), and reconnection with jittered exponential
//! backoff.
//!
//! Sending is line by line: a reply is cut into payloads first by `text::irc_lines` within
//! [`text::irc_payload_budget`](crate::text::irc_payload_budget), and a send completes when
//! its line is on the socket. The client never rejoins a channel it was kicked from: OpenClaw
//! documents no such behaviour, and rejoining against an operator's will gets bots banned.

mod account;
mod account_receive;
mod account_send;
mod backoff;
mod client;
mod config;
mod connection;
mod error;
mod event;
mod line;
pub mod message;
mod queue;
mod register;
mod transport;

pub use account::{IrcAccount, IrcAccountConfig};
pub use client::IrcClient;
pub use config::{Backoff, ChannelJoin, IrcConfig, NickServ, SaslPlain, Timeouts, TlsOptions};
pub use error::{ConnectionError, SendError};
pub use event::{IncomingMessage, IrcEvent, MessageTarget};
pub use message::{Message, ParseError, Prefix, SerializeError};
pub use queue::FloodControl;
pub use transport::TlsSetupError;
