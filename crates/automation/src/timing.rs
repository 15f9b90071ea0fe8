//! When a job is due, what a run's result does to its next run, and what a gateway starting
//! after downtime does with the runs it missed — OpenClaw's scheduler rules, as pure functions
//! of a job's state and a clock the caller gives.
//!
//! - A one-shot (`at`) stays due until it has run successfully, however late that is.
//! - `every` counts from the last run while that is still ahead, else from its anchor (or the
//!   job's creation).
//! - `cron` runs at its (staggered) next occurrence.
//! - After a failed run the next one waits at least 30 s, 1 min, 5 min, 15 min, then 60 min
//!   after the run ended (by the number of failures in a row); a success or a skip resets it.
//! - A run never starts while the same job is running; a run marker older than two hours is
//!   taken for a crash and cleared.
//! - On start-up, a job that became due while the gateway was down runs once (not once per
//!   missed occurrence): at most five at once, the rest five seconds apart, and agent turns two
//!   minutes after start so the chat channels are up first. With `cron.skipMissedJobs`,
//!   recurring jobs skip what they missed and wait for their next occurrence; one-shots still
//!   run.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::schedule::{Schedule, ScheduleError, parse_absolute_time_ms};
use crate::stagger;

/// Waits after consecutive failed runs (the last one repeats).
pub const ERROR_BACKOFF_MS: [i64; 5] = [30_000, 60_000, 300_000, 900_000, 3_600_000];

/// A run marker older than this is taken for a run that died with its process.
pub const STUCK_RUN_MS: i64 = 2 * 60 * 60 * 1000;

/// Overdue jobs started at once on start-up; the rest follow [`MISSED_JOB_STAGGER_MS`] apart.
pub const MAX_MISSED_AT_ONCE: usize = 5;

/// Spacing of overdue jobs past the first [`MAX_MISSED_AT_ONCE`].
pub const MISSED_JOB_STAGGER_MS: i64 = 5_000;

/// How long after start-up an overdue agent turn waits.
pub const STARTUP_AGENT_TURN_DELAY_MS: i64 = 120_000;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// It succeeded.
    Ok,
    /// It failed.
    Error,
    /// It was not run (a condition said no, an empty heartbeat scratch).
    Skipped,
}

/// The part of a job's state its timing depends on, with upstream's field names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobTiming {
    /// When the next run is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_at_ms: Option<i64>,
    /// When the run in progress started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_at_ms: Option<i64>,
    /// When the last run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at_ms: Option<i64>,
    /// How the last run ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_status: Option<RunStatus>,
    /// How long it took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_duration_ms: Option<i64>,
    /// Failed runs in a row.
    #[serde(default)]
    pub consecutive_errors: u32,
}

/// What the timing of one job is computed from.
#[derive(Debug, Clone, Copy)]
pub struct JobRef<'a> {
    /// Its id (the stagger offset comes from it).
    pub id: &'a str,
    /// Whether it is enabled.
    pub enabled: bool,
    /// When it was created (the anchor of an `every` without one).
    pub created_at_ms: i64,
    /// Its schedule.
    pub schedule: &'a Schedule,
    /// Its state.
    pub timing: &'a JobTiming,
}

/// The wait after `consecutive_errors` failures in a row.
pub fn error_backoff_ms(consecutive_errors: u32) -> i64 {
    let index = (consecutive_errors.max(1) as usize - 1).min(ERROR_BACKOFF_MS.len() - 1);
    ERROR_BACKOFF_MS[index]
}

/// When `job` runs next, seen at `now_ms`; `None` when never again (disabled, a one-shot that
/// succeeded, an expression with no future match).
pub fn next_run_at_ms(
    job: JobRef<'_>,
    now_ms: i64,
    host: &TimeZone,
) -> Result<Option<i64>, ScheduleError> {
    if !job.enabled {
        return Ok(None);
    }
    let state = job.timing;
    let natural = match job.schedule {
        Schedule::At { at } => {
            let at_ms = parse_absolute_time_ms(at).ok_or_else(|| ScheduleError::At(at.clone()))?;
            let done = state.last_run_status == Some(RunStatus::Ok)
                && state.last_run_at_ms.is_some_and(|last| last >= at_ms);
            if done { None } else { Some(at_ms) }
        }
        Schedule::Every {
            every_ms,
            anchor_ms,
        } => {
            let every = i64::try_from(*every_ms).unwrap_or(i64::MAX);
            let from_last = state
                .last_run_at_ms
                .map(|last| last.saturating_add(every))
                .filter(|next| *next > now_ms);
            match from_last {
                Some(next) => Some(next),
                None => Schedule::Every {
                    every_ms: *every_ms,
                    anchor_ms: Some(anchor_ms.unwrap_or(job.created_at_ms)),
                }
                .next_run_at_ms(now_ms, host)?,
            }
        }
        Schedule::Cron { .. } => stagger::next_run_at_ms(job.id, job.schedule, now_ms, host)?,
    };
    let backoff_until = (state.last_run_status == Some(RunStatus::Error))
        .then(|| {
            state.last_run_at_ms.map(|last| {
                last + state.last_duration_ms.unwrap_or(0).max(0)
                    + error_backoff_ms(state.consecutive_errors)
            })
        })
        .flatten();
    Ok(match (natural, backoff_until) {
        (Some(next), Some(until)) => Some(next.max(until)),
        (next, _) => next,
    })
}

/// Whether `job` should start at `now_ms`: enabled, not running (or stuck past two hours),
/// and due.
pub fn is_due(job: JobRef<'_>, now_ms: i64) -> bool {
    let running = job
        .timing
        .running_at_ms
        .is_some_and(|since| now_ms - since <= STUCK_RUN_MS);
    job.enabled
        && !running
        && job
            .timing
            .next_run_at_ms
            .is_some_and(|next| next > 0 && now_ms >= next)
}

/// The state after a run that started at `started_ms` ended at `ended_ms` with `status`.
pub fn after_run(
    job: JobRef<'_>,
    started_ms: i64,
    ended_ms: i64,
    status: RunStatus,
    host: &TimeZone,
) -> Result<JobTiming, ScheduleError> {
    let mut timing = job.timing.clone();
    timing.running_at_ms = None;
    timing.last_run_at_ms = Some(started_ms);
    timing.last_duration_ms = Some((ended_ms - started_ms).max(0));
    timing.last_run_status = Some(status);
    timing.consecutive_errors = match status {
        RunStatus::Error => timing.consecutive_errors.saturating_add(1),
        RunStatus::Ok | RunStatus::Skipped => 0,
    };
    timing.next_run_at_ms = next_run_at_ms(
        JobRef {
            timing: &timing,
            ..job
        },
        ended_ms,
        host,
    )?;
    Ok(timing)
}

/// What a starting gateway does with one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartupPlan {
    /// Nothing was missed: keep the next run.
    Keep(Option<i64>),
    /// It was due while the gateway was down: run it once, at this time.
    CatchUp(i64),
    /// Missed occurrences are skipped (`cron.skipMissedJobs`): the next one ahead.
    Skip(Option<i64>),
}

/// Whether a job's payload is an agent turn (those wait for the channels after a start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// A model turn.
    AgentTurn,
    /// Anything else (a system event, a command).
    Other,
}

/// The plan for every job at start-up, in the order given: overdue ones run once (the first
/// [`MAX_MISSED_AT_ONCE`] at `now_ms`, the rest [`MISSED_JOB_STAGGER_MS`] apart; agent turns
/// not before [`STARTUP_AGENT_TURN_DELAY_MS`]), unless `skip_missed` and recurring.
pub fn startup_plan(
    jobs: &[(JobRef<'_>, PayloadKind)],
    now_ms: i64,
    skip_missed: bool,
    host: &TimeZone,
) -> Result<Vec<StartupPlan>, ScheduleError> {
    let mut caught_up = 0usize;
    let mut plans = Vec::with_capacity(jobs.len());
    for (job, kind) in jobs {
        let overdue = job.enabled && job.timing.next_run_at_ms.is_some_and(|n| n <= now_ms);
        if !overdue {
            plans.push(StartupPlan::Keep(job.timing.next_run_at_ms));
            continue;
        }
        let one_shot = matches!(job.schedule, Schedule::At { .. });
        if skip_missed && !one_shot {
            plans.push(StartupPlan::Skip(next_run_at_ms(
                JobRef {
                    timing: &JobTiming {
                        last_run_status: job.timing.last_run_status,
                        consecutive_errors: job.timing.consecutive_errors,
                        ..JobTiming::default()
                    },
                    ..*job
                },
                now_ms,
                host,
            )?));
            continue;
        }
        let slot = caught_up.saturating_sub(MAX_MISSED_AT_ONCE - 1) as i64;
        let mut at = now_ms + slot * MISSED_JOB_STAGGER_MS;
        if *kind == PayloadKind::AgentTurn {
            at = at.max(now_ms + STARTUP_AGENT_TURN_DELAY_MS);
        }
        caught_up += 1;
        plans.push(StartupPlan::CatchUp(at));
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const T0: i64 = 1_796_601_600_000; // 2026-12-07T00:00:00Z
    const MIN: i64 = 60_000;

    fn job<'a>(schedule: &'a Schedule, timing: &'a JobTiming) -> JobRef<'a> {
        JobRef {
            id: "job-1",
            enabled: true,
            created_at_ms: T0,
            schedule,
            timing,
        }
    }

    #[test]
    fn a_one_shot_stays_due_until_it_succeeds() {
        let utc = TimeZone::UTC;
        let at = Schedule::At {
            at: "2026-12-07T00:10:00Z".into(),
        };
        let fresh = JobTiming::default();
        // Late is still due: the instant itself, even when passed.
        assert_eq!(
            next_run_at_ms(job(&at, &fresh), T0 + 60 * MIN, &utc),
            Ok(Some(T0 + 10 * MIN))
        );
        let failed = after_run(
            job(&at, &fresh),
            T0 + 10 * MIN,
            T0 + 11 * MIN,
            RunStatus::Error,
            &utc,
        )
        .unwrap();
        assert_eq!(failed.consecutive_errors, 1);
        assert_eq!(
            failed.next_run_at_ms,
            Some(T0 + 11 * MIN + 30_000),
            "retried after the backoff"
        );
        let done = after_run(
            job(&at, &failed),
            T0 + 12 * MIN,
            T0 + 13 * MIN,
            RunStatus::Ok,
            &utc,
        )
        .unwrap();
        assert_eq!(done.next_run_at_ms, None);
        assert_eq!(done.consecutive_errors, 0);
    }

    #[test]
    fn every_continues_from_the_last_run_and_backs_off_after_failures() {
        let utc = TimeZone::UTC;
        let every = Schedule::Every {
            every_ms: 10 * 60_000,
            anchor_ms: None,
        };
        let fresh = JobTiming::default();
        assert_eq!(
            next_run_at_ms(job(&every, &fresh), T0 + MIN, &utc),
            Ok(Some(T0 + 10 * MIN))
        );
        let ran = after_run(
            job(&every, &fresh),
            T0 + 10 * MIN,
            T0 + 10 * MIN + 5_000,
            RunStatus::Ok,
            &utc,
        )
        .unwrap();
        assert_eq!(ran.next_run_at_ms, Some(T0 + 20 * MIN));
        let mut failing = ran.clone();
        let mut ends = Vec::new();
        for i in 0..6 {
            let start = T0 + (30 + i * 120) * MIN;
            failing =
                after_run(job(&every, &failing), start, start, RunStatus::Error, &utc).unwrap();
            ends.push(failing.next_run_at_ms.unwrap() - start);
        }
        // The interval (10 min) wins over the shorter waits; the long ones hold it back.
        assert_eq!(
            ends,
            [10 * MIN, 10 * MIN, 10 * MIN, 15 * MIN, 60 * MIN, 60 * MIN]
        );
    }

    #[test]
    fn a_running_job_is_not_due_again_unless_its_marker_is_stale() {
        let every = Schedule::Every {
            every_ms: 60_000,
            anchor_ms: None,
        };
        let running = JobTiming {
            next_run_at_ms: Some(T0),
            running_at_ms: Some(T0),
            ..JobTiming::default()
        };
        assert!(!is_due(job(&every, &running), T0 + MIN));
        assert!(is_due(job(&every, &running), T0 + STUCK_RUN_MS + 1));
        let disabled = JobRef {
            enabled: false,
            ..job(&every, &running)
        };
        assert!(!is_due(disabled, T0 + STUCK_RUN_MS + 1));
    }

    #[test]
    fn a_restart_catches_up_once_paced_and_agent_turns_later() {
        let utc = TimeZone::UTC;
        let hourly = Schedule::Cron {
            expr: "30 * * * *".into(),
            tz: Some("UTC".into()),
            stagger_ms: None,
        };
        let overdue = JobTiming {
            next_run_at_ms: Some(T0 - 5 * 60 * MIN),
            ..JobTiming::default()
        };
        let ahead = JobTiming {
            next_run_at_ms: Some(T0 + MIN),
            ..JobTiming::default()
        };
        let mut jobs: Vec<(JobRef<'_>, PayloadKind)> = (0..7)
            .map(|_| (job(&hourly, &overdue), PayloadKind::Other))
            .collect();
        jobs.push((job(&hourly, &overdue), PayloadKind::AgentTurn));
        jobs.push((job(&hourly, &ahead), PayloadKind::Other));
        let plans = startup_plan(&jobs, T0, false, &utc).unwrap();
        assert_eq!(
            plans,
            [
                StartupPlan::CatchUp(T0),
                StartupPlan::CatchUp(T0),
                StartupPlan::CatchUp(T0),
                StartupPlan::CatchUp(T0),
                StartupPlan::CatchUp(T0),
                StartupPlan::CatchUp(T0 + 5_000),
                StartupPlan::CatchUp(T0 + 10_000),
                StartupPlan::CatchUp(T0 + STARTUP_AGENT_TURN_DELAY_MS),
                StartupPlan::Keep(Some(T0 + MIN)),
            ]
        );
        let skipped = startup_plan(&jobs[..1], T0, true, &utc).unwrap();
        assert_eq!(skipped, [StartupPlan::Skip(Some(T0 + 30 * MIN))]);
        // A one-shot is never skipped.
        let at = Schedule::At {
            at: "2026-12-06T20:00:00Z".into(),
        };
        let missed = JobTiming {
            next_run_at_ms: parse_absolute_time_ms("2026-12-06T20:00:00Z"),
            ..JobTiming::default()
        };
        let one_shot =
            startup_plan(&[(job(&at, &missed), PayloadKind::Other)], T0, true, &utc).unwrap();
        assert_eq!(one_shot, [StartupPlan::CatchUp(T0)]);
    }

    #[test]
    fn the_state_has_upstreams_field_names() {
        let timing = JobTiming {
            next_run_at_ms: Some(1),
            last_run_status: Some(RunStatus::Error),
            consecutive_errors: 2,
            ..JobTiming::default()
        };
        assert_eq!(
            serde_json::to_string(&timing).unwrap(),
            r#"{"nextRunAtMs":1,"lastRunStatus":"error","consecutiveErrors":2}"#
        );
    }
}
