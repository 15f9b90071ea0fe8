//! The wall clock as the gateway's payloads carry it (`ts` fields, presence rows, pairing
//! records, audit entries): one function, so every timestamp is read the same way.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before it, `u64::MAX` past that).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// [`now_ms`] as the store's records hold it (session entries, the run ledger, the audit log).
pub(crate) fn now_ms_i64() -> i64 {
    i64::try_from(now_ms()).unwrap_or(i64::MAX)
}
