//! Integration tests of the benchmark harness.
#![cfg(test)]

mod differential;
mod smoke;
