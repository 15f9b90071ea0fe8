//! The crate's single integration test binary: one module per area.

mod failover;
mod native;
mod openai;
