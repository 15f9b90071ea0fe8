//! The slow-client attack: many authenticated clients that never read while a session streams
//! long replies to everyone, then leave. Resident memory before, at its peak during the attack
//! (what the outbound byte budgets bound), and a while after the clients are gone (whether the
//! memory was given back).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

use super::connections::connect_many;
use super::{Bench, Plan, mb, progress};
use crate::client::Client;
use crate::drive;
use crate::fake::{LARGE_DELTA_BYTES, LARGE_DELTAS, Reply};
use crate::report::{Figure, Goal};
use crate::target::{Gateway, GatewayOptions, Target};

/// What the driving client asks (the fake model answers every message with the large reply).
const STORY: &str = "Tell me a long story.";

/// Turns of the large reply before the first reading.
const WARM_UP_TURNS: usize = 2;

/// Idle time before the first reading, so what the warm-up freed has been given back (jemalloc
/// does it about 10 s after the free).
const SETTLE: Duration = Duration::from_secs(15);

/// How often RSS is read during the attack for its peak.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// How often RSS is reported (on stderr) while it settles after the attack.
const TRACE_EVERY: Duration = Duration::from_secs(5);

/// How far above its RSS before the attack rustyclaw may be once the clients are gone.
const RETURN_FACTOR: f64 = 1.25;

/// Measures RSS before, during and after the attack.
pub async fn slow_clients(bench: &mut Bench) -> Result<Figure> {
    let plan = bench.plan.clone();
    let after = plan.attack_after.as_secs_f64();
    let mut figure = Figure::new(
        "slowclients",
        "RSS under the slow-client attack",
        &format!(
            "A client runs {WARM_UP_TURNS} `chat.send` turns (a session each), each answered by a reply of {} \
             KB that the fake model sends in {} deltas as fast as it can; then {} clients \
             complete the handshake (token auth, operator scopes) and never read a byte while \
             the first client runs {} more such turns (every event of a run goes to every \
             client, with the whole text so far). RSS of the gateway's process tree before \
             the silent clients connect, its peak during the turns (read every {} ms), and \
             {after} s after the clients closed their sockets. Target: back within 25 % of the \
             RSS before.",
            LARGE_DELTAS * LARGE_DELTA_BYTES / 1000,
            LARGE_DELTAS,
            plan.attack_clients,
            plan.attack_turns,
            SAMPLE_EVERY.as_millis(),
        ),
    );
    let url = bench.base_url(Reply::Large);
    for target in bench.targets.clone() {
        let attack = attack(&target, &url, &plan)
            .await
            .with_context(|| format!("{} slow-client attack", target.kind.name()))?;
        progress(&format!(
            "{} slow clients: RSS {:.1} MB before ({:.1} anonymous), {:.1} MB peak, {:.1} MB \
             at the end, {:.1} MB {after} s after ({:.1} anonymous)",
            target.kind.name(),
            attack.before,
            attack.before_anon,
            attack.peak,
            attack.end,
            attack.after,
            attack.after_anon,
        ));
        let kind = target.kind;
        figure
            .row("RSS before the attack", "MB")
            .set(kind, &[attack.before]);
        figure
            .row("of which anonymous (heap, stacks, data)", "MB")
            .set(kind, &[attack.before_anon]);
        figure
            .row("peak RSS during the attack", "MB")
            .set(kind, &[attack.peak]);
        figure
            .row("RSS when the last turn ended", "MB")
            .set(kind, &[attack.end]);
        let row = figure.row(&format!("RSS {after} s after the clients left"), "MB");
        row.set(kind, &[attack.after]);
        if kind == crate::target::Kind::RustyClaw {
            row.goal = Some(Goal::AtMost(attack.before * RETURN_FACTOR));
        }
        figure
            .row(&format!("of which anonymous, {after} s after"), "MB")
            .set(kind, &[attack.after_anon]);
    }
    Ok(figure)
}

/// RSS readings of one attack, in MB.
struct Attack {
    before: f64,
    before_anon: f64,
    peak: f64,
    end: f64,
    after: f64,
    after_anon: f64,
}

async fn attack(target: &Target, url: &str, plan: &Plan) -> Result<Attack> {
    let mut gateway = target.start(url, GatewayOptions::default())?;
    gateway.wait_ready(super::startup::READY_LIMIT).await?;
    let outcome = attack_on(&gateway, plan).await;
    gateway.stop().await;
    outcome
}

async fn attack_on(gateway: &Gateway, plan: &Plan) -> Result<Attack> {
    let mut driver = Client::connect(&gateway.endpoint, None).await?;
    // The gateway in service before the attack: the session exists and has answered.
    // Each turn has a session of its own, so no context grows towards the model's window.
    for i in 0..WARM_UP_TURNS {
        drive::turn(&mut driver, &format!("bench-warm-{i}"), STORY).await?;
    }
    tokio::time::sleep(SETTLE).await;
    let before = mb(gateway.rss()?);
    let before_anon = mb(gateway.anon()?);
    // Each silent client holds its socket without reading it until the set is dropped, which
    // closes them all.
    let silent = connect_many(
        &gateway.endpoint,
        plan.attack_clients,
        |client| async move {
            let _held = client;
            std::future::pending::<()>().await;
        },
    )
    .await?;
    let pid = gateway.running.pid;
    let peak = Arc::new(AtomicU64::new(gateway.rss()?));
    let sampler = {
        let peak = Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                if let Ok(rss) = crate::process::tree_rss(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(SAMPLE_EVERY).await;
            }
        })
    };
    let mut turns = Ok(());
    for i in 0..plan.attack_turns {
        turns = drive::turn(&mut driver, &format!("bench-attack-{i}"), STORY)
            .await
            .map(drop);
        if turns.is_err() {
            break;
        }
    }
    sampler.abort();
    turns?;
    let end = gateway.rss()?;
    peak.fetch_max(end, Ordering::Relaxed);
    drop(silent);
    driver.close().await;
    let left = std::time::Instant::now();
    let mut next_report = TRACE_EVERY;
    while left.elapsed() < plan.attack_after {
        tokio::time::sleep(TRACE_EVERY.min(plan.attack_after)).await;
        if left.elapsed() >= next_report {
            progress(&format!(
                "  {:>3.0} s after: RSS {:.1} MB ({:.1} anonymous)",
                left.elapsed().as_secs_f64(),
                mb(gateway.rss()?),
                mb(gateway.anon()?)
            ));
            next_report += TRACE_EVERY;
        }
    }
    Ok(Attack {
        before,
        before_anon,
        peak: mb(peak.load(Ordering::Relaxed)),
        end: mb(end),
        after: mb(gateway.rss()?),
        after_anon: mb(gateway.anon()?),
    })
}
