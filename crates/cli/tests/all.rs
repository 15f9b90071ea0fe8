//! End-to-end tests: the real `rustyclaw` binary in a temporary state directory.
#![cfg(test)]

mod cli;
