//! The wall clock as rustyclaw records it: milliseconds since the Unix epoch.
//!
//! Two widths because the records differ: the gateway's payloads and the pairing files carry
//! `u64`, the store's rows (SQLite integers) and the transcript carry `i64`. Both saturate, so a
//! clock set before 1970 reads 0 and nothing ever panics.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: 0 if the clock is before it, `u64::MAX` past that range.
pub fn now_ms() -> u64 {
    ms_since_epoch(SystemTime::now())
}

/// [`now_ms`] as a signed number (the store's and the transcript's width): 0 if the clock is
/// before the epoch, `i64::MAX` past that range.
pub fn now_ms_i64() -> i64 {
    i64::try_from(now_ms()).unwrap_or(i64::MAX)
}

fn ms_since_epoch(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn saturates_at_both_ends() {
        assert_eq!(ms_since_epoch(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(
            ms_since_epoch(UNIX_EPOCH + Duration::from_millis(1234)),
            1234
        );
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(u64::MAX / 2)) {
            assert_eq!(ms_since_epoch(far), u64::MAX);
        }
    }

    #[test]
    fn both_widths_read_the_same_clock() {
        let wide = now_ms();
        let signed = now_ms_i64();
        // 2020-01-01 is well in the past on any machine these tests run on.
        assert!(wide > 1_577_836_800_000);
        let signed = u64::try_from(signed).unwrap();
        assert!(signed >= wide && signed - wide < 60_000);
    }
}
