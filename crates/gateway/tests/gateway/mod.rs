//! Test modules and the shared harness.

mod chat;
mod events;
mod handshake;
mod harness;
