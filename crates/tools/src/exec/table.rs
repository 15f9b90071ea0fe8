//! The per-session table of background `exec` runs that `process` operates on.
//!
//! A run enters the table when `exec` leaves it in the background (immediately with
//! `background: true`, or when a foreground command outlives `yieldMs`). Every lookup is keyed by
//! the calling session, so one conversation never sees or controls another's processes. Finished
//! runs stay for `tools.exec.cleanupMs` so their output can still be read, and at most
//! [`MAX_FINISHED`] are kept per table.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustyclaw_protocol::SessionKey;
use rustyclaw_sandbox::SandboxedProcess;

/// Most finished runs kept; the oldest go first beyond this.
pub const MAX_FINISHED: usize = 50;

const ADJECTIVES: &[&str] = &[
    "amber", "brave", "calm", "clever", "crisp", "eager", "fair", "faint", "gentle", "glad",
    "golden", "keen", "kind", "lucky", "mellow", "mild", "nimble", "proud", "quick", "quiet",
    "rapid", "shy", "silver", "swift", "tidy", "vivid", "warm", "wild", "young", "bright",
];
const NOUNS: &[&str] = &[
    "bay", "bloom", "breeze", "brook", "canyon", "cedar", "cloud", "comet", "coral", "dune",
    "ember", "falcon", "fern", "field", "grove", "harbor", "lake", "meadow", "moss", "otter",
    "pine", "prairie", "reef", "river", "shell", "shore", "summit", "tide", "valley", "willow",
];

/// One background run.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The id the model uses (`sessionId`), e.g. `swift-meadow`.
    pub id: String,
    /// The command as given.
    pub command: String,
    /// Working directory.
    pub cwd: PathBuf,
    /// Unix milliseconds at start.
    pub started_at_ms: i64,
    /// The timeout in seconds, if any (for messages).
    pub timeout_secs: Option<f64>,
    /// The process.
    pub process: SandboxedProcess,
}

#[derive(Debug)]
struct Entry {
    session: SessionKey,
    info: RunInfo,
    /// Output position up to which `poll` has delivered.
    cursor: u64,
}

/// Background runs by id.
#[derive(Debug)]
pub struct ProcessTable {
    entries: Mutex<BTreeMap<String, Entry>>,
    cleanup_after: Duration,
}

impl ProcessTable {
    /// An empty table that forgets finished runs after `cleanup_after`.
    pub fn new(cleanup_after: Duration) -> Self {
        ProcessTable {
            entries: Mutex::new(BTreeMap::new()),
            cleanup_after,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a run for `session` and returns its new id.
    pub(crate) fn insert(&self, session: &SessionKey, mut info: RunInfo) -> String {
        let mut entries = self.lock();
        prune(&mut entries, self.cleanup_after, Instant::now());
        let id = fresh_id(&entries);
        info.id = id.clone();
        entries.insert(
            id.clone(),
            Entry {
                session: session.clone(),
                info,
                cursor: 0,
            },
        );
        id
    }

    /// The session's runs, newest first.
    pub fn list(&self, session: &SessionKey) -> Vec<RunInfo> {
        let mut entries = self.lock();
        prune(&mut entries, self.cleanup_after, Instant::now());
        let mut runs: Vec<RunInfo> = entries
            .values()
            .filter(|e| &e.session == session)
            .map(|e| e.info.clone())
            .collect();
        runs.sort_by_key(|run| std::cmp::Reverse(run.process.started_at()));
        runs
    }

    /// The run `id` of `session` and the output position `poll` has delivered up to.
    pub(crate) fn get(&self, session: &SessionKey, id: &str) -> Option<(RunInfo, u64)> {
        let mut entries = self.lock();
        prune(&mut entries, self.cleanup_after, Instant::now());
        entries
            .get(id)
            .filter(|e| &e.session == session)
            .map(|e| (e.info.clone(), e.cursor))
    }

    /// Records that `poll` delivered output up to `cursor`.
    pub(crate) fn advance(&self, session: &SessionKey, id: &str, cursor: u64) {
        if let Some(entry) = self.lock().get_mut(id).filter(|e| &e.session == session) {
            entry.cursor = entry.cursor.max(cursor);
        }
    }

    /// Removes the run `id` of `session`.
    pub(crate) fn remove(&self, session: &SessionKey, id: &str) -> Option<RunInfo> {
        let mut entries = self.lock();
        if entries.get(id).is_some_and(|e| &e.session == session) {
            entries.remove(id).map(|e| e.info)
        } else {
            None
        }
    }
}

fn finished_at(info: &RunInfo) -> Option<Instant> {
    info.process
        .exit()
        .map(|exit| info.process.started_at() + exit.duration)
}

fn prune(entries: &mut BTreeMap<String, Entry>, cleanup_after: Duration, now: Instant) {
    entries.retain(|_, e| {
        finished_at(&e.info).is_none_or(|at| now.saturating_duration_since(at) < cleanup_after)
    });
    let mut finished: Vec<(Instant, String)> = entries
        .iter()
        .filter_map(|(id, e)| finished_at(&e.info).map(|at| (at, id.clone())))
        .collect();
    if finished.len() > MAX_FINISHED {
        finished.sort();
        for (_, id) in finished.iter().take(finished.len() - MAX_FINISHED) {
            entries.remove(id);
        }
    }
}

fn fresh_id(entries: &BTreeMap<String, Entry>) -> String {
    let base = format!(
        "{}-{}",
        ADJECTIVES[fastrand::usize(..ADJECTIVES.len())],
        NOUNS[fastrand::usize(..NOUNS.len())]
    );
    if !entries.contains_key(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !entries.contains_key(id))
        .unwrap_or(base)
}
