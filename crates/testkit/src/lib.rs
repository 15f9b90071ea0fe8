//! Shared test fixtures for rustyclaw's integration and end-to-end tests.
//!
//! The design rule this crate serves is *fake the network, not the code*: rustyclaw is tested
//! through the same boundaries it has in production, so nothing here mocks a Rust trait.
//!
//! - [`fake_llm`] is a scripted LLM server on loopback that speaks the vendors' real wire formats
//!   (OpenAI chat completions and responses, Anthropic messages, Gemini and Ollama's native chat;
//!   streamed or as one JSON object). A test queues the turns the "model" will answer with —
//!   text, reasoning, tool calls, errors, rate limits, slow or broken streams — and afterwards
//!   asserts on every request the client sent. The server also checks
//!   protocol invariants on each request (every tool result answers a tool call, the system prompt
//!   comes first, …), so a whole class of agent-loop bugs fails loudly in every test that talks to
//!   it, not only in the tests written for them.
//! - [`state_dir`] lays out a throwaway rustyclaw state directory (config file, workspace, and a
//!   fake `HOME`) so no test ever reads or writes the developer's real one.
//! - [`bin`] runs the built `rustyclaw` binary as a child process with a cleared environment,
//!   a timeout and captured output. It is async on purpose: a fake server running on the test's
//!   runtime keeps serving while the test waits for the child.
//! - [`conformance`] runs the official OpenClaw CLI (installed by `scripts/conformance-deps.sh`)
//!   isolated and bounded, and [`protocol_schema`] validates gateway frames against upstream's
//!   protocol JSON Schema: together they check rustyclaw's gateway against the real client.
//! - [`fake_clawhub`] is a ClawHub skills registry on loopback serving real zip archives of
//!   the skills a test publishes, with moderation blocks and rate limits.
//! - [`browser`] runs a browser scenario (`ui/tests/scenarios`) in headless Chromium against a
//!   gateway the test started, and collects what it reports.
//! - [`netns`] makes a second host: a network namespace joined by a veth pair, to reach a
//!   server from a non-loopback address.
//! - [`ngircd`] runs a real IRC server (ngircd) in the foreground on a free loopback port, for
//!   the IRC client's tests, and restarts it on the same port to test reconnection.
//!
//! Library code here returns `Result`s instead of panicking, so a broken fixture reports what
//! went wrong through the test's own error handling.

pub mod bin;
pub mod browser;
pub mod conformance;
pub mod fake_clawhub;
pub mod fake_downloads;
pub mod fake_llm;
pub mod fake_npm;
pub mod fake_telegram;
mod loopback;
pub mod netns;
pub mod ngircd;
pub mod protocol_schema;
pub mod schema_paths;
pub mod state_dir;
pub mod telegram_test_api;
pub mod tui;

pub use bin::{Output, RunError, RunningChild, RustyClaw};
pub use conformance::{ConformanceError, OfficialCli};
pub use fake_llm::{FakeLlm, FakeLlmOptions, ToolCall, Turn, Usage};
pub use ngircd::{Ngircd, NgircdError, NgircdOptions, NgircdTls};
pub use protocol_schema::{ProtocolSchema, SchemaError};
pub use state_dir::TempStateDir;
pub use telegram_test_api::{TelegramTestApi, TelegramTestApiError};
pub use tui::{Tui, TuiError, strip_ansi};
