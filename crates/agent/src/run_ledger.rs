//! This process's entries in the store's run ledger: who owns a run, whether that owner still
//! lives, and the ledger state of an outcome.
//!
//! A run's owner is `<pid>:<start time>` (the start time in clock ticks since boot, field 22
//! of `/proc/<pid>/stat`), so a recycled process id is not mistaken for the process that
//! accepted the run.

use rustyclaw_store::RunState;

use crate::event::RunStatus;

/// What a run the process died under is told.
pub(crate) const INTERRUPTED: &str = "interrupted: the process running it stopped (crash, kill or power loss) before it ended; \
     no reply was sent";

/// This process as a run owner.
pub(crate) fn this_process() -> String {
    let pid = std::process::id();
    format!("{pid}:{}", start_time(pid).unwrap_or_default())
}

/// Whether the process named by `owner` (as [`this_process`] wrote it) still runs.
pub(crate) fn is_alive(owner: &str) -> bool {
    let Some((pid, started)) = owner.split_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    start_time(pid).is_some_and(|now| now.to_string() == started)
}

/// The ledger state of a run that ended with `status`.
pub(crate) fn state_of(status: RunStatus) -> RunState {
    match status {
        RunStatus::Done => RunState::Done,
        RunStatus::Failed => RunState::Failed,
        RunStatus::Aborted => RunState::Aborted,
        RunStatus::TimedOut => RunState::TimedOut,
    }
}

/// Field 22 of `/proc/<pid>/stat`; the command name before it may hold spaces and
/// parentheses, so fields are counted after its last `)`.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name: state is field 3, so start time (22) is the 20th from here.
    after_name.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_stale_owner_is_not() {
        let me = this_process();
        assert!(is_alive(&me), "{me}");
        let (pid, started) = me.split_once(':').unwrap();
        let started: u64 = started.parse().unwrap();
        assert!(!is_alive(&format!("{pid}:{}", started + 1)));
        assert!(!is_alive("4194304000:1"));
        assert!(!is_alive("garbage"));
    }
}
