//! Idle RSS: a gateway with the default config, some time after it became ready, summed over
//! every process it started.

use anyhow::Result;

use super::{Bench, mb, progress};
use crate::fake::Reply;
use crate::report::{Figure, Goal};
use crate::target::{GatewayOptions, Kind};

/// Measures idle RSS. The targets idle side by side (idle processes do not disturb each
/// other), so the settle time is paid once per run, not once per target.
pub async fn idle_rss(bench: &mut Bench) -> Result<Figure> {
    let settle = bench.plan.idle_settle;
    let mut figure = Figure::new(
        "idle",
        "Idle RSS",
        &format!(
            "Resident memory (VmRSS summed over the gateway and all its child processes) {} s \
             after the first `hello-ok`; no client stays connected.",
            settle.as_secs_f64()
        ),
    );
    let url = bench.base_url(Reply::Instant);
    let mut samples: Vec<(Kind, f64, f64)> = Vec::new();
    for run in 0..bench.plan.idle_runs {
        let mut gateways = Vec::new();
        for target in &bench.targets {
            let mut gateway = target.start(&url, GatewayOptions::default())?;
            gateway.wait_ready(super::startup::READY_LIMIT).await?;
            gateways.push(gateway);
        }
        tokio::time::sleep(settle).await;
        for gateway in gateways {
            let rss = mb(gateway.rss()?);
            let anon = mb(gateway.anon()?);
            progress(&format!(
                "idle run {run}: {} {rss:.1} MB ({anon:.1} MB anonymous)",
                gateway.kind.name()
            ));
            samples.push((gateway.kind, rss, anon));
            gateway.stop().await;
        }
    }
    for target in &bench.targets {
        let of = |pick: fn(&(Kind, f64, f64)) -> f64| -> Vec<f64> {
            samples
                .iter()
                .filter(|s| s.0 == target.kind)
                .map(pick)
                .collect()
        };
        let row = figure.row("idle RSS", "MB");
        row.set(target.kind, &of(|s| s.1));
        row.goal = Some(Goal::AtMost(8.0));
        figure
            .row("of which anonymous (heap, stacks, data)", "MB")
            .set(target.kind, &of(|s| s.2));
    }
    Ok(figure)
}
