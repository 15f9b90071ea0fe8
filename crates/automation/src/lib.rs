//! Automation: jobs that run without being asked, as OpenClaw 9.6 has them. This part holds
//! their schedules ([`schedule`]) and the stagger of recurring top-of-hour jobs ([`stagger`]):
//! when each job runs next, with upstream's semantics, on a clock the caller gives (so tests
//! use a controllable clock, never minutes of sleep).

pub mod schedule;
pub mod stagger;

pub use schedule::{CompiledCron, Schedule, ScheduleError, parse_absolute_time_ms};
