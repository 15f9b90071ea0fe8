//! The delivery worker: sends what is queued, in order per chat, until delivered or expired.
//!
//! At start, deliveries a previous process left `sending` are queued again (they may arrive
//! twice: the only duplicate window, one platform call plus one local write). Then, whenever
//! woken (something was queued) or once a second, it expires what is too old (logged and
//! audited, never dropped silently), takes what is due (at most one per chat: the store holds a
//! chat's later messages back while an earlier one waits) and sends those concurrently: marked
//! `sending` just before the platform call, `delivered` after it; a failure is retried with
//! backoff (or after the platform's `retry_after`), a permanent refusal is recorded as failed.
//! A delivery for an account that is not running waits for it.

use std::sync::Arc;
use std::time::Duration;

use rustyclaw_channels::account::{OutboundMessage, OutboundTarget, SendFailure};
use rustyclaw_store::{AuditRecord, StoredDelivery};
use rustyclaw_support::now_ms_i64;

use super::hub::{AccountKey, Hub};
use super::limits::{FIRST_RETRY_MS, MAX_RETRY_MS};

/// Deliveries taken per round.
const BATCH: usize = 32;
/// The longest sleep between rounds when nothing wakes the worker.
const IDLE_TICK: Duration = Duration::from_secs(1);
/// Requeues what a previous process left mid-send, then delivers until the host stops.
pub(crate) async fn run(hub: Arc<Hub>) {
    match hub
        .store
        .requeue_deliveries_left_sending(now_ms_i64())
        .await
    {
        Ok(requeued) => {
            for delivery in requeued {
                tracing::warn!(
                    delivery = %delivery.id,
                    channel = %delivery.record.channel,
                    chat = %delivery.record.target.chat,
                    "the gateway stopped while this message was being sent; it is sent again and may arrive twice"
                );
            }
        }
        Err(error) => tracing::error!(%error, "cannot requeue deliveries left mid-send"),
    }
    let mut stopping = hub.stopping.clone();
    loop {
        if *stopping.borrow() {
            break;
        }
        expire(&hub).await;
        let due = match hub.store.due_deliveries(now_ms_i64(), BATCH).await {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, "cannot read the delivery queue");
                Vec::new()
            }
        };
        let mut sent_any = false;
        let mut sends = tokio::task::JoinSet::new();
        for delivery in due {
            let key = AccountKey::new(
                delivery.record.channel.as_str(),
                delivery.record.account.as_str(),
            );
            if hub.adapter(&key).is_none() {
                continue;
            }
            sent_any = true;
            let hub = hub.clone();
            sends.spawn(async move { deliver(&hub, &key, delivery).await });
        }
        while sends.join_next().await.is_some() {}
        if sent_any {
            // More may be due at once (the next message of a chat).
            continue;
        }
        tokio::select! {
            () = hub.deliveries.notified() => {}
            () = tokio::time::sleep(IDLE_TICK) => {}
            _ = stopping.changed() => {}
        }
    }
}

/// Expires what is too old, reporting each.
async fn expire(hub: &Hub) {
    let expired = match hub.store.expire_deliveries(now_ms_i64()).await {
        Ok(expired) => expired,
        Err(error) => {
            tracing::error!(%error, "cannot expire old deliveries");
            return;
        }
    };
    for delivery in expired {
        let key = AccountKey::new(
            delivery.record.channel.as_str(),
            delivery.record.account.as_str(),
        );
        let why = delivery
            .last_error
            .clone()
            .unwrap_or_else(|| "the account was not running".to_owned());
        tracing::error!(
            account = %key,
            delivery = %delivery.id,
            chat = %delivery.record.target.chat,
            attempts = delivery.attempts,
            last_error = %why,
            "a reply expired before it could be delivered"
        );
        if let Some(status) = hub.status(&key) {
            status.error(&format!(
                "a reply to {} expired undelivered: {why}",
                delivery.record.target.chat
            ));
        }
        audit(hub, "channel.delivery.expired", &key, &delivery, &why).await;
    }
}

async fn audit(hub: &Hub, action: &str, key: &AccountKey, delivery: &StoredDelivery, why: &str) {
    let record = AuditRecord {
        ts_ms: now_ms_i64(),
        actor: format!("channel:{key}"),
        action: action.to_owned(),
        target: Some(delivery.record.target.chat.as_str().to_owned()),
        detail: serde_json::json!({
            "delivery": delivery.id.get(),
            "attempts": delivery.attempts,
            "error": why,
            "run": delivery.record.answers.as_ref().map(|a| a.run_id.clone()),
        }),
    };
    if let Err(error) = hub.store.append_audit(&record).await {
        tracing::warn!(%error, "cannot audit a delivery");
    }
}

/// Sends one delivery and records the result.
async fn deliver(hub: &Hub, key: &AccountKey, delivery: StoredDelivery) {
    let Some(adapter) = hub.adapter(key) else {
        return;
    };
    if let Err(error) = hub
        .store
        .mark_delivery_sending(delivery.id, now_ms_i64())
        .await
    {
        tracing::warn!(delivery = %delivery.id, %error, "cannot mark a delivery as sending; skipped this round");
        return;
    }
    let target = OutboundTarget {
        chat: delivery.record.target.chat.clone(),
        thread_id: delivery.record.target.thread_id.clone(),
        reply_to_id: delivery.record.target.reply_to_id.clone(),
    };
    let message = OutboundMessage {
        text: delivery.record.text.clone(),
        fallback_text: delivery.record.fallback_text.clone(),
        media: delivery.record.media.clone(),
    };
    let result = adapter.send(&target, &message).await;
    let now = now_ms_i64();
    let recorded = match &result {
        Ok(sent) => {
            if let Some(status) = hub.status(key) {
                status.sent();
            }
            hub.store
                .mark_delivered(delivery.id, sent.message_id.as_ref(), now)
                .await
        }
        Err(SendFailure::Permanent(why)) => {
            tracing::error!(account = %key, delivery = %delivery.id, chat = %target.chat, error = %why, "the platform refused a reply for good");
            if let Some(status) = hub.status(key) {
                status.error(&format!("a reply to {} was refused: {why}", target.chat));
            }
            audit(hub, "channel.delivery.failed", key, &delivery, why).await;
            hub.store.mark_delivery_failed(delivery.id, why, now).await
        }
        Err(failure) => {
            let wait_ms = match failure {
                SendFailure::RetryAfter { wait, .. } => i64::try_from(wait.as_millis())
                    .unwrap_or(MAX_RETRY_MS)
                    .max(1),
                _ => backoff_ms(delivery.attempts),
            };
            tracing::warn!(account = %key, delivery = %delivery.id, error = %failure, retry_in_ms = wait_ms, "a reply could not be sent; retrying");
            hub.store
                .reschedule_delivery(
                    delivery.id,
                    now.saturating_add(wait_ms),
                    &failure.to_string(),
                    now,
                )
                .await
        }
    };
    if let Err(error) = recorded {
        tracing::error!(delivery = %delivery.id, %error, "cannot record a delivery's outcome");
    }
}

/// The wait before attempt `attempts + 1`, jittered.
fn backoff_ms(attempts: u32) -> i64 {
    let exponent = attempts.min(20);
    let base = FIRST_RETRY_MS
        .saturating_mul(1_i64 << exponent)
        .min(MAX_RETRY_MS);
    // [0.75, 1.0] of the base, so chats that failed together do not retry together.
    base - (base / 4) * i64::from(fastrand::u8(..=100)) / 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        for attempts in 0..30 {
            let wait = backoff_ms(attempts);
            let base = (FIRST_RETRY_MS << attempts.min(20)).min(MAX_RETRY_MS);
            assert!(wait <= base && wait >= base * 3 / 4, "{attempts}: {wait}");
        }
    }
}
