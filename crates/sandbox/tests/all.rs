#![cfg(test)]
//! Integration tests of rustyclaw-sandbox with real child processes.

mod agent_caps;
mod exec;
mod isolation;
mod support;
