//! A burst of large messages: several authenticated clients each send one `chat.send` whose
//! message is close to the 25 MiB frame limit (upstream accepts them, so refusing them is not
//! an option), all at once. Resident memory before, at its peak while the turns run, and a
//! while after they ended.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde_json::json;
use tokio::task::JoinSet;

use super::{Bench, Plan, mb, progress};
use crate::client::{Client, chat_end_run};
use crate::drive::TURN_LIMIT;
use crate::fake::Reply;
use crate::report::Figure;
use crate::target::{Gateway, GatewayOptions, Target};

/// Idle time before the first reading, so start-up allocations have settled.
const SETTLE: Duration = Duration::from_secs(2);

/// How often RSS is read during the burst for its peak.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// Measures RSS before, during and after the burst.
pub async fn burst(bench: &mut Bench) -> Result<Figure> {
    let plan = bench.plan.clone();
    let after = plan.burst_after.as_secs_f64();
    let mut figure = Figure::new(
        "burst",
        "RSS under a burst of large messages",
        &format!(
            "{} clients connect, then each sends one `chat.send` of {} MiB (one session each) \
             at the same moment and waits for the event that ends its run, whichever way \
             (a message far over the model's context window may end in an error), or for the \
             error that refuses it; the instant fake model answers. RSS of the gateway's \
             process tree before, \
             its peak while the turns run (read every {} ms), {after} s after the last turn \
             ended with the senders still connected, and {after} s after they closed their \
             sockets.",
            plan.burst_clients,
            plan.burst_bytes >> 20,
            SAMPLE_EVERY.as_millis(),
        ),
    );
    let url = bench.base_url(Reply::Instant);
    for target in bench.targets.clone() {
        let burst = measure(&target, &url, &plan)
            .await
            .with_context(|| format!("{} burst of large messages", target.kind.name()))?;
        progress(&format!(
            "{} burst: RSS {:.1} MB before, {:.1} MB peak, {:.1} MB {after} s after, {:.1} MB \
             once the senders left ({:.1} s to answer, {} refused)",
            target.kind.name(),
            burst.before,
            burst.peak,
            burst.after,
            burst.left,
            burst.took.as_secs_f64(),
            burst.refused
        ));
        let kind = target.kind;
        figure
            .row("RSS before the burst", "MB")
            .set(kind, &[burst.before]);
        figure
            .row("peak RSS during the burst", "MB")
            .set(kind, &[burst.peak]);
        figure
            .row(&format!("RSS {after} s after the last turn"), "MB")
            .set(kind, &[burst.after]);
        figure
            .row(&format!("RSS {after} s after the senders left"), "MB")
            .set(kind, &[burst.left]);
        figure
            .row("time to answer every message", "s")
            .set(kind, &[burst.took.as_secs_f64()]);
        figure
            .row(
                "messages refused (`chat.send` answered with an error)",
                "messages",
            )
            .set(kind, &[burst.refused as f64]);
    }
    Ok(figure)
}

struct Burst {
    before: f64,
    peak: f64,
    after: f64,
    left: f64,
    took: Duration,
    refused: usize,
}

async fn measure(target: &Target, url: &str, plan: &Plan) -> Result<Burst> {
    let mut gateway = target.start(url, GatewayOptions::default())?;
    gateway.wait_ready(super::startup::READY_LIMIT).await?;
    let outcome = measure_on(&gateway, plan).await;
    gateway.stop().await;
    outcome
}

async fn measure_on(gateway: &Gateway, plan: &Plan) -> Result<Burst> {
    tokio::time::sleep(SETTLE).await;
    let before = mb(gateway.rss()?);
    let mut clients = Vec::new();
    for _ in 0..plan.burst_clients {
        clients.push(Client::connect(&gateway.endpoint, None).await?);
    }
    // Words, as a pasted document would be; one shared copy for every sender.
    let message: Arc<str> = "lorem ips ".repeat(plan.burst_bytes / 10).into();
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
    let started = std::time::Instant::now();
    let mut turns = JoinSet::new();
    for (i, mut client) in clients.into_iter().enumerate() {
        let message = Arc::clone(&message);
        turns.spawn(async move {
            answered(&mut client, &format!("bench-burst-{i}"), &message)
                .await
                .map(|accepted| (client, accepted))
        });
    }
    let mut outcome = Ok(());
    let mut senders = Vec::new();
    let mut refused = 0;
    while let Some(joined) = turns.join_next().await {
        match joined.context("a sending task failed").and_then(|t| t) {
            Ok((client, accepted)) => {
                refused += usize::from(!accepted);
                senders.push(client);
            }
            Err(error) => outcome = Err(error),
        }
    }
    let took = started.elapsed();
    sampler.abort();
    outcome?;
    peak.fetch_max(gateway.rss()?, Ordering::Relaxed);
    tokio::time::sleep(plan.burst_after).await;
    let after = mb(gateway.rss()?);
    for client in senders {
        client.close().await;
    }
    tokio::time::sleep(plan.burst_after).await;
    let left = mb(gateway.rss()?);
    Ok(Burst {
        before,
        peak: mb(peak.load(Ordering::Relaxed)),
        after,
        left,
        took,
        refused,
    })
}

/// Sends `message` on `session` and waits until its run ends, whichever way (a gateway may
/// answer a message larger than its model's context window with an error, which still answers
/// it); `false` when `chat.send` itself was refused (OpenClaw answers a burst with "busy").
async fn answered(client: &mut Client, session: &str, message: &str) -> Result<bool> {
    let run = uuid::Uuid::new_v4().to_string();
    let params = json!({"sessionKey": session, "message": message, "idempotencyKey": run});
    client.send("chat.send", params).await?;
    let started = std::time::Instant::now();
    loop {
        let left = TURN_LIMIT.saturating_sub(started.elapsed());
        let frame = tokio::time::timeout(left, client.next_frame())
            .await
            .map_err(|_| anyhow!("the message on {session} got no answer in {TURN_LIMIT:?}"))??;
        if frame["type"] == "res" && frame["ok"] == false {
            return Ok(false);
        }
        if chat_end_run(&frame) == Some(run.as_str()) {
            return Ok(true);
        }
    }
}
