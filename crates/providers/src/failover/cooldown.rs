//! The cooldown book: which auth profiles are resting, until when and why.
//!
//! Schedules follow OpenClaw (`src/agents/auth-profiles/usage.ts`): rate limits, overload and
//! timeouts rest a profile 1 min, then 5, 25 and at most 60 min for repeated failures; auth
//! and billing failures, which do not fix themselves, rest it 5 h, then 10, 20 and at most
//! 24 h. Failures older than 24 h are forgotten, and a success clears the profile's record.
//! A server's `retry-after` lengthens a cooldown, never shortens it.
//!
//! The book lives in memory and is shared by concurrent runs. It does not persist itself: the
//! agent stores [`CooldownRecord`]s (from the failover outcome or [`Cooldowns::snapshot`]) and
//! hands them back through [`Cooldowns::restore`] at start-up. Failure counts are not part of
//! a record, so escalation starts over after a restart.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rustyclaw_support::now_ms;

use crate::error::FailureClass;
use crate::model::Credential;

const MINUTE_MS: u64 = 60_000;
const HOUR_MS: u64 = 60 * MINUTE_MS;
/// Failures further apart than this do not escalate the cooldown.
const FAILURE_WINDOW_MS: u64 = 24 * HOUR_MS;

/// A profile's cooldown as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooldownRecord {
    /// Auth profile id (`openai:default`); never key material.
    pub profile_id: String,
    /// End of the cooldown, milliseconds since the Unix epoch.
    pub until_ms: u64,
    /// Why, as [`FailureClass::as_str`] (`rate_limit`, `billing`, …).
    pub reason: String,
}

#[derive(Debug, Clone)]
struct Entry {
    until_ms: u64,
    reason: String,
    failures: u32,
    last_failure_ms: u64,
}

#[derive(Debug, Default)]
struct Book {
    entries: HashMap<String, Entry>,
    /// Use counter per profile, for round-robin (a sequence, not a time, so order is exact).
    last_used: HashMap<String, u64>,
    uses: u64,
}

/// Cooldowns of auth profiles, and which profile was used least recently.
#[derive(Debug, Default)]
pub struct Cooldowns {
    book: Mutex<Book>,
}

/// Every failure class, to read `reason` strings back.
const CLASSES: [FailureClass; 11] = [
    FailureClass::RateLimit,
    FailureClass::Overloaded,
    FailureClass::Server,
    FailureClass::Network,
    FailureClass::Auth,
    FailureClass::Billing,
    FailureClass::ContextOverflow,
    FailureClass::BadRequest,
    FailureClass::Malformed,
    FailureClass::Config,
    FailureClass::Aborted,
];

/// The class a record's `reason` names, if it names one.
pub(crate) fn class_of(reason: &str) -> Option<FailureClass> {
    CLASSES.into_iter().find(|c| c.as_str() == reason)
}

/// How long a profile rests after its `failures`-th failure of `class` in a row, or `None`
/// when the failure says nothing about the credential (5xx, bad requests, …).
pub(crate) fn cooldown_for(class: FailureClass, failures: u32) -> Option<Duration> {
    let step = failures.clamp(1, 4) - 1;
    let ms = match class {
        FailureClass::RateLimit | FailureClass::Overloaded | FailureClass::Network => {
            (MINUTE_MS * 5u64.pow(step)).min(HOUR_MS)
        }
        FailureClass::Auth | FailureClass::Billing => {
            (5 * HOUR_MS * 2u64.pow(step)).min(24 * HOUR_MS)
        }
        FailureClass::Server
        | FailureClass::ContextOverflow
        | FailureClass::BadRequest
        | FailureClass::Malformed
        | FailureClass::Config
        | FailureClass::Aborted => return None,
    };
    Some(Duration::from_millis(ms))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Cooldowns {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// A book holding persisted records (expired ones are dropped).
    pub fn restore(records: Vec<CooldownRecord>) -> Self {
        Self::restore_at(records, now_ms())
    }

    pub(crate) fn restore_at(records: Vec<CooldownRecord>, now: u64) -> Self {
        let book = Self::new();
        {
            let mut inner = book.lock();
            for r in records.into_iter().filter(|r| r.until_ms > now) {
                inner.entries.insert(
                    r.profile_id,
                    Entry {
                        until_ms: r.until_ms,
                        reason: r.reason,
                        failures: 1,
                        last_failure_ms: now,
                    },
                );
            }
        }
        book
    }

    fn lock(&self) -> MutexGuard<'_, Book> {
        // The book is plain data that every writer leaves consistent; a panic elsewhere while
        // holding the lock does not make it unusable.
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every cooldown still running, sorted by profile id.
    pub fn snapshot(&self) -> Vec<CooldownRecord> {
        self.snapshot_at(now_ms())
    }

    pub(crate) fn snapshot_at(&self, now: u64) -> Vec<CooldownRecord> {
        let mut out: Vec<CooldownRecord> = self
            .lock()
            .entries
            .iter()
            .filter(|(_, e)| e.until_ms > now)
            .map(|(id, e)| CooldownRecord {
                profile_id: id.clone(),
                until_ms: e.until_ms,
                reason: e.reason.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.profile_id.cmp(&b.profile_id));
        out
    }

    /// The running cooldown of `profile_id`, if any.
    pub fn get(&self, profile_id: &str) -> Option<CooldownRecord> {
        self.get_at(profile_id, now_ms())
    }

    pub(crate) fn get_at(&self, profile_id: &str, now: u64) -> Option<CooldownRecord> {
        let book = self.lock();
        let e = book.entries.get(profile_id).filter(|e| e.until_ms > now)?;
        Some(CooldownRecord {
            profile_id: profile_id.to_owned(),
            until_ms: e.until_ms,
            reason: e.reason.clone(),
        })
    }

    /// Notes a failure of `profile_id`; returns the new cooldown when the class calls for
    /// one.
    pub fn record_failure(
        &self,
        profile_id: &str,
        class: FailureClass,
        retry_after: Option<Duration>,
    ) -> Option<CooldownRecord> {
        self.record_failure_at(profile_id, class, retry_after, now_ms())
    }

    pub(crate) fn record_failure_at(
        &self,
        profile_id: &str,
        class: FailureClass,
        retry_after: Option<Duration>,
        now: u64,
    ) -> Option<CooldownRecord> {
        let mut book = self.lock();
        let previous = book
            .entries
            .get(profile_id)
            .filter(|e| now.saturating_sub(e.last_failure_ms) < FAILURE_WINDOW_MS)
            .map_or(0, |e| e.failures);
        let failures = previous.saturating_add(1);
        let rest = cooldown_for(class, failures)?;
        let rest = rest.max(retry_after.unwrap_or_default());
        let entry = Entry {
            until_ms: now.saturating_add(millis(rest)),
            reason: class.as_str().to_owned(),
            failures,
            last_failure_ms: now,
        };
        let record = CooldownRecord {
            profile_id: profile_id.to_owned(),
            until_ms: entry.until_ms,
            reason: entry.reason.clone(),
        };
        book.entries.insert(profile_id.to_owned(), entry);
        Some(record)
    }

    /// Notes a success: the profile's cooldown and failure count are cleared.
    pub fn record_success(&self, profile_id: &str) {
        self.lock().entries.remove(profile_id);
    }

    /// Ends a profile's cooldown early (e.g. after its key was replaced).
    pub fn clear(&self, profile_id: &str) {
        self.lock().entries.remove(profile_id);
    }

    /// Notes that a request is about to use `profile_id`.
    pub(crate) fn mark_used(&self, profile_id: &str) {
        let mut book = self.lock();
        book.uses += 1;
        let n = book.uses;
        book.last_used.insert(profile_id.to_owned(), n);
    }

    /// Splits `profiles` into those usable now, least recently used first (ties keep the
    /// configured order), and those cooling down, soonest available first.
    pub(crate) fn partition<'a>(
        &self,
        profiles: &'a [Credential],
        now: u64,
    ) -> (Vec<&'a Credential>, Vec<(&'a Credential, CooldownRecord)>) {
        let book = self.lock();
        let mut usable = Vec::new();
        let mut cooling = Vec::new();
        for p in profiles {
            match book.entries.get(&p.profile_id).filter(|e| e.until_ms > now) {
                Some(e) => cooling.push((
                    p,
                    CooldownRecord {
                        profile_id: p.profile_id.clone(),
                        until_ms: e.until_ms,
                        reason: e.reason.clone(),
                    },
                )),
                None => usable.push(p),
            }
        }
        usable.sort_by_key(|p| book.last_used.get(&p.profile_id).copied().unwrap_or(0));
        cooling.sort_by_key(|(_, r)| r.until_ms);
        (usable, cooling)
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::model::AuthStyle;

    const T0: u64 = 1_700_000_000_000;

    fn minutes(ms: u64) -> u64 {
        ms / MINUTE_MS
    }

    #[test]
    fn schedules_match_openclaw() {
        let rate: Vec<u64> = (1..=5)
            .map(|n| cooldown_for(FailureClass::RateLimit, n).map_or(0, |d| millis(d) / MINUTE_MS))
            .collect();
        assert_eq!(rate, [1, 5, 25, 60, 60]);
        let billing: Vec<u64> = (1..=5)
            .map(|n| cooldown_for(FailureClass::Billing, n).map_or(0, |d| millis(d) / HOUR_MS))
            .collect();
        assert_eq!(billing, [5, 10, 20, 24, 24]);
        assert_eq!(cooldown_for(FailureClass::Server, 1), None);
        assert_eq!(cooldown_for(FailureClass::ContextOverflow, 1), None);
    }

    #[test]
    fn repeated_failures_escalate_and_success_clears() {
        let book = Cooldowns::new();
        let first = book
            .record_failure_at("p:default", FailureClass::RateLimit, None, T0)
            .unwrap();
        assert_eq!(minutes(first.until_ms - T0), 1);
        assert_eq!(first.reason, "rate_limit");
        let second = book
            .record_failure_at("p:default", FailureClass::RateLimit, None, T0 + 1)
            .unwrap();
        assert_eq!(minutes(second.until_ms - T0 - 1), 5);
        assert!(book.get_at("p:default", T0 + 2).is_some());
        assert!(book.get_at("p:default", second.until_ms).is_none());
        book.record_success("p:default");
        assert!(book.get_at("p:default", T0 + 2).is_none());
        let again = book
            .record_failure_at("p:default", FailureClass::RateLimit, None, T0 + 3)
            .unwrap();
        assert_eq!(minutes(again.until_ms - T0 - 3), 1);
    }

    #[test]
    fn old_failures_do_not_escalate() {
        let book = Cooldowns::new();
        book.record_failure_at("p", FailureClass::Auth, None, T0);
        let later = book
            .record_failure_at("p", FailureClass::Auth, None, T0 + FAILURE_WINDOW_MS + 1)
            .unwrap();
        assert_eq!((later.until_ms - T0 - FAILURE_WINDOW_MS - 1) / HOUR_MS, 5);
    }

    #[test]
    fn retry_after_lengthens_a_cooldown() {
        let book = Cooldowns::new();
        let r = book
            .record_failure_at(
                "p",
                FailureClass::RateLimit,
                Some(Duration::from_secs(600)),
                T0,
            )
            .unwrap();
        assert_eq!(minutes(r.until_ms - T0), 10);
    }

    #[test]
    fn failures_that_are_not_about_the_credential_leave_no_cooldown() {
        let book = Cooldowns::new();
        assert!(
            book.record_failure_at("p", FailureClass::Server, None, T0)
                .is_none()
        );
        assert!(book.snapshot_at(T0).is_empty());
    }

    #[test]
    fn records_round_trip_and_expired_ones_are_dropped() {
        let book = Cooldowns::new();
        book.record_failure_at("b:env", FailureClass::Billing, None, T0);
        book.record_failure_at("a:default", FailureClass::RateLimit, None, T0);
        let saved = book.snapshot_at(T0);
        assert_eq!(
            saved
                .iter()
                .map(|r| r.profile_id.as_str())
                .collect::<Vec<_>>(),
            ["a:default", "b:env"]
        );
        // Two minutes later the rate limit is over; the billing cooldown survives a restart.
        let restored = Cooldowns::restore_at(saved.clone(), T0 + 2 * MINUTE_MS);
        assert_eq!(
            restored.snapshot_at(T0 + 2 * MINUTE_MS),
            vec![saved[1].clone()]
        );
        assert_eq!(class_of(&saved[1].reason), Some(FailureClass::Billing));
        assert_eq!(class_of("nonsense"), None);
    }

    fn cred(id: &str) -> Credential {
        Credential {
            profile_id: id.to_owned(),
            key: None,
            auth: AuthStyle::Bearer,
        }
    }

    #[test]
    fn partition_rotates_least_recently_used_first_and_skips_cooling() {
        let book = Cooldowns::new();
        let profiles = [cred("p:default"), cred("p:env"), cred("p:2")];
        let ids = |(usable, _): (Vec<&Credential>, _)| {
            usable
                .iter()
                .map(|c| c.profile_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(book.partition(&profiles, T0)),
            ["p:default", "p:env", "p:2"]
        );
        book.mark_used("p:default");
        assert_eq!(
            ids(book.partition(&profiles, T0)),
            ["p:env", "p:2", "p:default"]
        );
        book.mark_used("p:env");
        book.record_failure_at("p:2", FailureClass::RateLimit, None, T0);
        let (usable, cooling) = book.partition(&profiles, T0);
        assert_eq!(
            usable
                .iter()
                .map(|c| c.profile_id.as_str())
                .collect::<Vec<_>>(),
            ["p:default", "p:env"]
        );
        assert_eq!(cooling.len(), 1);
        assert_eq!(cooling[0].1.reason, "rate_limit");
    }
}
