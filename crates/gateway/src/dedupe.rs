//! The idempotency cache of side-effecting methods: a retried `chat.send` or `agent` with the
//! same `idempotencyKey` within five minutes is answered from here instead of starting a second
//! run (upstream `DEDUPE_TTL_MS`, `DEDUPE_MAX`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a key is remembered.
pub(crate) const DEDUPE_TTL: Duration = Duration::from_secs(5 * 60);
/// Most keys remembered; the oldest are dropped first.
pub(crate) const DEDUPE_MAX: usize = 1000;

/// What a key maps to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seen {
    /// The run is still going.
    InFlight,
    /// The run finished with this result payload.
    Done(Value),
}

#[derive(Default)]
pub(crate) struct Dedupe {
    entries: Mutex<HashMap<String, (Instant, Seen)>>,
}

impl Dedupe {
    /// Records `key` as in flight and returns `None`, or returns what it already maps to.
    pub fn begin(&self, key: &str) -> Option<Seen> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (at, _)| now.duration_since(*at) < DEDUPE_TTL);
        if let Some((_, seen)) = entries.get(key) {
            return Some(seen.clone());
        }
        if entries.len() >= DEDUPE_MAX {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(key.to_owned(), (now, Seen::InFlight));
        None
    }

    /// What `key` maps to, without recording it.
    pub fn peek(&self, key: &str) -> Option<Seen> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < DEDUPE_TTL)
            .map(|(_, seen)| seen.clone())
    }

    /// Records the final result of `key`.
    pub fn finish(&self, key: &str, result: Value) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(key.to_owned(), (Instant::now(), Seen::Done(result)));
    }

    /// Forgets `key` (the run could not be started, so a retry should try again).
    pub fn forget(&self, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_key_is_in_flight_then_done_and_capped() {
        let dedupe = Dedupe::default();
        assert_eq!(dedupe.begin("a"), None);
        assert_eq!(dedupe.begin("a"), Some(Seen::InFlight));
        dedupe.finish("a", json!({"status": "ok"}));
        assert_eq!(dedupe.begin("a"), Some(Seen::Done(json!({"status": "ok"}))));
        dedupe.forget("a");
        assert_eq!(dedupe.begin("a"), None);
        for i in 0..DEDUPE_MAX + 10 {
            dedupe.begin(&i.to_string());
        }
        assert!(dedupe.entries.lock().unwrap().len() <= DEDUPE_MAX);
    }
}
