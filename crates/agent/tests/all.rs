//! Integration tests of the agent runtime against the fake LLM server over loopback, with a
//! real SQLite store, real workspace files and real child processes for `exec`.
#![cfg(test)]

mod agent;
