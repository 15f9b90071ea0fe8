//! When a job runs: OpenClaw 9.6's three time schedules and their next-run semantics.
//!
//! - `at`: one instant (ISO 8601; without an offset it is UTC); due once, while it is ahead.
//! - `every`: a fixed interval counted from an anchor (`anchorMs`, else the job's creation): the
//!   next multiple of the interval after now.
//! - `cron`: a 5- or 6-field expression evaluated by `croner` (the Rust port of the library
//!   OpenClaw uses: the same syntax, `L`, `W`, `#`, day-of-month OR day-of-week unless `+`) in
//!   the schedule's IANA time zone, else the gateway host's; recurring top-of-hour expressions
//!   are staggered per job by up to five minutes unless `staggerMs` says otherwise
//!   ([`crate::stagger`]).
//!
//! Times are milliseconds since the Unix epoch, the unit of the job store and the protocol.

use std::str::FromStr;

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// A job's schedule, in OpenClaw's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Schedule {
    /// Once, at an instant.
    At {
        /// ISO 8601 (`2026-12-24T18:00:00+01:00`; a date or a time without offset is UTC).
        at: String,
    },
    /// Every `every_ms`, counted from `anchor_ms`.
    Every {
        /// The interval.
        #[serde(rename = "everyMs")]
        every_ms: u64,
        /// Where the count starts (the job's creation when absent).
        #[serde(rename = "anchorMs", default, skip_serializing_if = "Option::is_none")]
        anchor_ms: Option<i64>,
    },
    /// A cron expression.
    Cron {
        /// 5 fields (minute hour day month weekday) or 6 (seconds first).
        expr: String,
        /// IANA time zone (default: the gateway host's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tz: Option<String>,
        /// Stagger window; `0` runs exactly on schedule (default: 5 minutes for recurring
        /// top-of-hour expressions, else 0).
        #[serde(rename = "staggerMs", default, skip_serializing_if = "Option::is_none")]
        stagger_ms: Option<u64>,
    },
}

/// Why a schedule cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The cron expression does not parse.
    #[error("invalid cron expression \"{expr}\": {reason}")]
    Cron {
        /// The expression.
        expr: String,
        /// croner's reason.
        reason: String,
    },
    /// The time zone is not known to this host.
    #[error("unknown time zone \"{0}\" (an IANA name such as Europe/Berlin or America/New_York)")]
    TimeZone(String),
    /// The `at` instant does not parse.
    #[error(
        "invalid time \"{0}\": use ISO 8601, such as 2026-12-24T18:00:00Z or 2026-12-24T18:00:00+01:00"
    )]
    At(String),
    /// The interval is zero.
    #[error("everyMs must be at least 1 millisecond")]
    Interval,
}

/// A cron expression parsed once, with the zone it is evaluated in.
#[derive(Debug, Clone)]
pub struct CompiledCron {
    cron: Cron,
    zone: TimeZone,
}

impl CompiledCron {
    /// Parses `expr` (5 or 6 fields) for evaluation in `tz`, else in `host`.
    pub fn new(expr: &str, tz: Option<&str>, host: &TimeZone) -> Result<Self, ScheduleError> {
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expr.trim())
            .map_err(|e| ScheduleError::Cron {
                expr: expr.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            cron,
            zone: zone(tz, host)?,
        })
    }

    /// The first occurrence strictly after `after_ms`.
    ///
    /// Like the JavaScript `croner` OpenClaw runs, the expression is matched against the
    /// zone's wall clock, which is walked forward and never revisited: a wall time skipped when
    /// the clocks spring forward runs as far after the change as it would have been before it
    /// (02:30 on a night that jumps from 02:00 to 03:00 runs at 03:30), and a wall time the
    /// clocks repeat when they fall back runs once, the first time.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        self.walk(after_ms, true)
    }

    /// The last occurrence strictly before `before_ms` (on the wall clock, as
    /// [`next_after`](Self::next_after)).
    pub fn previous_before(&self, before_ms: i64) -> Option<i64> {
        self.walk(before_ms, false)
    }

    /// Walks the zone's wall clock from `from_ms`, forward or back, to the first match whose
    /// instant lies strictly on that side of `from_ms`. A few wall-clock matches can map to
    /// instants on the wrong side (the repeated hour of a fall-back night): they are passed.
    fn walk(&self, from_ms: i64, forward: bool) -> Option<i64> {
        let mut wall = Timestamp::from_millisecond(from_ms)
            .ok()?
            .to_zoned(self.zone.clone())
            .datetime();
        for _ in 0..8 {
            let start = wall.to_zoned(TimeZone::UTC).ok()?;
            let found = if forward {
                self.cron.find_next_occurrence(&start, false)
            } else {
                self.cron.find_previous_occurrence(&start, false)
            };
            let matched = found.ok()?.datetime();
            let ms = matched
                .to_zoned(self.zone.clone())
                .ok()?
                .timestamp()
                .as_millisecond();
            if (forward && ms > from_ms) || (!forward && ms < from_ms) {
                return Some(ms);
            }
            wall = matched;
        }
        None
    }
}

/// The zone named `tz` (trimmed; empty means none), else `host`.
pub fn zone(tz: Option<&str>, host: &TimeZone) -> Result<TimeZone, ScheduleError> {
    match tz.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(host.clone()),
        Some(name) => TimeZone::get(name).map_err(|_| ScheduleError::TimeZone(name.to_owned())),
    }
}

/// An `at` value as milliseconds: digits are milliseconds already; a date alone is its
/// midnight UTC; a date and time without offset is UTC; otherwise ISO 8601 with its offset.
pub fn parse_absolute_time_ms(text: &str) -> Option<i64> {
    let raw = text.trim();
    if raw.is_empty() {
        return None;
    }
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw.parse::<i64>().ok().filter(|n| *n > 0);
    }
    if let Ok(t) = Timestamp::from_str(raw) {
        return Some(t.as_millisecond());
    }
    if let Ok(dt) = jiff::civil::DateTime::from_str(raw) {
        return dt
            .to_zoned(TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_millisecond());
    }
    if let Ok(date) = jiff::civil::Date::from_str(raw) {
        return date
            .to_zoned(TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_millisecond());
    }
    None
}

impl Schedule {
    /// Checks that the schedule can be evaluated (the instant parses, the interval is not
    /// zero, the expression parses in a known zone).
    pub fn validate(&self, host: &TimeZone) -> Result<(), ScheduleError> {
        match self {
            Self::At { at } => parse_absolute_time_ms(at)
                .map(|_| ())
                .ok_or_else(|| ScheduleError::At(at.clone())),
            Self::Every { every_ms, .. } => {
                if *every_ms == 0 {
                    Err(ScheduleError::Interval)
                } else {
                    Ok(())
                }
            }
            Self::Cron { expr, tz, .. } => CompiledCron::new(expr, tz.as_deref(), host).map(|_| ()),
        }
    }

    /// The next run strictly after `now_ms` (upstream's `computeNextRunAtMs`, without stagger):
    /// `None` when there is none (an instant in the past, an expression that never matches
    /// again).
    pub fn next_run_at_ms(
        &self,
        now_ms: i64,
        host: &TimeZone,
    ) -> Result<Option<i64>, ScheduleError> {
        match self {
            Self::At { at } => {
                let at_ms =
                    parse_absolute_time_ms(at).ok_or_else(|| ScheduleError::At(at.clone()))?;
                Ok((at_ms > now_ms).then_some(at_ms))
            }
            Self::Every {
                every_ms,
                anchor_ms,
            } => {
                if *every_ms == 0 {
                    return Err(ScheduleError::Interval);
                }
                let every = i64::try_from(*every_ms).unwrap_or(i64::MAX);
                let anchor = anchor_ms.unwrap_or(now_ms).max(0);
                if now_ms < anchor {
                    return Ok(Some(anchor));
                }
                let elapsed = now_ms - anchor;
                let steps = (elapsed.saturating_add(every - 1) / every).max(1);
                Ok(Some(anchor.saturating_add(steps.saturating_mul(every))))
            }
            Self::Cron { expr, tz, .. } => {
                if expr.trim().is_empty() {
                    return Ok(None);
                }
                Ok(CompiledCron::new(expr, tz.as_deref(), host)?.next_after(now_ms))
            }
        }
    }

    /// The last cron occurrence strictly before `now_ms` (for catching up after downtime);
    /// `None` for the other kinds.
    pub fn previous_run_at_ms(
        &self,
        now_ms: i64,
        host: &TimeZone,
    ) -> Result<Option<i64>, ScheduleError> {
        match self {
            Self::Cron { expr, tz, .. } if !expr.trim().is_empty() => {
                Ok(CompiledCron::new(expr, tz.as_deref(), host)?.previous_before(now_ms))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn ms(iso: &str) -> i64 {
        parse_absolute_time_ms(iso).unwrap()
    }

    #[test]
    fn at_values_parse_as_upstream_normalises_them() {
        assert_eq!(ms("2026-03-01"), ms("2026-03-01T00:00:00Z"));
        assert_eq!(ms("2026-03-01T10:00:00"), ms("2026-03-01T10:00:00Z"));
        assert_eq!(ms("2026-03-01T10:00:00+01:00"), ms("2026-03-01T09:00:00Z"));
        assert_eq!(ms("1740124800000"), 1_740_124_800_000);
        assert_eq!(parse_absolute_time_ms("tomorrow"), None);
        assert_eq!(parse_absolute_time_ms("0"), None);
        let at = Schedule::At {
            at: "2026-03-01T10:00:00Z".into(),
        };
        let utc = TimeZone::UTC;
        assert_eq!(
            at.next_run_at_ms(ms("2026-03-01T09:59:59Z"), &utc),
            Ok(Some(ms("2026-03-01T10:00:00Z")))
        );
        assert_eq!(
            at.next_run_at_ms(ms("2026-03-01T10:00:00Z"), &utc),
            Ok(None)
        );
    }

    #[test]
    fn every_counts_whole_intervals_from_its_anchor() {
        let utc = TimeZone::UTC;
        let every = |anchor| Schedule::Every {
            every_ms: 60_000,
            anchor_ms: anchor,
        };
        assert_eq!(
            every(Some(1_000)).next_run_at_ms(500, &utc),
            Ok(Some(1_000))
        );
        assert_eq!(
            every(Some(1_000)).next_run_at_ms(1_000, &utc),
            Ok(Some(61_000))
        );
        assert_eq!(
            every(Some(1_000)).next_run_at_ms(61_001, &utc),
            Ok(Some(121_000))
        );
        assert_eq!(every(None).next_run_at_ms(5_000, &utc), Ok(Some(65_000)));
        assert_eq!(
            Schedule::Every {
                every_ms: 0,
                anchor_ms: None
            }
            .validate(&utc),
            Err(ScheduleError::Interval)
        );
    }

    #[test]
    fn the_previous_run_is_strictly_before() {
        let utc = TimeZone::UTC;
        let daily = Schedule::Cron {
            expr: "0 7 * * *".into(),
            tz: Some("Europe/Berlin".into()),
            stagger_ms: None,
        };
        assert_eq!(
            daily.previous_run_at_ms(ms("2026-12-07T08:00:00Z"), &utc),
            Ok(Some(ms("2026-12-07T06:00:00Z")))
        );
        assert_eq!(
            daily.previous_run_at_ms(ms("2026-12-07T06:00:00Z"), &utc),
            Ok(Some(ms("2026-12-06T06:00:00Z")))
        );
        let every = Schedule::Every {
            every_ms: 1,
            anchor_ms: None,
        };
        assert_eq!(every.previous_run_at_ms(5, &utc), Ok(None));
    }

    #[test]
    fn bad_expressions_and_zones_are_named() {
        let utc = TimeZone::UTC;
        let bad = Schedule::Cron {
            expr: "61 * * * *".into(),
            tz: None,
            stagger_ms: None,
        };
        assert!(matches!(
            bad.validate(&utc),
            Err(ScheduleError::Cron { .. })
        ));
        let zone = Schedule::Cron {
            expr: "0 9 * * *".into(),
            tz: Some("Mars/Olympus".into()),
            stagger_ms: None,
        };
        assert_eq!(
            zone.validate(&utc),
            Err(ScheduleError::TimeZone("Mars/Olympus".into()))
        );
    }

    #[test]
    fn the_json_shape_is_upstreams() {
        let cron: Schedule = serde_json::from_str(
            r#"{"kind":"cron","expr":"0 7 * * *","tz":"Europe/Berlin","staggerMs":0}"#,
        )
        .unwrap();
        assert_eq!(
            cron,
            Schedule::Cron {
                expr: "0 7 * * *".into(),
                tz: Some("Europe/Berlin".into()),
                stagger_ms: Some(0)
            }
        );
        let every = Schedule::Every {
            every_ms: 30_000,
            anchor_ms: Some(5),
        };
        assert_eq!(
            serde_json::to_string(&every).unwrap(),
            r#"{"kind":"every","everyMs":30000,"anchorMs":5}"#
        );
    }
}
