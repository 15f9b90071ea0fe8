//! A session's lane: its cached session, the turn running on it and the messages waiting behind
//! it, and the bounds on the idle lanes kept cached. The runtime schedules lanes; this module
//! only holds them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustyclaw_config::Config;
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::session_entry::QueueMode;
use tokio_util::sync::CancellationToken;

use crate::event::RunId;
use crate::op::Inbound;
use crate::session::SessionState;

/// Every session's lane, by session.
pub(crate) type Lanes = Mutex<HashMap<SessionKey, Lane>>;

/// A session's lane: the cached session, the running turn and what waits behind it.
pub(crate) struct Lane {
    pub(crate) state: Arc<tokio::sync::Mutex<Option<SessionState>>>,
    pub(crate) running: Option<Running>,
    pub(crate) pending: VecDeque<Inbound>,
    /// The session's queue mode as last seen by a run (`/queue` changes it).
    pub(crate) queue_mode: Option<QueueMode>,
    /// When the lane last went idle, for evicting the least recently used cached sessions.
    pub(crate) idle_since: std::time::Instant,
    /// Everything pending arrived after the running turn had delivered its outcome: the user
    /// saw the reply and wrote again, which is a new turn to start at once, not a burst to
    /// collect (no queue debounce).
    pub(crate) pending_after_settle: bool,
    /// About how many bytes the cached session's context held when the lane went idle.
    pub(crate) cached_bytes: usize,
}

impl Lane {
    /// A lane with nothing loaded, running or waiting.
    pub(crate) fn idle() -> Self {
        Lane {
            state: Arc::new(tokio::sync::Mutex::new(None)),
            running: None,
            pending: VecDeque::new(),
            queue_mode: None,
            idle_since: std::time::Instant::now(),
            pending_after_settle: false,
            cached_bytes: 0,
        }
    }

    /// Nothing runs or waits on this lane and nobody else holds its session (a
    /// [`SessionLock`](crate::SessionLock), a patch waiting for the turn to let go): it can be
    /// forgotten without two lanes ever owning one session. Every other holder of the session
    /// took it under the lanes' lock, which the caller holds.
    pub(crate) fn unused(&self) -> bool {
        self.running.is_none() && self.pending.is_empty() && Arc::strong_count(&self.state) == 1
    }
}

/// Idle sessions whose state (entry and context) stays cached in memory; beyond this the least
/// recently used are dropped and reloaded from the store on their next message.
pub(crate) const CACHED_IDLE_SESSIONS: usize = 256;

/// Bytes of context the idle cached sessions hold together (as JSON, about what they take in
/// memory); beyond this the least recently used are dropped too. A typical session holds well
/// under a megabyte, so the count above is the usual bound; this one keeps a few sessions fed
/// with pasted documents of megabytes (upstream accepts 25 MiB a message) from staying in
/// memory for good once they are idle.
pub(crate) const CACHED_IDLE_BYTES: usize = 16 * 1024 * 1024;

/// The turn in progress.
pub(crate) struct Running {
    pub(crate) run_id: RunId,
    /// Every run the batch answers (a collected batch answers several messages).
    pub(crate) run_ids: Vec<RunId>,
    /// The turn's outcome has been (or is being) announced; see [`Inner::settle`].
    pub(crate) settled: bool,
    pub(crate) cancel: CancellationToken,
    /// Messages to fold into the running turn at its next tool boundary.
    pub(crate) steer: Arc<Mutex<Vec<Inbound>>>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether `message` runs as a turn of its own, never collected with others nor collected into:
/// it was submitted with queue mode `followup` (`queue`), as `sessions.compact` submits its
/// `/compact`, so that a directive meant for the session is not read as one of several queued
/// messages.
pub(crate) fn runs_alone(message: &Inbound) -> bool {
    matches!(
        message.queue_mode,
        Some(QueueMode::Followup | QueueMode::Queue)
    )
}

/// The queued messages up to the first that runs alone (see [`runs_alone`]), taken.
pub(crate) fn take_until_alone(pending: &mut VecDeque<Inbound>) -> Vec<Inbound> {
    let end = pending.iter().position(runs_alone).unwrap_or(pending.len());
    pending.drain(..end).collect()
}

/// Drops the least recently used idle lanes past [`CACHED_IDLE_SESSIONS`] or
/// [`CACHED_IDLE_BYTES`]. A lane whose turn is running, whose queue is not empty or whose
/// session someone else holds is never dropped.
pub(crate) fn evict_idle(lanes: &mut HashMap<SessionKey, Lane>) {
    let mut idle: Vec<(std::time::Instant, SessionKey, usize)> = lanes
        .iter()
        .filter(|(_, lane)| lane.unused())
        .map(|(key, lane)| (lane.idle_since, key.clone(), lane.cached_bytes))
        .collect();
    let mut count = idle.len();
    let mut bytes: usize = idle.iter().map(|(_, _, bytes)| bytes).sum();
    if count <= CACHED_IDLE_SESSIONS && bytes <= CACHED_IDLE_BYTES {
        return;
    }
    idle.sort();
    for (_, key, size) in idle {
        if count <= CACHED_IDLE_SESSIONS && bytes <= CACHED_IDLE_BYTES {
            break;
        }
        lanes.remove(&key);
        count -= 1;
        bytes -= size;
    }
}

pub(crate) fn configured_mode(config: &Config, channel: Option<&str>) -> QueueMode {
    use rustyclaw_config::file::QueueMode as Configured;
    let configured = channel
        .and_then(|c| config.messages.queue_by_channel.get(c))
        .copied()
        .unwrap_or(config.messages.queue_mode);
    match configured {
        Configured::Collect => QueueMode::Collect,
        Configured::Steer | Configured::Queue => QueueMode::Steer,
        Configured::Followup => QueueMode::Followup,
        Configured::SteerBacklog => QueueMode::SteerBacklog,
        Configured::Interrupt => QueueMode::Interrupt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn lane(idle_for_secs: u64, running: bool) -> Lane {
        Lane {
            state: Arc::new(tokio::sync::Mutex::new(None)),
            running: running.then(|| Running {
                run_id: RunId::random(),
                run_ids: Vec::new(),
                settled: false,
                cancel: CancellationToken::new(),
                steer: Arc::new(Mutex::new(Vec::new())),
            }),
            pending: VecDeque::new(),
            queue_mode: None,
            idle_since: std::time::Instant::now() - std::time::Duration::from_secs(idle_for_secs),
            pending_after_settle: false,
            cached_bytes: 0,
        }
    }

    fn key(i: usize) -> SessionKey {
        SessionKey::parse(&format!("agent:main:direct:{i}")).unwrap()
    }

    #[test]
    fn idle_sessions_holding_more_than_the_byte_budget_are_dropped_oldest_first() {
        let mut lanes = HashMap::new();
        let sixth = CACHED_IDLE_BYTES / 6;
        // Ten idle sessions of a sixth of the budget each: the six newest fit, and the
        // running one counts for nothing (it is never dropped).
        for i in 0..10 {
            let mut idle = lane(i as u64, false);
            idle.cached_bytes = sixth;
            lanes.insert(key(i), idle);
        }
        let mut busy = lane(1_000, true);
        busy.cached_bytes = CACHED_IDLE_BYTES;
        lanes.insert(key(100_000), busy);
        evict_idle(&mut lanes);
        let mut kept: Vec<usize> = (0..10).filter(|i| lanes.contains_key(&key(*i))).collect();
        kept.sort();
        assert_eq!(kept, vec![0, 1, 2, 3, 4, 5]);
        assert!(lanes.contains_key(&key(100_000)));
        // One session alone larger than the budget is not kept once idle.
        let mut huge = lane(0, false);
        huge.cached_bytes = CACHED_IDLE_BYTES + 1;
        let mut lanes = HashMap::from([(key(7), huge)]);
        evict_idle(&mut lanes);
        assert!(lanes.is_empty());
    }

    #[test]
    fn the_least_recently_used_idle_lanes_are_evicted_and_busy_ones_kept() {
        let mut lanes = HashMap::new();
        for i in 0..CACHED_IDLE_SESSIONS + 10 {
            // Lane i went idle i seconds ago: the highest numbers are the oldest.
            lanes.insert(key(i), lane(i as u64, false));
        }
        lanes.insert(key(100_000), lane(1_000_000, true));
        evict_idle(&mut lanes);
        assert_eq!(lanes.len(), CACHED_IDLE_SESSIONS + 1);
        assert!(
            lanes.contains_key(&key(100_000)),
            "a running lane is never evicted"
        );
        assert!(lanes.contains_key(&key(0)), "the most recent stays");
        assert!(
            !lanes.contains_key(&key(CACHED_IDLE_SESSIONS + 9)),
            "the oldest goes"
        );
    }

    #[test]
    fn a_lane_whose_session_someone_holds_is_never_evicted() {
        let mut lanes = HashMap::new();
        for i in 0..CACHED_IDLE_SESSIONS + 2 {
            lanes.insert(key(i), lane(i as u64, false));
        }
        // The oldest lane's session is held (a SessionLock, a waiting patch).
        let oldest = key(CACHED_IDLE_SESSIONS + 1);
        let held = Arc::clone(&lanes[&oldest].state);
        evict_idle(&mut lanes);
        assert!(
            lanes.contains_key(&oldest),
            "a held session's lane was dropped"
        );
        assert_eq!(lanes.len(), CACHED_IDLE_SESSIONS + 1);
        drop(held);
        assert!(lanes[&oldest].unused());
    }

    fn message(text: &str, queue_mode: Option<QueueMode>) -> Inbound {
        Inbound {
            session_key: key(1),
            agent_id: rustyclaw_protocol::AgentId::normalize("main"),
            text: text.to_owned(),
            attachments: Vec::new(),
            run_id: RunId::random(),
            thinking: None,
            queue_mode,
            origin: crate::MessageOrigin::default(),
            session_id: None,
        }
    }

    #[test]
    fn a_message_that_runs_alone_is_never_collected_with_others() {
        let mut pending: VecDeque<Inbound> = [
            message("a", None),
            message("b", None),
            message("/compact", Some(QueueMode::Followup)),
            message("c", None),
        ]
        .into();
        let texts = |batch: Vec<Inbound>| batch.into_iter().map(|m| m.text).collect::<Vec<_>>();
        assert_eq!(texts(take_until_alone(&mut pending)), ["a", "b"]);
        // The lone one heads the queue now: nothing is taken with it.
        assert!(take_until_alone(&mut pending).is_empty());
        assert!(runs_alone(&pending[0]));
        pending.pop_front();
        assert_eq!(texts(take_until_alone(&mut pending)), ["c"]);
    }
}
