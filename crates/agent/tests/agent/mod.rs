//! Test modules and the shared harness.

mod approvals;
mod attachments;
mod bad_input;
mod compaction;
mod directives;
mod guards;
mod harness;
mod memory_context;
mod message;
mod origin;
mod queue;
mod sandbox;
mod skills;
mod tool_loop;
mod tool_policy;
mod transcript;
mod waiting;
