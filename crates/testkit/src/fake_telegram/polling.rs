//! Long polling and the webhook switch, with Telegram's semantics: `offset` confirms (and
//! forgets) every earlier update, an empty queue holds the poll up to `timeout` seconds, a
//! second poller ends the first with a 409, and a set webhook makes `getUpdates` a 409.

use std::time::Duration;

use serde_json::{Value, json};

use super::params;
use super::record::RecordedCall;
use super::server::{Answer, ApiError};
use super::state::Shared;

/// Telegram's cap on `limit`.
const MAX_LIMIT: i64 = 100;

pub(crate) async fn get_updates(shared: &Shared, call: &RecordedCall) -> Answer {
    let params = &call.params;
    let offset = params::int(params, "offset");
    let limit = params::int(params, "limit")
        .unwrap_or(MAX_LIMIT)
        .clamp(1, MAX_LIMIT) as usize;
    let timeout = Duration::from_secs(params::int(params, "timeout").unwrap_or(0).max(0) as u64);
    let allowed = params::json(params, "allowed_updates").map(|value| {
        value
            .as_array()
            .map(|kinds| {
                kinds
                    .iter()
                    .filter_map(|kind| kind.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    // This poll replaces any other: Telegram ends the older one with a 409.
    let generation = {
        let mut current = 0;
        shared.poll_generation.send_modify(|generation| {
            *generation += 1;
            current = *generation;
        });
        current
    };
    let mut generations = shared.poll_generation.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let changed = shared.updates_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        {
            let mut inner = shared.inner();
            if inner.webhook.is_some() {
                return Err(ApiError::new(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use \
                     deleteWebhook to delete the webhook first",
                ));
            }
            if let Some(allowed) = &allowed {
                // An empty list means "all kinds but the opt-in ones", as on Telegram.
                inner.allowed_updates = (!allowed.is_empty()).then(|| allowed.clone());
            }
            let batch = match offset {
                Some(offset) if offset < 0 => {
                    let skip = inner
                        .queue
                        .len()
                        .saturating_sub(offset.unsigned_abs() as usize);
                    select(&inner, skip, limit)
                }
                Some(offset) => {
                    inner.queue.retain(|update| update.id >= offset);
                    select(&inner, 0, limit)
                }
                None => select(&inner, 0, limit),
            };
            if !batch.is_empty() || timeout.is_zero() {
                return Ok(Value::Array(batch));
            }
        }
        tokio::select! {
            () = &mut changed => {}
            () = tokio::time::sleep_until(deadline) => return Ok(json!([])),
            _ = generations.wait_for(|current| *current != generation) => {
                return Err(ApiError::other_poller());
            }
            _ = shutdown.wait_for(|stopped| *stopped) => return Ok(json!([])),
        }
    }
}

fn select(inner: &super::state::Inner, skip: usize, limit: usize) -> Vec<Value> {
    inner
        .queue
        .iter()
        .skip(skip)
        .filter(|update| {
            inner
                .allowed_updates
                .as_ref()
                .is_none_or(|allowed| allowed.contains(&update.kind))
        })
        .take(limit)
        .map(|update| update.body.clone())
        .collect()
}

pub(crate) fn set_webhook(shared: &Shared, call: &RecordedCall) -> Answer {
    let url = params::string(&call.params, "url").unwrap_or_default();
    let mut inner = shared.inner();
    if params::flag(&call.params, "drop_pending_updates") {
        inner.queue.clear();
    }
    if url.is_empty() {
        inner.webhook = None;
        return Ok(Value::Bool(true));
    }
    if !url.starts_with("https://") {
        return Err(ApiError::bad_request(
            "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        ));
    }
    inner.webhook = Some(url);
    drop(inner);
    // A poll waiting now must see the webhook and end with its 409.
    shared.updates_changed.notify_waiters();
    Ok(Value::Bool(true))
}

pub(crate) fn delete_webhook(shared: &Shared, call: &RecordedCall) -> Answer {
    let mut inner = shared.inner();
    inner.webhook = None;
    if params::flag(&call.params, "drop_pending_updates") {
        inner.queue.clear();
    }
    Ok(Value::Bool(true))
}

pub(crate) fn get_webhook_info(shared: &Shared) -> Answer {
    let inner = shared.inner();
    Ok(json!({
        "url": inner.webhook.clone().unwrap_or_default(),
        "has_custom_certificate": false,
        "pending_update_count": inner.queue.len(),
    }))
}
