//! Integration tests of the guards through their public API: the labelled corpus of benign and
//! malicious commands and content that the default thresholds are tuned on.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod corpus;
