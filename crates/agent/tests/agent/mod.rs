//! Test modules and the shared harness.

mod bad_input;
mod compaction;
mod directives;
mod harness;
mod queue;
mod tool_loop;
mod transcript;
