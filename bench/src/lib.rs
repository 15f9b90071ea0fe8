//! Benchmark harness: rustyclaw and the official OpenClaw gateway measured side by side, on
//! loopback, against the same fake model. See `docs/benchmarks.md` for the figures and
//! `bench/run.sh` for the one command that reproduces them.

pub mod channels;
pub mod chart;
pub mod client;
pub mod differential;
pub mod drive;
pub mod fake;
pub mod figures;
pub mod irc;
pub mod process;
pub mod report;
pub mod stats;
pub mod target;

/// The repository's root (the parent of this crate's directory).
pub fn workspace() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_owned()
}
