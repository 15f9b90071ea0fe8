//! Integration tests of the test kit itself: the fake LLM driven by a real HTTP client over
//! loopback, the temporary state dir, and the binary runner (driving small system programs,
//! since this crate builds no binary of its own).

// Always true in a test crate; it tells clippy that the helpers here are test code too, so the
// workspace's `allow-expect-in-tests` covers them as it covers the `#[test]` functions.
#![cfg(test)]

mod bin;
mod conformance;
mod fake_llm;
mod state_dir;
