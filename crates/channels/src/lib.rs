//! Chat channels: how a reply leaves rustyclaw for a chat platform.
//!
//! Today the crate holds the outbound text layer ([`text`]): pure functions that cut a model's
//! markdown reply into messages a platform accepts and render them in the platform's markup
//! (Telegram's HTML parse mode, IRC's plain lines). The channel contract and the Telegram and
//! IRC adapters come next and call these functions; keeping them free of I/O means every
//! formatting rule is tested without a network.

pub mod account;
pub mod irc;
pub mod telegram;
pub mod text;
