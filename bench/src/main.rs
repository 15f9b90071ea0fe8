//! `bench`: measures rustyclaw and OpenClaw side by side and writes `docs/benchmarks.md`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;
use rustyclaw_bench::figures::{Bench, FIGURES, Plan, progress};
use rustyclaw_bench::report::{self, Results};
use rustyclaw_bench::target::{Kind, Target};
use rustyclaw_bench::workspace;
use rustyclaw_bench::{chart, process};

/// Measures rustyclaw and the official OpenClaw gateway side by side on loopback.
#[derive(Debug, Parser)]
#[command(name = "bench", version)]
struct Args {
    /// Figures to measure: `all`, or any of size, startup, ready, idle, idlechannels, turns,
    /// throughput, connections, slowclients, burst, tool, irclatency, uiload.
    #[arg(required_unless_present = "render")]
    figures: Vec<String>,
    /// Measure nothing: rewrite `docs/benchmarks.md` and its chart from a results file that
    /// an earlier run left in `target/bench/`.
    #[arg(long, value_name = "RESULTS_JSON", conflicts_with = "figures")]
    render: Option<PathBuf>,
    /// Fewer iterations and shorter settle times (a few minutes in all).
    #[arg(long)]
    quick: bool,
    /// The rustyclaw binary to measure (a release build).
    #[arg(long, default_value_os_t = workspace().join("target/release/rustyclaw"))]
    rustyclaw: PathBuf,
    /// The env file `scripts/conformance-deps.sh` writes (NODE=…, OPENCLAW_CLI=…); `NODE`
    /// and `OPENCLAW_CLI` in the environment win.
    #[arg(long)]
    openclaw_env: Option<PathBuf>,
    /// Measure only this gateway.
    #[arg(long, value_parser = ["rustyclaw", "openclaw"])]
    only: Option<String>,
    /// Write `docs/benchmarks.md` and its chart even when not measuring `all`.
    #[arg(long)]
    write_docs: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.render {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--render {}", path.display()))?;
        let results: Results = serde_json::from_str(&text)
            .with_context(|| format!("--render {}: not a results file", path.display()))?;
        return write_docs(&results);
    }
    let all = args.figures.iter().any(|f| f == "all");
    let selected: Vec<&str> = if all {
        FIGURES.to_vec()
    } else {
        for figure in &args.figures {
            if !FIGURES.contains(&figure.as_str()) {
                bail!(
                    "unknown figure {figure:?}; known: all, {}",
                    FIGURES.join(", ")
                );
            }
        }
        FIGURES
            .iter()
            .copied()
            .filter(|f| args.figures.iter().any(|a| a == f))
            .collect()
    };
    let targets = targets(&args)?;
    let plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let mut bench = Bench::new(targets.clone(), plan).await?;
    let mut results = Results {
        date: now(),
        quick: args.quick,
        machine: machine(),
        versions: versions(&targets).await,
        command: command_line(&args),
        figures: Vec::new(),
        series: Vec::new(),
    };
    for figure in selected {
        progress(&format!("measuring {figure}"));
        let measured = bench.figure(figure).await?;
        results.figures.push(measured);
    }
    results.series = bench.series.clone();

    let out = workspace().join("target/bench");
    std::fs::create_dir_all(&out)?;
    let json = out.join(format!("results-{}.json", results.date.replace(':', "-")));
    std::fs::write(&json, serde_json::to_vec_pretty(&results)?)?;
    progress(&format!("results: {}", json.display()));

    if all || args.write_docs {
        write_docs(&results)?;
    }
    let markdown = report::markdown(&results, None);
    std::io::stdout().write_all(markdown.as_bytes())?;
    Ok(())
}

/// Rewrites the generated part of `docs/benchmarks.md` and the RSS chart beside it.
fn write_docs(results: &Results) -> Result<()> {
    let chart_name = "benchmarks-rss.svg";
    let docs = workspace().join("docs");
    let svg = chart::rss_svg(&results.series);
    if let Some(svg) = &svg {
        std::fs::write(docs.join(chart_name), svg)?;
    }
    let markdown = report::markdown(results, svg.as_ref().map(|_| chart_name));
    let path = docs.join("benchmarks.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, report::splice(&current, &markdown))?;
    progress(&format!("wrote {}", path.display()));
    Ok(())
}

fn targets(args: &Args) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    if args.only.as_deref() != Some("openclaw") {
        if !args.rustyclaw.is_file() {
            bail!(
                "--rustyclaw {}: no such binary (build it with `cargo build --release -p rustyclaw-cli`)",
                args.rustyclaw.display()
            );
        }
        // Absolute: the gateways run in their own temporary homes.
        let binary = std::fs::canonicalize(&args.rustyclaw)?;
        targets.push(Target::rustyclaw(binary));
    }
    if args.only.as_deref() != Some("rustyclaw") {
        let env_file = args.openclaw_env.clone().unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            let dir = std::env::var_os("RUSTYCLAW_CONFORMANCE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(&home).join(".cache/rustyclaw-conformance"));
            dir.join("env")
        });
        let file = std::fs::read_to_string(&env_file).unwrap_or_default();
        let lookup = |key: &str| -> Option<PathBuf> {
            std::env::var_os(key).map(PathBuf::from).or_else(|| {
                file.lines()
                    .find_map(|l| l.strip_prefix(&format!("{key}=")))
                    .map(PathBuf::from)
            })
        };
        let (Some(node), Some(cli)) = (lookup("NODE"), lookup("OPENCLAW_CLI")) else {
            bail!(
                "OpenClaw is not installed: run scripts/conformance-deps.sh (it writes {}), or \
                 pass --only rustyclaw",
                env_file.display()
            );
        };
        targets.push(Target::openclaw(
            std::fs::canonicalize(&node).with_context(|| format!("NODE={}", node.display()))?,
            std::fs::canonicalize(&cli)
                .with_context(|| format!("OPENCLAW_CLI={}", cli.display()))?,
        ));
    }
    Ok(targets)
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "unknown date".to_owned())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1_048_576.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, {mem_gb:.0} GiB RAM, Linux {}",
        kernel.trim()
    )
}

async fn versions(targets: &[Target]) -> Vec<(String, String)> {
    let mut versions = Vec::new();
    let scratch = std::env::temp_dir();
    for target in targets {
        let text = target
            .cli(&scratch, &["--version"])
            .output_text()
            .await
            .unwrap_or_else(|e| format!("unknown ({e})"));
        versions.push((target.kind.name().to_owned(), text));
        if target.kind == Kind::OpenClaw {
            let node = process::Launch::new(&target.program, &scratch)
                .args(["--version"])
                .output_text()
                .await
                .unwrap_or_else(|e| format!("unknown ({e})"));
            versions.push(("Node.js".to_owned(), node));
        }
    }
    versions
}

fn command_line(args: &Args) -> String {
    let mut line = String::from("./bench/run.sh");
    if args.quick {
        line.push_str(" --quick");
    }
    if let Some(only) = &args.only {
        line.push_str(&format!(" --only {only}"));
    }
    for figure in &args.figures {
        line.push(' ');
        line.push_str(figure);
    }
    line
}
