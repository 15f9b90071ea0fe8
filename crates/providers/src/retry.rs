//! Retrying one target: exponential backoff with jitter, `retry-after`, cancellation.
//!
//! Only failures whose [`crate::FailureClass::is_retryable`] is true are retried (rate limits,
//! overload, 5xx, network). A server that asks for a longer pause than
//! [`RetryPolicy::max_delay`] is not waited for: the attempt fails at once so failover can try
//! another credential or model instead of stalling the run.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::error::ProviderError;

/// How often and how long to wait before sending a failed request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt. Default 2.
    pub max_retries: u32,
    /// Pause before the first retry; doubled for each further one. Default 1 s.
    pub base_delay: Duration,
    /// Longest pause, also the longest `retry-after` honoured. Default 30 s.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The exponential pause before retry number `retry` (1-based), before jitter:
    /// `base_delay · 2^(retry-1)`, capped at `max_delay`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The pause before retry number `retry` (1-based) after `error`, or `None` when the
    /// request should not be sent again: the error is not retryable, the retries are used
    /// up, or the server asked for a pause longer than `max_delay`.
    ///
    /// A server's `retry-after` is honoured exactly; otherwise the backoff gets "equal
    /// jitter" (half fixed, half random) so that clients rate-limited together do not come
    /// back together.
    pub fn delay_before_retry(&self, retry: u32, error: &ProviderError) -> Option<Duration> {
        if retry == 0 || retry > self.max_retries || !error.class().is_retryable() {
            return None;
        }
        match error.retry_after() {
            Some(asked) if asked > self.max_delay => None,
            Some(asked) => Some(asked),
            None => Some(jitter(self.backoff(retry))),
        }
    }
}

/// Half of `delay` plus a random share of the other half.
fn jitter(delay: Duration) -> Duration {
    let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    let half = millis / 2;
    Duration::from_millis(half + fastrand::u64(0..=millis - half))
}

/// Sleeps for `delay` unless `cancel` fires first, in which case it returns
/// [`ProviderError::Aborted`] at once.
pub async fn sleep_or_abort(
    delay: Duration,
    cancel: &CancellationToken,
) -> Result<(), ProviderError> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(ProviderError::Aborted),
        () = tokio::time::sleep(delay) => Ok(()),
    }
}

/// Runs `attempt` until it succeeds, fails with something not worth retrying, or the retries
/// run out; returns the last error in the latter cases. Cancellation stops the wait and the
/// attempt in flight (the attempt's future is dropped, which closes its connection) with
/// [`ProviderError::Aborted`].
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    cancel: &CancellationToken,
    mut attempt: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut retry = 0;
    loop {
        let error = match abortable(attempt(), cancel).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        retry += 1;
        let Some(delay) = policy.delay_before_retry(retry, &error) else {
            return Err(error);
        };
        tracing::debug!(
            retry,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            class = error.class().label(),
            "retrying model request"
        );
        sleep_or_abort(delay, cancel).await?;
    }
}

/// Runs `future` unless `cancel` fires first.
pub(crate) async fn abortable<T>(
    future: impl Future<Output = Result<T, ProviderError>>,
    cancel: &CancellationToken,
) -> Result<T, ProviderError> {
    if cancel.is_cancelled() {
        return Err(ProviderError::Aborted);
    }
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(ProviderError::Aborted),
        result = future => result,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn status(status: u16, retry_after: Option<Duration>) -> ProviderError {
        ProviderError::Status {
            provider: "p".into(),
            status,
            message: "m".into(),
            code: None,
            retry_after,
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
        };
        let secs: Vec<u64> = (1..=5).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 5, 5]);
        assert_eq!(policy.backoff(200), Duration::from_secs(5));
    }

    #[test]
    fn jittered_delays_stay_between_half_and_full_backoff() {
        let policy = RetryPolicy::default();
        for _ in 0..200 {
            let delay = policy.delay_before_retry(2, &status(500, None)).unwrap();
            assert!(
                delay >= Duration::from_secs(1) && delay <= Duration::from_secs(2),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_max_delay() {
        let policy = RetryPolicy::default();
        let asked = Duration::from_millis(2_500);
        assert_eq!(
            policy.delay_before_retry(1, &status(429, Some(asked))),
            Some(asked)
        );
        // Longer than max_delay: give up so failover can move on.
        assert_eq!(
            policy.delay_before_retry(1, &status(429, Some(Duration::from_secs(31)))),
            None
        );
    }

    #[test]
    fn only_retryable_errors_within_the_budget_are_retried() {
        let policy = RetryPolicy::default();
        assert!(policy.delay_before_retry(1, &status(503, None)).is_some());
        assert!(policy.delay_before_retry(2, &status(503, None)).is_some());
        assert!(policy.delay_before_retry(3, &status(503, None)).is_none());
        assert!(policy.delay_before_retry(1, &status(401, None)).is_none());
        assert!(policy.delay_before_retry(1, &status(400, None)).is_none());
        assert!(
            policy
                .delay_before_retry(1, &ProviderError::Aborted)
                .is_none()
        );
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(20),
        }
    }

    #[tokio::test]
    async fn retries_until_success() {
        let calls = AtomicU32::new(0);
        let result = retry(&fast(), &CancellationToken::new(), || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(status(500, None)),
                _ => Ok("done"),
            }
        })
        .await;
        assert_eq!(result.unwrap(), "done");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_with_the_last_error() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry(&fast(), &CancellationToken::new(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(status(502, None))
        })
        .await;
        assert!(matches!(
            result,
            Err(ProviderError::Status { status: 502, .. })
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let result: Result<(), _> = retry(&fast(), &CancellationToken::new(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(status(401, None))
        })
        .await;
        assert!(matches!(
            result,
            Err(ProviderError::Status { status: 401, .. })
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn cancelling_during_backoff_aborts_promptly() {
        let policy = RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60),
        };
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            trigger.cancel();
        });
        let started = std::time::Instant::now();
        let result: Result<(), _> =
            retry(&policy, &cancel, || async { Err(status(500, None)) }).await;
        assert!(matches!(result, Err(ProviderError::Aborted)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_cancelled_token_stops_before_the_first_attempt() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry(&fast(), &cancel, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .await;
        assert!(matches!(result, Err(ProviderError::Aborted)));
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
