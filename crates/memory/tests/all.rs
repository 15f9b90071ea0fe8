//! Integration tests of memory through its public API, against the testkit's fake embedding
//! endpoints on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod memory;
