//! Forgetting what the channel layer no longer needs: received messages, deliveries and
//! streamed-block records past their retention, at start and then hourly, so the state
//! database does not grow with every message ever exchanged.

use std::sync::Arc;
use std::time::Duration;

use rustyclaw_support::now_ms_i64;

use super::hub::Hub;

/// How often old rows are pruned.
const EVERY: Duration = Duration::from_secs(60 * 60);

/// Prunes now and every [`EVERY`] until the host stops.
pub(crate) async fn run(hub: Arc<Hub>) {
    let mut stopping = hub.stopping.clone();
    loop {
        prune(&hub).await;
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            _ = stopping.changed() => return,
        }
        if *stopping.borrow() {
            return;
        }
    }
}

async fn prune(hub: &Hub) {
    let now = now_ms_i64();
    let inbound = hub.store.prune_inbound(now).await;
    let deliveries = hub.store.prune_deliveries(now).await;
    let streamed = hub
        .store
        .prune_streamed(now, rustyclaw_store::DELIVERY_RETENTION_MS)
        .await;
    match (inbound, deliveries, streamed) {
        (Ok(inbound), Ok(deliveries), Ok(streamed)) => {
            if inbound + deliveries + streamed > 0 {
                tracing::debug!(inbound, deliveries, streamed, "pruned old channel records");
            }
        }
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
            tracing::warn!(%error, "cannot prune old channel records; they are tried again in an hour");
        }
    }
}
