//! Integration tests of the channels crate, one binary (see testing.md).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod irc;
mod telegram;
