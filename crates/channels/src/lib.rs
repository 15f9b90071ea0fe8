//! Chat channels: how rustyclaw talks to chat platforms.
//!
//! - [`account`]: the channel contract every adapter implements — an account runs, hands what
//!   it receives to a sink that acknowledges only what is stored, sends prepared messages and
//!   says when a failed send may be retried, and reports its state.
//! - [`telegram`]: the Bot API client and the Telegram account (long polling, forum topics,
//!   HTML with a plain fallback, media in and out).
//! - [`irc`]: the IRC client and the IRC account (TLS, SASL or NickServ, masks, flood control).
//! - [`text`]: the outbound text layer, pure functions that cut a model's markdown reply into
//!   messages a platform accepts and render them in the platform's markup; free of I/O, so
//!   every formatting rule is tested without a network.
//!
//! Adapters never touch the store or the agent: the host's router owns the journal, the
//! delivery queue and the runs.

pub mod account;
pub mod irc;
pub mod telegram;
pub mod text;
