//! RSS under use and turn overhead: a long conversation on one session and a conversation
//! spread over many sessions at once, with the instant model; then a shorter run with the
//! streamed model.

use std::time::Duration;

use anyhow::{Context, Result};

use super::{Bench, mb, ms, progress};
use crate::client::Client;
use crate::drive::{self, Until};
use crate::fake::Reply;
use crate::report::{Figure, Goal, Series};
use crate::stats::percentile;
use crate::target::{Gateway, GatewayOptions, Kind, Target};

/// The message every turn sends.
const MESSAGE: &str = "Hello, benchmark turn.";

/// Turns run before timing starts (not counted in latency or turn counts; RSS before them is
/// the "before the first turn" reading).
const WARM_UP_TURNS: u64 = 3;

/// How many RSS samples the chart gets per run.
const CHART_POINTS: u64 = 50;

/// What one message run measured.
struct RunOutcome {
    /// RSS (MB) before the first turn, at the checkpoint and at the end.
    rss: (f64, f64, f64),
    latencies: Vec<Duration>,
    series: Vec<(u64, f64)>,
}

/// Measures the message runs.
pub async fn turns(bench: &mut Bench) -> Result<Figure> {
    let plan = bench.plan.clone();
    let many_total = plan.sessions * plan.turns_per_session;
    let mut figure = Figure::new(
        "turns",
        "RSS under use and turn overhead",
        &format!(
            "One client sends `chat.send` turns with the instant fake model: {} turns one after \
             another on one session, then (fresh gateway) {} sessions × {} turns, all sessions \
             at once over one connection. RSS is the gateway's process tree. Turn latency is \
             `chat.send` sent → the run's `final` chat event received, over all turns of the \
             one-session run, after {} warm-up turns. The streamed rows use the model that writes {} words {} ms apart; \
             the model time subtracted is a plain HTTP request for the same reply, made by the harness.",
            plan.session_turns,
            plan.sessions,
            plan.turns_per_session,
            WARM_UP_TURNS,
            crate::fake::STREAMED_WORDS,
            crate::fake::STREAMED_GAP.as_millis(),
        ),
    );
    for target in bench.targets.clone() {
        let runs = match target.kind {
            Kind::RustyClaw => plan.message_runs,
            Kind::OpenClaw => 1,
        };
        let mut one = Vec::new();
        let mut many = Vec::new();
        for run in 0..runs {
            let outcome = one_session(bench, &target, plan.session_turns, plan.turn_checkpoint)
                .await
                .with_context(|| format!("{} one-session run", target.kind.name()))?;
            progress(&format!(
                "{} one session run {run}: RSS {:.1?} MB",
                target.kind.name(),
                outcome.rss
            ));
            if run == 0 {
                bench.series.push(Series {
                    kind: target.kind,
                    scenario: "one session".into(),
                    points: outcome.series.clone(),
                });
            }
            one.push(outcome);
            let outcome = many_sessions(bench, &target, plan.sessions, plan.turns_per_session)
                .await
                .with_context(|| format!("{} many-session run", target.kind.name()))?;
            progress(&format!(
                "{} {} sessions run {run}: RSS {:.1?} MB",
                target.kind.name(),
                plan.sessions,
                outcome.rss
            ));
            if run == 0 {
                bench.series.push(Series {
                    kind: target.kind,
                    scenario: format!("{} sessions", plan.sessions),
                    points: outcome.series.clone(),
                });
            }
            many.push(outcome);
        }
        let kind = target.kind;
        let pick = |runs: &[RunOutcome], f: fn(&RunOutcome) -> f64| -> Vec<f64> {
            runs.iter().map(f).collect()
        };
        let rows: [(String, Vec<f64>, Option<Goal>); 7] = [
            (
                "RSS before the first turn".into(),
                pick(&one, |o| o.rss.0),
                None,
            ),
            (
                format!("RSS after {} turns, one session", plan.turn_checkpoint),
                pick(&one, |o| o.rss.1),
                Some(Goal::AtMost(16.0)),
            ),
            (
                format!("RSS after {} turns, one session", plan.session_turns),
                pick(&one, |o| o.rss.2),
                Some(Goal::AtMost(16.0)),
            ),
            (
                format!(
                    "RSS after {} turns, {} sessions",
                    plan.turn_checkpoint.min(many_total),
                    plan.sessions
                ),
                pick(&many, |o| o.rss.1),
                Some(Goal::AtMost(16.0)),
            ),
            (
                format!("RSS after {many_total} turns, {} sessions", plan.sessions),
                pick(&many, |o| o.rss.2),
                Some(Goal::AtMost(16.0)),
            ),
            (
                "turn latency p50, instant model".into(),
                one.iter()
                    .filter_map(|o| percentile(&millis(&o.latencies), 50.0))
                    .collect(),
                Some(Goal::AtMost(1.0)),
            ),
            (
                "turn latency p99, instant model".into(),
                one.iter()
                    .filter_map(|o| percentile(&millis(&o.latencies), 99.0))
                    .collect(),
                Some(Goal::AtMost(5.0)),
            ),
        ];
        for (metric, values, goal) in rows {
            let unit = if metric.starts_with("RSS") {
                "MB"
            } else {
                "ms"
            };
            let row = figure.row(&metric, unit);
            row.set(kind, &values);
            row.goal = goal;
        }
        let streamed = streamed_turns(bench, &target, plan.streamed_turns).await?;
        let model = ms(crate::fake::model_time(&bench.base_url(Reply::Streamed)).await?);
        let p50 = percentile(&streamed, 50.0).unwrap_or(f64::NAN);
        figure
            .row("turn latency p50, streamed model", "ms")
            .set(kind, &[p50]);
        figure
            .row("of which not the model (p50 − model time)", "ms")
            .set(kind, &[p50 - model]);
    }
    figure.notes.push(format!(
        "OpenClaw's message runs are done once (each takes minutes); rustyclaw's {} times.",
        plan.message_runs
    ));
    Ok(figure)
}

fn millis(latencies: &[Duration]) -> Vec<f64> {
    latencies.iter().copied().map(ms).collect()
}

async fn started(
    bench: &Bench,
    target: &Target,
    reply: Reply,
) -> Result<(crate::target::Gateway, Client)> {
    let mut gateway = target.start(&bench.base_url(reply), GatewayOptions::default())?;
    gateway.wait_ready(super::startup::READY_LIMIT).await?;
    let client = Client::connect(&gateway.endpoint, None).await?;
    Ok((gateway, client))
}

/// RSS readings during a message run: one every `every` turns for the chart, and the one at
/// the checkpoint turn for the table.
struct Sampler {
    pid: u32,
    every: u64,
    checkpoint: u64,
    series: Vec<(u64, f64)>,
    at_checkpoint: f64,
}

impl Sampler {
    fn new(gateway: &Gateway, turns: u64, checkpoint: u64) -> Result<Self> {
        let before = mb(gateway.rss()?);
        Ok(Self {
            pid: gateway.running.pid,
            every: (turns / CHART_POINTS).max(1),
            checkpoint,
            series: vec![(0, before)],
            at_checkpoint: before,
        })
    }

    /// After turn number `done` (counted from 1).
    fn after_turn(&mut self, done: u64) {
        if done.is_multiple_of(self.every) || done == self.checkpoint {
            let rss = crate::process::tree_rss(self.pid).map_or(f64::NAN, mb);
            self.series.push((done, rss));
            if done == self.checkpoint {
                self.at_checkpoint = rss;
            }
        }
    }

    /// The final reading; stops the gateway.
    async fn finish(
        self,
        gateway: Gateway,
        client: Client,
        latencies: Vec<Duration>,
    ) -> Result<RunOutcome> {
        let after = mb(gateway.rss()?);
        client.close().await;
        gateway.stop().await;
        Ok(RunOutcome {
            rss: (self.series[0].1, self.at_checkpoint, after),
            latencies,
            series: self.series,
        })
    }
}

async fn one_session(
    bench: &Bench,
    target: &Target,
    turns: u64,
    checkpoint: u64,
) -> Result<RunOutcome> {
    let (gateway, mut client) = started(bench, target, Reply::Instant).await?;
    let mut sampler = Sampler::new(&gateway, turns, checkpoint)?;
    // OpenClaw prepares its workspace and caches on the first turns of a session (seconds
    // each); those turns are not what a turn costs once running, for either gateway.
    for _ in 0..WARM_UP_TURNS {
        drive::turn(&mut client, "bench-one", MESSAGE).await?;
    }
    let mut latencies = Vec::new();
    for done in 1..=turns {
        latencies.push(drive::turn(&mut client, "bench-one", MESSAGE).await?);
        sampler.after_turn(done);
    }
    sampler.finish(gateway, client, latencies).await
}

async fn many_sessions(
    bench: &Bench,
    target: &Target,
    sessions: u64,
    per_session: u64,
) -> Result<RunOutcome> {
    let (gateway, mut client) = started(bench, target, Reply::Instant).await?;
    let total = sessions * per_session;
    let mut sampler = Sampler::new(&gateway, total, bench.plan.turn_checkpoint.min(total))?;
    let keys: Vec<String> = (0..sessions).map(|i| format!("bench-{i}")).collect();
    let latencies = drive::concurrent(
        &mut client,
        &keys,
        MESSAGE,
        Until::TurnsPerSession(per_session),
        |done| sampler.after_turn(done),
    )
    .await?;
    sampler.finish(gateway, client, latencies).await
}

/// Latencies (ms) of `turns` sequential turns with the streamed model.
async fn streamed_turns(bench: &Bench, target: &Target, turns: u64) -> Result<Vec<f64>> {
    let (gateway, mut client) = started(bench, target, Reply::Streamed).await?;
    for _ in 0..WARM_UP_TURNS {
        drive::turn(&mut client, "bench-streamed", MESSAGE).await?;
    }
    let mut latencies = Vec::new();
    for _ in 0..turns {
        latencies.push(ms(
            drive::turn(&mut client, "bench-streamed", MESSAGE).await?
        ));
    }
    client.close().await;
    gateway.stop().await;
    Ok(latencies)
}
