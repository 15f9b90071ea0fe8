//! The supervisor of one channel account: runs it, restarts it with backoff when it fails or
//! stalls, and records what happened in its status.
//!
//! A stall is a run that stopped showing signs of life (`StatusHandle::alive`) for longer
//! than the account's `stall_timeout` — a long poll that hangs past its own timeout, a socket
//! nobody reads — and is cut off and started again like a failure, so polling never stops
//! silently. Restarts back off from 1 s to 5 min (jittered), start over once a run stayed up for
//! a minute, and wait the longest after a refused credential, which only an edit fixes (it is
//! still retried, in case the refusal was the platform's hiccup).

use std::sync::Arc;
use std::time::Duration;

use rustyclaw_channels::account::{ChannelAccount, ChannelError, InboundSink, StatusHandle};
use rustyclaw_support::now_ms_i64;
use tokio::sync::watch;

use super::limits::{
    FIRST_RESTART_DELAY as FIRST_DELAY, MAX_RESTART_DELAY as MAX_DELAY, STABLE_AFTER,
};

/// How a run ended.
enum Ended {
    Returned(Result<(), ChannelError>),
    Stalled(Duration),
    Stopping,
}

/// Runs `adapter` until `stopping` turns true (or the sink closes), restarting it as the
/// module documentation says.
pub(crate) async fn supervise(
    adapter: Arc<dyn ChannelAccount>,
    sink: InboundSink,
    status: StatusHandle,
    mut stopping: watch::Receiver<bool>,
    label: String,
    watch_stalls: bool,
) {
    let mut delay = FIRST_DELAY;
    loop {
        if *stopping.borrow() {
            break;
        }
        status.update(|s| {
            s.running = true;
            // The watchdog counts from the start of each run.
            s.last_alive_ms = Some(now_ms_i64());
        });
        let started = tokio::time::Instant::now();
        let ended = tokio::select! {
            result = adapter.run(sink.clone(), status.clone()) => Ended::Returned(result),
            stalled = stalled(&status, adapter.stall_timeout(), watch_stalls) => Ended::Stalled(stalled),
            _ = stopping.wait_for(|stop| *stop) => Ended::Stopping,
        };
        let why = match ended {
            Ended::Stopping | Ended::Returned(Err(ChannelError::Closed)) => break,
            Ended::Returned(Ok(())) => {
                if *stopping.borrow() {
                    break;
                }
                "the connection ended".to_owned()
            }
            Ended::Returned(Err(error)) => {
                if error.is_permanent() {
                    delay = MAX_DELAY;
                }
                error.to_string()
            }
            Ended::Stalled(silent) => format!(
                "no sign of life for {}s (a stalled poll or a dead connection); restarting",
                silent.as_secs()
            ),
        };
        if started.elapsed() >= STABLE_AFTER && delay < MAX_DELAY {
            delay = FIRST_DELAY;
        }
        status.disconnected(&why);
        status.update(|s| s.restarts = s.restarts.saturating_add(1));
        tracing::warn!(account = %label, error = %why, retry_in_s = delay.as_secs(), "channel account stopped; restarting");
        let wait = jittered(delay);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stopping.wait_for(|stop| *stop) => break,
        }
        delay = (delay * 2).min(MAX_DELAY);
    }
    status.update(|s| {
        s.running = false;
        s.connected = false;
    });
}

/// Returns once the status shows no sign of life for `timeout`, with how long it was silent;
/// never when not `watching` (`healthMonitor.enabled: false`).
async fn stalled(status: &StatusHandle, timeout: Duration, watching: bool) -> Duration {
    if !watching {
        return std::future::pending().await;
    }
    let timeout = timeout.max(Duration::from_secs(1));
    let tick = (timeout / 4).max(Duration::from_millis(250));
    loop {
        tokio::time::sleep(tick).await;
        let last = status.snapshot().last_alive_ms.unwrap_or_else(now_ms_i64);
        let silent =
            Duration::from_millis(u64::try_from(now_ms_i64().saturating_sub(last)).unwrap_or(0));
        if silent > timeout {
            return silent;
        }
    }
}

/// `delay` scaled by a random factor in [0.5, 1], so accounts cut off together do not retry
/// together.
fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(0.5 + fastrand::f64() / 2.0)
}
