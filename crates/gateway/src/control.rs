//! Control-plane writes: the lock that serialises config rewrites, the per-client write budget,
//! the restart request that makes a running gateway apply a new config, and the announcements
//! of config weakenings held for operators that reconnect.
//!
//! OpenClaw restarts the gateway in-process (SIGUSR1) after `config.apply`/`config.patch`; here
//! a write asks for a restart through [`crate::GatewayState::request_restart`] and whoever runs
//! the gateway (`rustyclaw gateway run`) waits on [`crate::GatewayState::restart_requested`],
//! stops serving, rebuilds everything from the new config and serves again on the same port.
//! Requests made while one is pending coalesce into it: rebuilding in-process is cheap, so
//! there is no cooldown beyond that.
//!
//! The state lives here, below the gateway state that holds it; `GatewayState`'s methods of the
//! same names reach it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

/// Control-plane writes allowed per client and window (OpenClaw's `config.apply|patch` budget).
pub(crate) const WRITE_BUDGET: u32 = 3;
/// The budget's window.
pub(crate) const WRITE_WINDOW: Duration = Duration::from_secs(60);

/// A pending restart: why, who asked, and how long to wait before stopping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartRequest {
    /// The method that asked for it (`config.patch`, …).
    pub reason: String,
    /// Who asked, as the audit log names them (`device:<id>`, `gateway:<client id>`): the
    /// writer of the request and of every write coalesced into it, in order, without repeats.
    pub actors: Vec<String>,
    /// Delay the caller asked for before the restart (`restartDelayMs`).
    pub delay: Duration,
}

impl RestartRequest {
    /// Adds the writers of `later`, a request made while this one waited, to this one.
    pub fn join(&mut self, later: RestartRequest) {
        for actor in later.actors {
            if !self.actors.contains(&actor) {
                self.actors.push(actor);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    count: u32,
    window_start: Instant,
}

/// An announcement of a config weakening waiting for operators that connect (see
/// [`crate::notice`]).
#[derive(Debug, Clone)]
pub(crate) struct Held {
    /// The `config.weakened` event's payload.
    pub payload: Value,
    /// Until when it is repeated.
    pub until: Instant,
}

impl Held {
    /// The notice as it is repeated once its config is in force: applied.
    pub(crate) fn applied(&self) -> Self {
        let mut payload = self.payload.clone();
        payload["applied"] = Value::Bool(true);
        Self {
            payload,
            until: self.until,
        }
    }
}

/// Control-plane state shared by the connections of one gateway.
pub(crate) struct Control {
    /// Held while a config rewrite reads, checks `baseHash` and writes, so two writers cannot
    /// both pass the check against the same base.
    pub write_lock: tokio::sync::Mutex<()>,
    buckets: Mutex<HashMap<String, Bucket>>,
    restart: watch::Sender<Option<RestartRequest>>,
    restart_expected_ms: AtomicU64,
    /// Announcements of config weakenings repeated to operators that connect (see
    /// [`crate::notice`]).
    notices: Mutex<Vec<Held>>,
}

impl Default for Control {
    fn default() -> Self {
        Self {
            write_lock: tokio::sync::Mutex::new(()),
            buckets: Mutex::new(HashMap::new()),
            restart: watch::channel(None).0,
            restart_expected_ms: AtomicU64::new(0),
            notices: Mutex::new(Vec::new()),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Control {
    /// Charges one write to `key`; `Err(retry_after)` when its budget is spent.
    pub fn consume_write(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = lock(&self.buckets);
        // Expired buckets are dropped as writes come in, so the map stays as small as the set
        // of recent writers.
        buckets.retain(|_, b| now.duration_since(b.window_start) < WRITE_WINDOW);
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            count: 0,
            window_start: now,
        });
        if bucket.count >= WRITE_BUDGET {
            return Err(WRITE_WINDOW.saturating_sub(now.duration_since(bucket.window_start)));
        }
        bucket.count += 1;
        Ok(())
    }

    /// The held announcements (locked: keep the guard short).
    pub(crate) fn held_notices(&self) -> MutexGuard<'_, Vec<Held>> {
        lock(&self.notices)
    }

    /// The `restartExpectedMs` to announce in `shutdown` events (none unless restarting).
    pub fn restart_expected_ms(&self) -> Option<u64> {
        match self.restart_expected_ms.load(Ordering::SeqCst) {
            0 => None,
            ms => Some(ms),
        }
    }

    /// Asks whoever runs the gateway to apply the config on disk (restarting the gateway when
    /// the change needs it), on behalf of `actor`. Returns `true` when a request was already
    /// pending (this one is coalesced into it, and `actor` added to its actors).
    pub fn request_restart(&self, reason: &str, actor: &str, delay: Duration) -> bool {
        let mut coalesced = false;
        self.restart.send_modify(|pending| match pending {
            Some(request) => {
                coalesced = true;
                if !request.actors.iter().any(|a| a == actor) {
                    request.actors.push(actor.to_owned());
                }
            }
            None => {
                *pending = Some(RestartRequest {
                    reason: reason.to_owned(),
                    actors: vec![actor.to_owned()],
                    delay,
                });
            }
        });
        coalesced
    }

    /// Completes when a restart has been requested (at once if one is pending).
    pub async fn restart_requested(&self) -> RestartRequest {
        let mut rx = self.restart.subscribe();
        loop {
            if let Some(request) = rx.borrow_and_update().clone() {
                return request;
            }
            // The sender lives in `self`, so the channel cannot close while we wait.
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Takes the pending request, if any: whoever runs the gateway applied the config without
    /// restarting it, and the next write asks anew.
    pub fn take_restart_request(&self) -> Option<RestartRequest> {
        let mut taken = None;
        self.restart.send_if_modified(|pending| {
            taken = pending.take();
            taken.is_some()
        });
        taken
    }

    /// Records that the gateway will be back within `expected`, for the `shutdown` events'
    /// `restartExpectedMs`.
    pub fn expect_restart(&self, expected: Duration) {
        let ms = u64::try_from(expected.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        self.restart_expected_ms.store(ms, Ordering::SeqCst);
    }

    /// Marks the held announcements as applied: the config they announce is in force without a
    /// restart, and operators that connect from now on are told so.
    pub fn mark_notices_applied(&self) {
        let mut held = lock(&self.notices);
        let applied: Vec<Held> = held.iter().map(Held::applied).collect();
        *held = applied;
    }

    /// Carries over from the control state this one replaces what a restart must not reset:
    /// the write budgets, and the held announcements, repeated from now on as applied.
    pub fn inherit(&self, previous: &Control) {
        let old = lock(&previous.buckets).clone();
        lock(&self.buckets).extend(old);
        let notices: Vec<_> = lock(&previous.notices).iter().map(Held::applied).collect();
        lock(&self.notices).extend(notices);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_allows_three_per_window_per_key() {
        let control = Control::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(control.consume_write("dev|1.2.3.4", t0).is_ok());
        }
        let retry = control
            .consume_write("dev|1.2.3.4", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(retry, Duration::from_secs(50));
        assert!(control.consume_write("other|1.2.3.4", t0).is_ok());
        assert!(
            control
                .consume_write("dev|1.2.3.4", t0 + WRITE_WINDOW)
                .is_ok()
        );
    }
}
