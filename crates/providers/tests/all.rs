//! The crate's single integration test binary: one module per area.

mod echoed_keys;
mod every_format;
mod failover;
mod native;
mod openai;
mod scenarios;
