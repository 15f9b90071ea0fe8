//! Integration tests of the benchmark harness.

mod smoke;
