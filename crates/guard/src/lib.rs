//! Risk guards: score an action before it happens.
//!
//! Two scorers feed one decision. [`assess_command`] reads a shell command line the way a shell
//! would (quotes, escapes, `$IFS`, variables, substitutions, decoded payloads) and scores what it
//! would do: destroy data, escalate privileges, run downloaded code, read secrets and send them
//! away, open a reverse shell, cover its tracks. [`assess_content`] scores text the model is
//! about to read (tool output, files, fetched pages) for prompt injection: instruction
//! overrides, hidden text, requests to exfiltrate. Both return an [`Assessment`] — a 0–100 score
//! and the [`Finding`]s behind it, each naming a stable rule id from [`rules`] — and a
//! [`Verdict`] turns it into allow, review or block under [`Thresholds`] and a [`GuardMode`].
//!
//! The crate is pure logic: no I/O, no async, no clock, so every rule is unit-tested and the
//! thresholds are tuned on a corpus (`tests/corpus`). It is a tripwire, not a sandbox: a
//! determined attacker can phrase things no rule anticipates, so the guards sit in front of the
//! sandbox and the approvals, never instead of them.

mod assessment;
mod command;
mod content;
mod decision;
pub mod rules;
mod shell;
mod text;

pub use assessment::{Assessment, Category, Finding, MAX_EXCERPT_CHARS};
pub use command::assess_command;
pub use content::{ContentOrigin, assess_content, assess_hidden_html};
pub use decision::{Decision, GuardMode, Thresholds, Verdict};
pub use rules::Rule;
