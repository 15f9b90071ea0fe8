//! Integration tests of the store against real SQLite files in temporary directories:
//! migrations, sessions, transcripts and their invariants, OpenClaw JSONL round trips on captured
//! data, concurrent writers on one file, the chat channels' journals (inbound messages, offsets,
//! deliveries, pairing), and durability across SIGKILL of a writing process.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod answers;
mod audit;
mod concurrency;
mod cooldowns;
mod deliveries;
mod inbound;
mod jsonl;
mod kill9;
mod migrations;
mod pairing;
mod permissions;
mod quarantine;
mod runs;
mod sessions;
mod support;
mod transcripts;
