//! Integration tests of the gateway: a real server on a loopback port, real WebSocket clients,
//! the agent runtime against the fake LLM server, and a real SQLite store.
#![cfg(test)]

mod gateway;
