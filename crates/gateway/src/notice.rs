//! Announcing a config change that lowers isolation or widens the tool policy.
//!
//! Before such a change applies ([`crate::weakening`]) — in place, or by a restart — the
//! gateway logs a warning (which also reaches the log file `logs.tail` reads, OpenClaw's Logs
//! tab), appends a `config.weakened` record to the audit log, and sends the `config.weakened`
//! event (`applied: false`) to every operator client with `operator.read`, before any
//! `shutdown` event. Operators that connect later (those reconnecting after a restart among
//! them) are told too: the notice is held for [`REPEAT_FOR`] and sent again, marked `applied`
//! once the change is in force, to each operator that connects in that time. OpenClaw has no event for this (its
//! `config.changed` carries only a hash, by design never content), so the event is ours; its
//! payload has a ready-made `message` for clients that show it as a line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustyclaw_config::Config;
use serde_json::json;

use crate::clock::{now_ms, now_ms_i64};
use crate::control::{Held, RestartRequest};
use crate::event::OutEvent;
use crate::scope::READ;
use crate::state::GatewayState;
use crate::weakening::{Weakening, weakenings};

/// The event's name.
pub(crate) const EVENT: &str = "config.weakened";

/// How long after the announcement operators that connect are told again: long enough for
/// every client to come back from the restart.
pub(crate) const REPEAT_FOR: Duration = Duration::from_secs(10 * 60);

/// Notices held at most (older ones are dropped first).
const MAX_HELD: usize = 16;

impl GatewayState {
    /// Compares the running config `old` with `new`, which a restart asked for by `cause` is
    /// about to apply. When `new` lowers isolation or widens the tool policy, the change is
    /// logged as a warning, recorded in the audit log (action `config.weakened`) and announced
    /// to the operator clients (event `config.weakened`); the gateway that replaces this one
    /// repeats the announcement to operators that reconnect (see
    /// [`GatewayState::inherit_control_state`]). Returns what was found.
    pub async fn announce_weakening(
        &self,
        old: &Config,
        new: &Config,
        cause: &RestartRequest,
    ) -> Vec<Weakening> {
        let found = weakenings(old, new);
        if found.is_empty() {
            return found;
        }
        // Every write names its writer; a restart without one is an unknown client's.
        let actors = if cause.actors.is_empty() {
            "unknown".to_owned()
        } else {
            cause.actors.join(", ")
        };
        let summaries: Vec<&str> = found.iter().map(|w| w.summary.as_str()).collect();
        let message = format!(
            "{} by {actors} loosens security: {}",
            cause.reason,
            summaries.join("; ")
        );
        let paths: Vec<&str> = found.iter().map(|w| w.path.as_str()).collect();
        tracing::warn!(
            reason = %cause.reason,
            actors = %actors,
            changed = %paths.join(","),
            "config change lowers isolation or widens the tool policy: {message}"
        );
        let config_path = self.0.options.config_path.clone();
        let record = rustyclaw_store::AuditRecord {
            ts_ms: now_ms_i64(),
            actor: actors.clone(),
            action: EVENT.to_owned(),
            target: config_path.clone(),
            detail: json!({"reason": cause.reason, "weakens": found}),
        };
        if let Err(error) = self.0.store.append_audit(&record).await {
            tracing::error!(%error, "could not record the config weakening in the audit log");
        }
        let payload = json!({
            "ts": now_ms(),
            "reason": cause.reason,
            "actors": cause.actors,
            "path": config_path,
            "applied": false,
            "changes": found,
            "message": message,
        });
        self.broadcast(EVENT, Some(READ), &payload);
        self.hold(Held {
            payload,
            until: Instant::now() + REPEAT_FOR,
        });
        found
    }

    fn hold(&self, notice: Held) {
        let mut held = self.0.control.held_notices();
        held.retain(|n| n.until > Instant::now());
        if held.len() >= MAX_HELD {
            held.remove(0);
        }
        held.push(notice);
    }

    /// The notices to send an operator that just connected, as events (scoped like the
    /// broadcast, so the caller filters them as it filters the fan-out).
    pub(crate) fn held_notices(&self) -> Vec<Arc<OutEvent>> {
        let now = Instant::now();
        let mut held = self.0.control.held_notices();
        held.retain(|n| n.until > now);
        held.iter()
            .map(|n| {
                Arc::new(OutEvent {
                    event: EVENT,
                    payload: n.payload.clone(),
                    scope: Some(READ),
                    state_version: None,
                    encoded: Default::default(),
                })
            })
            .collect()
    }
}
