//! Throughput: completed turns per second with many sessions in flight at once.

use anyhow::Result;

use super::{Bench, progress};
use crate::client::Client;
use crate::drive::{self, Until};
use crate::fake::Reply;
use crate::report::{Figure, Goal};
use crate::target::{GatewayOptions, Kind};

/// Measures turns per second.
pub async fn throughput(bench: &mut Bench) -> Result<Figure> {
    let plan = bench.plan.clone();
    let mut figure = Figure::new(
        "throughput",
        "Throughput",
        &format!(
            "{} sessions driven at once over one connection with the instant fake model: each \
             session sends its next `chat.send` as soon as its previous turn's `final` event \
             arrives. Turns completed within the window ÷ window, after one warm-up turn per \
             session. The load generator and the fake model share the machine's cores with \
             the gateway.",
            plan.throughput_sessions
        ),
    );
    let url = bench.base_url(Reply::Instant);
    for target in bench.targets.clone() {
        let (runs, window) = match target.kind {
            Kind::RustyClaw => (plan.throughput_runs, plan.throughput_window.0),
            Kind::OpenClaw => (1, plan.throughput_window.1),
        };
        let mut samples = Vec::new();
        for _ in 0..runs {
            let mut gateway = target.start(&url, GatewayOptions::default())?;
            gateway.wait_ready(super::startup::READY_LIMIT).await?;
            let mut client = Client::connect(&gateway.endpoint, None).await?;
            let keys: Vec<String> = (0..plan.throughput_sessions)
                .map(|i| format!("bench-tp-{i}"))
                .collect();
            let message = "Hello, throughput turn.";
            drive::concurrent(
                &mut client,
                &keys,
                message,
                Until::TurnsPerSession(1),
                |_| {},
            )
            .await?;
            let counted =
                drive::concurrent(&mut client, &keys, message, Until::Elapsed(window), |_| {})
                    .await?;
            let rate = counted.len() as f64 / window.as_secs_f64();
            progress(&format!(
                "{} throughput: {rate:.0} turns/s",
                target.kind.name()
            ));
            samples.push(rate);
            client.close().await;
            gateway.stop().await;
        }
        let row = figure.row("turns per second", "turns/s");
        row.set(target.kind, &samples);
        row.goal = Some(Goal::AtLeast(5000.0));
    }
    Ok(figure)
}
