//! Reconnection delays: exponential, capped, jittered, reset after a stable connection.

use std::time::Duration;

use super::config::Backoff;

/// The delays of consecutive failed attempts.
#[derive(Debug)]
pub(crate) struct BackoffState {
    policy: Backoff,
    failures: u32,
    rng: fastrand::Rng,
}

impl BackoffState {
    pub(crate) fn new(policy: Backoff, rng: fastrand::Rng) -> Self {
        Self {
            policy,
            failures: 0,
            rng,
        }
    }

    /// Forgets past failures (the last connection was stable).
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// The delay before the next attempt: `initial · 2^failures` capped at `max`, scaled by a
    /// random factor in [0.5, 1].
    pub(crate) fn next_delay(&mut self) -> Duration {
        let factor = 2_u32.saturating_pow(self.failures.min(20));
        let base = self
            .policy
            .initial
            .saturating_mul(factor)
            .min(self.policy.max);
        self.failures = self.failures.saturating_add(1);
        base.mul_f64(0.5 + self.rng.f64() / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_jitter_up_to_the_cap_and_resets() {
        let policy = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            stable_after: Duration::from_secs(60),
        };
        let mut backoff = BackoffState::new(policy, fastrand::Rng::with_seed(1));
        let bases = [1, 2, 4, 8, 16, 30, 30, 30];
        for base in bases {
            let delay = backoff.next_delay();
            let base = Duration::from_secs(base);
            assert!(delay >= base / 2 && delay <= base, "{delay:?} for {base:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_secs(1));
    }

    #[test]
    fn jitter_spreads_clients_apart() {
        let policy = Backoff::default();
        let delays: Vec<Duration> = (0..5)
            .map(|seed| BackoffState::new(policy, fastrand::Rng::with_seed(seed)).next_delay())
            .collect();
        assert!(
            delays.windows(2).any(|pair| pair[0] != pair[1]),
            "{delays:?}"
        );
    }
}
