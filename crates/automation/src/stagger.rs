//! Stagger: recurring top-of-hour cron jobs (`0 * * * *`, `0 */2 * * *`, …) would all fire in
//! the same second on every gateway; as upstream, each job is shifted by a stable offset of up
//! to five minutes, taken from the SHA-256 of its id, unless its schedule gives `staggerMs`
//! (`0` = exactly on time).

use jiff::tz::TimeZone;
use sha2::{Digest, Sha256};

use crate::schedule::{Schedule, ScheduleError};

/// The default window of recurring top-of-hour expressions.
pub const DEFAULT_TOP_OF_HOUR_STAGGER_MS: u64 = 5 * 60 * 1000;

/// Whether a part of an hour field is a number, a range, or `*`, each with an optional step.
fn hour_list_part(part: &str) -> bool {
    let (base, step) = match part.split_once('/') {
        Some((base, step)) => (base, Some(step)),
        None => (part, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if step.is_some_and(|s| !digits(s)) {
        return false;
    }
    base == "*"
        || digits(base)
        || base
            .split_once('-')
            .is_some_and(|(a, b)| digits(a) && digits(b))
}

fn recurring_wildcard_hour(field: &str) -> bool {
    let parts: Vec<&str> = field.split(',').collect();
    parts.iter().all(|p| hour_list_part(p)) && parts.iter().any(|p| p.starts_with('*'))
}

/// Whether `expr` fires recurring jobs exactly at the top of an hour.
pub fn is_recurring_top_of_hour(expr: &str) -> bool {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    match fields.as_slice() {
        [minute, hour, _, _, _] => *minute == "0" && recurring_wildcard_hour(hour),
        [second, minute, hour, _, _, _] => {
            *second == "0" && *minute == "0" && recurring_wildcard_hour(hour)
        }
        _ => false,
    }
}

/// The stagger window of a cron expression: the explicit one, else the top-of-hour default,
/// else none.
pub fn stagger_ms(expr: &str, explicit: Option<u64>) -> u64 {
    explicit.unwrap_or(if is_recurring_top_of_hour(expr) {
        DEFAULT_TOP_OF_HOUR_STAGGER_MS
    } else {
        0
    })
}

/// The job's offset inside a window of `stagger_ms`: the first four bytes of the SHA-256 of
/// its id, big-endian, modulo the window (the same offset upstream gives the same id).
pub fn stable_offset_ms(job_id: &str, stagger_ms: u64) -> u64 {
    if stagger_ms <= 1 {
        return 0;
    }
    let digest = Sha256::digest(job_id.as_bytes());
    let first = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    u64::from(first) % stagger_ms
}

/// The next run of job `job_id` after `now_ms`, with its stagger: the schedule's cursor is moved
/// back by the job's offset so a slot whose shifted time is still ahead is not skipped.
pub fn next_run_at_ms(
    job_id: &str,
    schedule: &Schedule,
    now_ms: i64,
    host: &TimeZone,
) -> Result<Option<i64>, ScheduleError> {
    let Schedule::Cron {
        expr,
        stagger_ms: explicit,
        ..
    } = schedule
    else {
        return schedule.next_run_at_ms(now_ms, host);
    };
    let offset = i64::try_from(stable_offset_ms(job_id, stagger_ms(expr, *explicit))).unwrap_or(0);
    if offset <= 0 {
        return schedule.next_run_at_ms(now_ms, host);
    }
    let mut cursor = (now_ms - offset).max(0);
    for _ in 0..4 {
        let Some(base) = schedule.next_run_at_ms(cursor, host)? else {
            return Ok(None);
        };
        let shifted = base + offset;
        if shifted > now_ms {
            return Ok(Some(shifted));
        }
        cursor = (cursor + 1).max(base + 1_000);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_of_hour_expressions_are_recognised_as_upstream_does() {
        for yes in [
            "0 * * * *",
            "0 */2 * * *",
            "0 9-17/2,* * * *",
            "0 0 * * * *",
        ] {
            assert!(is_recurring_top_of_hour(yes), "{yes}");
        }
        for no in [
            "0 7 * * *",
            "5 * * * *",
            "0 9-17 * * *",
            "* * * * *",
            "0 0 7 * * *",
        ] {
            assert!(!is_recurring_top_of_hour(no), "{no}");
        }
        assert_eq!(stagger_ms("0 * * * *", None), 300_000);
        assert_eq!(stagger_ms("0 * * * *", Some(0)), 0);
        assert_eq!(stagger_ms("0 7 * * *", None), 0);
    }

    #[test]
    fn a_staggered_job_keeps_its_offset_and_does_not_skip_a_slot() {
        let utc = TimeZone::UTC;
        let hourly = Schedule::Cron {
            expr: "0 * * * *".into(),
            tz: Some("UTC".into()),
            stagger_ms: None,
        };
        let id = "job-stagger-1";
        let offset = stable_offset_ms(id, 300_000) as i64;
        assert!(offset > 0 && offset < 300_000);
        let hour = 3_600_000i64;
        let base = 1_796_601_600_000i64; // a top of the hour
        // Just after the hour but before the job's slot: this hour's slot.
        let now = base + offset / 2;
        assert_eq!(
            next_run_at_ms(id, &hourly, now, &utc),
            Ok(Some(base + offset))
        );
        // Past the slot: the next hour's.
        assert_eq!(
            next_run_at_ms(id, &hourly, base + offset, &utc),
            Ok(Some(base + hour + offset))
        );
        // `staggerMs: 0` runs on the hour.
        let exact = Schedule::Cron {
            expr: "0 * * * *".into(),
            tz: Some("UTC".into()),
            stagger_ms: Some(0),
        };
        assert_eq!(next_run_at_ms(id, &exact, now, &utc), Ok(Some(base + hour)));
    }
}
