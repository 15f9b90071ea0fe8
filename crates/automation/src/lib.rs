//! Automation: jobs that run without being asked, as OpenClaw 9.6 has them. This part holds
//! their schedules ([`schedule`]), the stagger of recurring top-of-hour jobs ([`stagger`]) and
//! the scheduler's rules ([`timing`]: due, backoff after failures, catch-up after downtime):
//! when each job runs next, with upstream's semantics, on a clock the caller gives (so tests
//! use a controllable clock, never minutes of sleep).

pub mod job;
pub mod schedule;
pub mod stagger;
pub mod timing;

pub use schedule::{CompiledCron, Schedule, ScheduleError, parse_absolute_time_ms};
