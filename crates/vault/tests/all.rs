//! Integration tests: the vault on real files in temporary directories.
#![cfg(test)]

mod vault;
