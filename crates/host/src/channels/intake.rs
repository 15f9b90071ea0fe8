//! The intake of one account: every batch the account receives is stored in the journal
//! (durably) before the account may acknowledge it to its platform, then each new message is
//! dispatched, in the order received. A redelivered message is recognised by the journal and
//! not dispatched again.

use std::sync::Arc;

use rustyclaw_channels::account::{InboundBatch, StoreOutcome};
use rustyclaw_store::{ChannelOffset, InboundOutcome, InboundRecord, StoredInbound};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::bursts::{Bursts, merge};
use super::dispatch;
use super::hub::{AccountKey, Hub};
use super::journal::record;

/// Receives `key`'s batches until its sink closes: first dispatches what a previous process
/// stored but never dispatched, then journals, acknowledges and dispatches each batch.
pub(crate) async fn run(
    hub: Arc<Hub>,
    key: AccountKey,
    mut batches: mpsc::Receiver<(InboundBatch, oneshot::Sender<StoreOutcome>)>,
) {
    match hub
        .store
        .inbound_not_dispatched(&key.channel_id(), &key.account_id())
        .await
    {
        Ok(waiting) => {
            for message in waiting {
                dispatch::dispatch(&hub, &key, message).await;
            }
        }
        Err(error) => {
            tracing::error!(account = %key, %error, "cannot read messages waiting from before the restart");
        }
    }
    let mut bursts = Bursts::default();
    loop {
        let due = bursts.next_due();
        let received = tokio::select! {
            received = batches.recv() => received,
            () = sleep_until(due), if due.is_some() => {
                for burst in bursts.due(Instant::now()) {
                    dispatch_burst(&hub, &key, burst).await;
                }
                continue;
            }
        };
        let Some((batch, acknowledge)) = received else {
            break;
        };
        let stored = journal(&hub, &key, &batch).await;
        let outcome = if stored.is_some() {
            StoreOutcome::Stored
        } else {
            StoreOutcome::Failed
        };
        // The platform may forget the batch from here on.
        let _ = acknowledge.send(outcome);
        let window = hub.config().messages.inbound_debounce(&key.channel);
        for message in stored.unwrap_or_default() {
            for burst in bursts.arrive(message, window, Instant::now()) {
                dispatch_burst(&hub, &key, burst).await;
            }
        }
    }
    for burst in bursts.drain() {
        dispatch_burst(&hub, &key, burst).await;
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Dispatches the messages of a burst as one.
async fn dispatch_burst(hub: &Arc<Hub>, key: &AccountKey, burst: Vec<StoredInbound>) {
    let Some((message, earlier)) = merge(burst) else {
        return;
    };
    if !earlier.is_empty() {
        tracing::debug!(account = %key, messages = earlier.len() + 1, "a burst of messages runs as one turn");
        super::hub::lock(&hub.bursts).insert(message.id, earlier);
    }
    dispatch::dispatch(hub, key, message).await;
}

/// Stores `batch`, returning the new messages (redeliveries left out); `None` when the journal
/// could not store it (the account must not acknowledge it).
async fn journal(hub: &Hub, key: &AccountKey, batch: &InboundBatch) -> Option<Vec<StoredInbound>> {
    let records: Vec<InboundRecord> = batch
        .messages
        .iter()
        .map(|message| record(key, message))
        .collect();
    let outcomes = match batch.next_offset {
        Some(next_offset) => {
            let offset = ChannelOffset {
                channel: key.channel_id(),
                account: key.account_id(),
                next_offset,
            };
            hub.store.record_inbound_batch(&records, &offset).await
        }
        None => {
            let mut outcomes = Vec::with_capacity(records.len());
            for record in &records {
                match hub.store.record_inbound(record).await {
                    Ok(outcome) => outcomes.push(outcome),
                    Err(error) => {
                        tracing::error!(account = %key, %error, "cannot store a received message");
                        return None;
                    }
                }
            }
            Ok(outcomes)
        }
    };
    let outcomes = match outcomes {
        Ok(outcomes) => outcomes,
        Err(error) => {
            tracing::error!(account = %key, %error, "cannot store received messages; the platform will send them again");
            return None;
        }
    };
    let mut fresh = Vec::new();
    for (outcome, record) in outcomes.into_iter().zip(records) {
        match outcome {
            InboundOutcome::Recorded(id) => fresh.push(StoredInbound {
                id,
                record,
                state: rustyclaw_store::InboundState::Received,
                run_id: None,
                updated_ms: rustyclaw_support::now_ms_i64(),
            }),
            InboundOutcome::Duplicate { id, state } => {
                tracing::debug!(account = %key, %id, state = state.as_str(), "a redelivered message was recognised");
            }
        }
    }
    Some(fresh)
}
