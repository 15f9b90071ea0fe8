//! The wall clock as the transcript, the session entries, the run ledger and the audit log
//! record it: one function, so every timestamp the agent writes is read the same way.

/// Milliseconds since the Unix epoch (0 if the clock is before it, `i64::MAX` past that).
pub(crate) fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}
