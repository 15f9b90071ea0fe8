//! Changes to a session's entry made from outside its turns (`sessions.patch`), kept until the
//! session's lane has them, so a turn that is running — or starts — while the change is written
//! cannot save its own copy of the entry over it.
//!
//! The lane owns the session's entry: it loads it once and saves its copy as the turn goes. A
//! patch is therefore registered here first; every save of the lane applies (and takes) the
//! patches registered for its session, and the lane applies
//! any still waiting as soon as the turn lets go of the session (see
//! [`AgentRuntime::patch_session`](crate::AgentRuntime::patch_session)).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustyclaw_protocol::{SessionEntry, SessionKey};

/// A change to a session entry; applied to whichever copy of the entry is about to be saved,
/// so it sets fields rather than building on the copy it is given.
pub type SessionPatch = Arc<dyn Fn(&mut SessionEntry) + Send + Sync>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Patches waiting for their session's lane, by session.
#[derive(Default)]
pub(crate) struct PendingPatches {
    by_key: Mutex<HashMap<SessionKey, Vec<SessionPatch>>>,
}

impl PendingPatches {
    /// Registers `patch` for `key`.
    pub fn push(&self, key: &SessionKey, patch: SessionPatch) {
        lock(&self.by_key)
            .entry(key.clone())
            .or_default()
            .push(patch);
    }

    /// Applies the patches waiting for `key` to `entry`, in the order they came, and forgets
    /// them; whether there were any.
    pub fn apply(&self, key: &SessionKey, entry: &mut SessionEntry) -> bool {
        let Some(patches) = lock(&self.by_key).remove(key) else {
            return false;
        };
        for patch in &patches {
            patch(entry);
        }
        true
    }

    /// Forgets the patches waiting for `key`: its session is gone, and they must not apply to
    /// a new session that takes the key later. How many there were.
    pub fn discard(&self, key: &SessionKey) -> usize {
        lock(&self.by_key)
            .remove(key)
            .map_or(0, |patches| patches.len())
    }

    /// Whether patches wait for `key`.
    pub fn waiting(&self, key: &SessionKey) -> bool {
        lock(&self.by_key).contains_key(key)
    }
}
