//! Connections: many authenticated idle WebSocket clients (memory per connection), and the
//! latency of one event fanned out to many subscribed clients.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{Bench, mb, ms, progress};
use crate::client::{Client, Endpoint};
use crate::drive;
use crate::fake::Reply;
use crate::report::{Figure, Goal};
use crate::stats::percentile;
use crate::target::{GatewayOptions, Kind, Target};

/// Handshakes in flight at once: below the gateways' per-address budget of unauthenticated
/// sockets, and spread over this many loopback source addresses (each has its own ephemeral
/// port range, so 50,000 sockets do not run out of ports).
const CONNECT_CONCURRENCY: usize = 16;
const SOURCE_ADDRESSES: u8 = 16;

/// How long to wait for one fanned-out event to reach every client.
const FANOUT_LIMIT: Duration = Duration::from_secs(30);

/// Measures idle connections and fan-out.
pub async fn connections(bench: &mut Bench) -> Result<Figure> {
    let plan = bench.plan.clone();
    let mut figure = Figure::new(
        "connections",
        "Connections",
        &format!(
            "Idle: N clients complete the handshake (token auth, operator scopes; {CONNECT_CONCURRENCY} \
             handshakes in flight, from {SOURCE_ADDRESSES} loopback addresses) and then only read; RSS of \
             the gateway's process tree 2 s after the last one connected, minus its RSS before, \
             ÷ N. The open-file limit is raised for the gateway. Fan-out: {} clients \
             connected to a fresh gateway; another client sends `chat.inject` {} times, one \
             after another; latency = request sent → the `chat` event received by each \
             client (every client × every event is one sample).",
            plan.fanout_clients, plan.fanout_events
        ),
    );
    let url = bench.base_url(Reply::Instant);
    for target in bench.targets.clone() {
        let n = match target.kind {
            Kind::RustyClaw => plan.connections.0,
            Kind::OpenClaw => plan.connections.1,
        };
        // For this process's client sockets and the gateway's, which inherits the limit.
        let limit =
            crate::process::raise_open_files(u64::try_from(n).unwrap_or(u64::MAX) * 2 + 4096);
        let wanted = u64::try_from(n).unwrap_or(u64::MAX) + 1024;
        let n = if limit < wanted {
            let fits = usize::try_from(limit.saturating_sub(1024)).unwrap_or(0);
            figure.notes.push(format!(
                "{}: the open-file limit could not be raised past {limit} here (raising the \
                 hard limit needs CAP_SYS_RESOURCE), which allowed {fits} clients instead of \
                 {n}; the per-connection figure is measured at that count.",
                target.kind.name()
            ));
            fits
        } else {
            n
        };
        let idle = idle_clients(&target, &url, n)
            .await
            .with_context(|| format!("{} idle connections", target.kind.name()))?;
        progress(&format!(
            "{}: {n} clients, RSS {:.1} → {:.1} MB, {:.0} handshakes/s",
            target.kind.name(),
            idle.before,
            idle.after,
            idle.rate
        ));
        figure
            .row("idle clients held", "clients")
            .set(target.kind, &[n as f64]);
        let row = figure.row("RSS with those clients", "MB");
        row.set(target.kind, &[idle.after]);
        if n == 50_000 {
            row.goal = Some(Goal::AtMost(1000.0));
        }
        let per = (idle.after - idle.before) * 1000.0 / n.max(1) as f64;
        let row = figure.row("RSS per connection", "KB");
        row.set(target.kind, &[per]);
        // 50,000 clients in 1 GB leaves 20 KB each.
        row.goal = Some(Goal::AtMost(20.0));
        let row = figure.row("handshakes per second while connecting", "1/s");
        row.set(target.kind, &[idle.rate]);
        row.higher_is_better = true;

        let latencies = fanout(&target, &url, plan.fanout_clients, plan.fanout_events)
            .await
            .with_context(|| format!("{} fan-out", target.kind.name()))?;
        let p50 = percentile(&latencies, 50.0).unwrap_or(f64::NAN);
        let p99 = percentile(&latencies, 99.0).unwrap_or(f64::NAN);
        progress(&format!(
            "{} fan-out: p50 {p50:.2} ms, p99 {p99:.2} ms",
            target.kind.name()
        ));
        figure
            .row(
                &format!("fan-out p50 to {} clients", plan.fanout_clients),
                "ms",
            )
            .set(target.kind, &[p50]);
        let row = figure.row(
            &format!("fan-out p99 to {} clients", plan.fanout_clients),
            "ms",
        );
        row.set(target.kind, &[p99]);
        row.goal = Some(Goal::AtMost(10.0));
    }
    Ok(figure)
}

struct Idle {
    before: f64,
    after: f64,
    rate: f64,
}

/// Source address `i` of the spread: 127.0.0.1, 127.0.0.2, …
pub(super) fn source(i: usize) -> IpAddr {
    let last = 1 + u8::try_from(i % usize::from(SOURCE_ADDRESSES)).unwrap_or(0);
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// Connects `count` clients to `endpoint`, `CONNECT_CONCURRENCY` at a time; each then reads
/// (and drops) whatever the gateway sends until `closed` is dropped. Returns the readers.
pub(super) async fn connect_many<F, Fut>(
    endpoint: &Endpoint,
    count: usize,
    reader: F,
) -> Result<JoinSet<()>>
where
    F: Fn(Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut readers = JoinSet::new();
    let mut pending = JoinSet::new();
    let mut next = 0;
    while next < count || !pending.is_empty() {
        while next < count && pending.len() < CONNECT_CONCURRENCY {
            let endpoint = endpoint.clone();
            let from = source(next);
            pending.spawn(async move { Client::connect(&endpoint, Some(from)).await });
            next += 1;
        }
        if let Some(joined) = pending.join_next().await {
            let client = joined.context("a connecting task failed")??;
            readers.spawn(reader(client));
        }
    }
    Ok(readers)
}

async fn idle_clients(target: &Target, url: &str, n: usize) -> Result<Idle> {
    let mut gateway = target.start(url, GatewayOptions::default())?;
    gateway.wait_ready(super::startup::READY_LIMIT).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = mb(gateway.rss()?);
    let dropped = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let lost = Arc::clone(&dropped);
    let readers = connect_many(&gateway.endpoint, n, move |mut client| {
        let lost = Arc::clone(&lost);
        async move {
            while client.next_text().await.is_ok() {}
            lost.fetch_add(1, Ordering::SeqCst);
        }
    })
    .await;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let readers = match readers {
        Ok(readers) => readers,
        Err(error) => {
            gateway.stop().await;
            return Err(error);
        }
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = mb(gateway.rss()?);
    let lost = dropped.load(Ordering::SeqCst);
    drop(readers);
    gateway.stop().await;
    if lost > 0 {
        bail!("{lost} of {n} idle clients were disconnected");
    }
    Ok(Idle {
        before,
        after,
        rate,
    })
}

/// The latencies (ms) of `events` `chat.inject` events to `clients` subscribers.
async fn fanout(target: &Target, url: &str, clients: usize, events: usize) -> Result<Vec<f64>> {
    let mut gateway = target.start(url, GatewayOptions::default())?;
    gateway.wait_ready(super::startup::READY_LIMIT).await?;
    let outcome = fanout_on(&gateway.endpoint, clients, events).await;
    gateway.stop().await;
    outcome
}

async fn fanout_on(endpoint: &Endpoint, clients: usize, events: usize) -> Result<Vec<f64>> {
    let session = "bench-fanout";
    let mut sender = Client::connect(endpoint, None).await?;
    // The session exists (with a transcript) before anything is injected into it.
    drive::turn(&mut sender, session, "Hello, fan-out.").await?;
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    let readers = connect_many(endpoint, clients, move |mut client| {
        let seen = seen_tx.clone();
        async move {
            while let Ok(text) = client.next_text().await {
                if let Some(k) = marker(&text) {
                    let _ = seen.send((k, Instant::now()));
                }
            }
        }
    })
    .await?;
    let mut latencies = Vec::with_capacity(clients * events);
    for k in 0..events {
        let sent = Instant::now();
        sender
            .request(
                "chat.inject",
                json!({"sessionKey": session, "message": format!("fanout-{k}-end")}),
            )
            .await?;
        let mut got = 0;
        while got < clients {
            let left = FANOUT_LIMIT.saturating_sub(sent.elapsed());
            let Ok(Some((seen_k, at))) = tokio::time::timeout(left, seen_rx.recv()).await else {
                bail!("event {k} reached {got} of {clients} clients in {FANOUT_LIMIT:?}");
            };
            if seen_k == k {
                got += 1;
                latencies.push(ms(at.duration_since(sent)));
            }
        }
    }
    drop(readers);
    sender.close().await;
    Ok(latencies)
}

/// The event number in a `chat` frame carrying `fanout-<k>-end`.
fn marker(text: &str) -> Option<usize> {
    if !text.contains(r#""event":"chat""#) {
        return None;
    }
    let start = text.find("fanout-")? + "fanout-".len();
    let rest = &text[start..];
    rest[..rest.find("-end")?].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_read_from_chat_frames_only() {
        let chat = r#"{"type":"event","event":"chat","payload":{"message":{"content":[{"type":"text","text":"fanout-17-end"}]}}}"#;
        assert_eq!(marker(chat), Some(17));
        assert_eq!(marker(r#"{"event":"tick"}"#), None);
        assert_eq!(source(0), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(source(17), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    }
}
