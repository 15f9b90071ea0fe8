#![cfg(test)]
//! Integration tests of rustyclaw-sandbox with real child processes.

mod exec;
mod isolation;
mod support;
