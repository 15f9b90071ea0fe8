//! Changing a session from outside its turns, through its lane: a patch handed to the lane
//! ([`Patched`]), or the session's lock ([`SessionLock`]) held for a change made in the store.

use std::sync::Arc;

use rustyclaw_protocol::{SessionEntry, SessionKey};

use crate::clock::now_ms;
use crate::error::AgentError;
use crate::lane::{Lane, Lanes, lock};
use crate::services::Services;
use crate::session::SessionState;

/// What [`AgentRuntime::patch_session`] did.
#[derive(Debug, Clone)]
pub enum Patched {
    /// The patched entry is stored.
    Stored(SessionEntry),
    /// A turn holds the session; it (or the lane right after it) stores the patch. The entry as
    /// it will read.
    Deferred(SessionEntry),
}

impl Patched {
    /// The entry as it reads (or will read) with the patch.
    pub fn entry(&self) -> &SessionEntry {
        match self {
            Patched::Stored(entry) | Patched::Deferred(entry) => entry,
        }
    }
}

/// `key`'s session held for a change from outside its turns (see
/// [`AgentRuntime::lock_session`]). Dropping it lets the session's turns go on, from what the
/// store holds then.
pub struct SessionLock {
    guard: Option<tokio::sync::OwnedMutexGuard<Option<SessionState>>>,
    lanes: Arc<Lanes>,
    key: SessionKey,
}

impl SessionLock {
    /// The lock of `key`'s session, held through `guard`.
    pub(crate) fn new(
        guard: tokio::sync::OwnedMutexGuard<Option<SessionState>>,
        lanes: Arc<Lanes>,
        key: SessionKey,
    ) -> Self {
        SessionLock {
            guard: Some(guard),
            lanes,
            key,
        }
    }
}

impl std::fmt::Debug for SessionLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionLock")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        // Whatever was loaded is stale now: the next turn reloads from the store.
        *guard = None;
        drop(guard);
        // A lane that nothing uses any more is forgotten (a deleted session keeps none).
        let mut lanes = lock(&self.lanes);
        if lanes.get(&self.key).is_some_and(Lane::unused) {
            lanes.remove(&self.key);
        }
    }
}

/// Applies the patches waiting for `key` to the lane's cached session and stores it; with no
/// cached session, to the stored entry.
pub(crate) async fn apply_waiting(
    services: &Services,
    key: &SessionKey,
    slot: &mut Option<SessionState>,
) -> Result<(), AgentError> {
    match slot {
        Some(session) => session.save(&services.store, &services.patches).await,
        None => {
            let Some(mut entry) = services
                .store
                .get_session(key)
                .await
                .map_err(|source| AgentError::Store { source })?
            else {
                // Deleted while the patches waited (`sessions.delete` held the session).
                let dropped = services.patches.discard(key);
                if dropped > 0 {
                    tracing::info!(
                        session = %key.as_str(),
                        patches = dropped,
                        "patches for a session deleted before they applied were dropped"
                    );
                }
                return Ok(());
            };
            services.patches.apply(key, &mut entry);
            entry.updated_at = now_ms();
            services
                .store
                .upsert_session(key, &entry)
                .await
                .map_err(|source| AgentError::Store { source })
        }
    }
}
