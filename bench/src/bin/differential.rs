//! `differential`: the official `openclaw` CLI against OpenClaw's gateway and rustyclaw's,
//! the same commands, the outputs compared; prints the table and, with `--write-docs`, puts it
//! in `docs/protocol.md`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use rustyclaw_bench::differential::{self, table};
use rustyclaw_bench::target::Target;
use rustyclaw_bench::workspace;

/// Runs the differential comparison.
#[derive(Debug, Parser)]
#[command(name = "differential")]
struct Args {
    /// The rustyclaw binary (default: the debug build).
    #[arg(long, default_value_os_t = workspace().join("target/debug/rustyclaw"))]
    rustyclaw: PathBuf,
    /// Replace the table in docs/protocol.md.
    #[arg(long)]
    write_docs: bool,
    /// Run only the official TUI's session (its screens go to `DIFFERENTIAL_DUMP`).
    #[arg(long, conflicts_with = "write_docs")]
    tui_only: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let node = std::env::var("NODE")
        .context("NODE is not set: source ~/.cache/rustyclaw-conformance/env")?;
    let cli = std::env::var("OPENCLAW_CLI").context("OPENCLAW_CLI is not set")?;
    let openclaw = Target::openclaw(node, cli);
    let rustyclaw = Target::rustyclaw(&args.rustyclaw);
    let rows = if args.tui_only {
        vec![differential::compare_tui(&openclaw, &rustyclaw).await?]
    } else {
        differential::compare(&openclaw, &rustyclaw).await?
    };
    let table = table::markdown(&rows);
    let _ = writeln!(std::io::stdout(), "{table}");
    if args.write_docs {
        let path = workspace().join("docs/protocol.md");
        let doc = std::fs::read_to_string(&path)?;
        let new = table::replace(&doc, &table)
            .with_context(|| format!("{} has no {} marker", path.display(), table::START))?;
        std::fs::write(&path, new)?;
        let _ = writeln!(std::io::stderr(), "wrote {}", path.display());
    }
    Ok(())
}
