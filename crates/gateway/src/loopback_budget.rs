//! The failure budget of loopback clients exempt from the lockout.
//!
//! Upstream exempts loopback from `gateway.auth.rateLimit` so that no local process can lock
//! the owner's CLI out, which also left every local process free to guess the secret as fast as
//! it could connect (a sandboxed command tried 3,400 tokens a second). Here the wrong secrets of
//! exempt clients draw on one budget shared by all of them — every loopback address, every
//! connection, WebSocket and HTTP alike — so parallel connections do not multiply the rate. A
//! wrong secret is answered only when the budget reaches it; a right one never consults the
//! budget, so someone else's guessing never delays the owner, and nothing is ever locked.
//!
//! The budget is a generic cell rate algorithm with a spacing that grows under pressure: a
//! burst of [`LOOPBACK_FAILURE_BURST`] answers at once, then one per spacing, which starts at
//! [`LOOPBACK_FAILURE_SPACING`] and doubles after every [`LOOPBACK_FAILURE_DOUBLING`] failures,
//! up to [`LOOPBACK_FAILURE_MAX_SPACING`]. The pressure (failures counted) drains by one per
//! maximum spacing, so pausing does not reset the slowdown: over a long attack the rate tends to
//! one answer per maximum spacing whatever the pacing.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::limits::{
    LOOPBACK_FAILURE_BURST, LOOPBACK_FAILURE_DOUBLING, LOOPBACK_FAILURE_MAX_SPACING,
    LOOPBACK_FAILURE_SPACING,
};

/// The shared budget; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct LoopbackBudget {
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    /// When the next failure would be answered if there were no burst allowance (the
    /// algorithm's "theoretical arrival time"); `None` before the first failure.
    next: Option<Instant>,
    /// Failures counted towards the slowdown, drained by one per maximum spacing.
    pressure: f64,
    /// When `pressure` was last drained.
    drained_at: Option<Instant>,
}

impl LoopbackBudget {
    /// Charges one wrong secret seen at `now`; returns how long its answer must wait.
    pub fn charge(&self, now: Instant) -> Duration {
        let mut state = self.lock();
        if let Some(then) = state.drained_at {
            let idle = now.saturating_duration_since(then).as_secs_f64();
            state.pressure =
                (state.pressure - idle / LOOPBACK_FAILURE_MAX_SPACING.as_secs_f64()).max(0.0);
        }
        state.drained_at = Some(now);
        let next = state.next.map_or(now, |next| next.max(now));
        let allowance = LOOPBACK_FAILURE_SPACING * LOOPBACK_FAILURE_BURST.saturating_sub(1);
        let answer = next.checked_sub(allowance).map_or(now, |at| at.max(now));
        state.next = Some(next + spacing(state.pressure));
        state.pressure += 1.0;
        answer - now
    }

    /// Takes over `previous`'s state, so an in-process restart does not refill the budget.
    pub fn inherit(&self, previous: &LoopbackBudget) {
        let state = *previous.lock();
        *self.lock() = state;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state consistent, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The spacing at `pressure`: the base spacing, doubled per [`LOOPBACK_FAILURE_DOUBLING`]
/// failures, at most the maximum.
fn spacing(pressure: f64) -> Duration {
    let doublings = (pressure / f64::from(LOOPBACK_FAILURE_DOUBLING)).floor();
    // 2^5 s already passes the 30 s maximum: larger exponents need not be computed.
    let doublings = if doublings >= 16.0 {
        16
    } else {
        doublings as u32
    };
    (LOOPBACK_FAILURE_SPACING * 2u32.pow(doublings)).min(LOOPBACK_FAILURE_MAX_SPACING)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of `attempts` failures, all charged at `start`, are answered within `window`.
    fn answered_within(
        budget: &LoopbackBudget,
        start: Instant,
        attempts: u32,
        window: Duration,
    ) -> u32 {
        let mut answered = 0;
        for _ in 0..attempts {
            if budget.charge(start) <= window {
                answered += 1;
            }
        }
        answered
    }

    #[test]
    fn a_burst_is_answered_at_once_then_one_per_second() {
        let budget = LoopbackBudget::default();
        let t0 = Instant::now();
        for _ in 0..LOOPBACK_FAILURE_BURST {
            assert_eq!(budget.charge(t0), Duration::ZERO);
        }
        assert_eq!(budget.charge(t0), Duration::from_secs(1));
        assert_eq!(budget.charge(t0), Duration::from_secs(2));
        // Parallel connections do not multiply the rate: 200 failures at one instant are
        // answered over about 200 s, not at once.
        let budget = LoopbackBudget::default();
        assert_eq!(
            answered_within(&budget, t0, 200, Duration::from_secs(5)),
            LOOPBACK_FAILURE_BURST + 5
        );
    }

    #[test]
    fn the_spacing_grows_under_sustained_guessing_and_recovers_when_it_stops() {
        assert_eq!(spacing(0.0), Duration::from_secs(1));
        assert_eq!(spacing(99.0), Duration::from_secs(1));
        assert_eq!(spacing(100.0), Duration::from_secs(2));
        assert_eq!(spacing(450.0), Duration::from_secs(16));
        assert_eq!(spacing(500.0), LOOPBACK_FAILURE_MAX_SPACING);
        assert_eq!(spacing(1e12), LOOPBACK_FAILURE_MAX_SPACING);

        // A guesser that always waits for its answer and asks again at once, for a day.
        let budget = LoopbackBudget::default();
        let start = Instant::now();
        let day = Duration::from_secs(24 * 3600);
        let mut now = start;
        let mut answered = 0u32;
        while now < start + day {
            now += budget.charge(now);
            answered += 1;
        }
        // About 570 in the first hour, then 30 s apart: 3,381 in all.
        assert!(
            (2_880..3_500).contains(&answered),
            "{answered} answers in a day"
        );
        // The last answers of that day came 30 s apart.
        let gap = budget.charge(now);
        assert!(gap >= Duration::from_secs(29), "{gap:?}");

        // An hour of quiet drains 120 failures of pressure; a day of quiet all of it.
        let later = now + gap + day;
        for _ in 0..LOOPBACK_FAILURE_BURST {
            assert_eq!(budget.charge(later), Duration::ZERO);
        }
        assert_eq!(budget.charge(later), Duration::from_secs(1));
    }

    #[test]
    fn pausing_does_not_reset_the_slowdown() {
        // 600 failures as fast as the budget answers them (over an hour), then ten minutes of
        // quiet: the pressure drained by only 20, so the spacing is still 16 s, not 1 s, and
        // the burst allowance is used up by the first answer.
        let budget = LoopbackBudget::default();
        let mut now = Instant::now();
        for _ in 0..600 {
            now += budget.charge(now);
        }
        let resumed = now + Duration::from_secs(600);
        let answers: Vec<Duration> = (0..3).map(|_| budget.charge(resumed)).collect();
        assert_eq!(answers[0], Duration::ZERO);
        assert!(answers[1] > Duration::ZERO, "{answers:?}");
        assert!(
            answers[2] - answers[1] >= Duration::from_secs(16),
            "{answers:?}"
        );
    }

    #[test]
    fn a_restarted_gateway_inherits_the_budget() {
        let old = LoopbackBudget::default();
        let t0 = Instant::now();
        for _ in 0..20 {
            old.charge(t0);
        }
        let new = LoopbackBudget::default();
        new.inherit(&old);
        assert!(new.charge(t0) >= Duration::from_secs(10));
    }
}
