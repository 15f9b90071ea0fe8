//! Cold start (`--version`, `--help` wall time) and gateway readiness (process start → first
//! successful `hello-ok`).

use std::time::Duration;

use anyhow::Result;

use super::{Bench, ms, progress};
use crate::fake::Reply;
use crate::report::{Figure, Goal};
use crate::target::{GatewayOptions, Kind};

/// How long a gateway may take to become ready before the run fails.
pub const READY_LIMIT: Duration = Duration::from_secs(120);

/// Measures `--version` and `--help`.
pub async fn cold_start(bench: &mut Bench) -> Result<Figure> {
    let mut figure = Figure::new(
        "startup",
        "Cold start",
        "Wall time from spawn to exit of `--version` and `--help` (output discarded), after one \
         warm-up run so the page cache holds the files; each run is one sample.",
    );
    let scratch = tempfile::tempdir()?;
    for target in bench.targets.clone() {
        let runs = match target.kind {
            Kind::RustyClaw => bench.plan.cold_runs.0,
            Kind::OpenClaw => bench.plan.cold_runs.1,
        };
        for arg in ["--version", "--help"] {
            let launch = target.cli(scratch.path(), &[arg]);
            launch.time_run().await?;
            let mut samples = Vec::new();
            for _ in 0..runs {
                samples.push(ms(launch.time_run().await?));
            }
            progress(&format!("{} {arg}: {samples:.2?} ms", target.kind.name()));
            let row = figure.row(&format!("`{arg}`"), "ms");
            row.set(target.kind, &samples);
            row.goal = Some(Goal::AtMost(2.0));
        }
    }
    Ok(figure)
}

/// Measures process start → first `hello-ok`.
pub async fn ready(bench: &mut Bench) -> Result<Figure> {
    let mut figure = Figure::new(
        "ready",
        "Gateway ready",
        "From spawning `gateway run` (fresh state directory, token auth, loopback, the fake \
         model configured) to the first successful WebSocket handshake (`hello-ok`); the \
         harness retries the handshake every millisecond.",
    );
    let url = bench.base_url(Reply::Instant);
    for target in bench.targets.clone() {
        let runs = match target.kind {
            Kind::RustyClaw => bench.plan.ready_runs.0,
            Kind::OpenClaw => bench.plan.ready_runs.1,
        };
        let mut samples = Vec::new();
        for _ in 0..runs {
            let mut gateway = target.start(&url, GatewayOptions::default())?;
            let took = gateway.wait_ready(READY_LIMIT).await;
            gateway.stop().await;
            samples.push(ms(took?));
        }
        progress(&format!("{} ready: {samples:.1?} ms", target.kind.name()));
        let row = figure.row("start → hello-ok", "ms");
        row.set(target.kind, &samples);
        row.goal = Some(Goal::AtMost(20.0));
    }
    Ok(figure)
}
