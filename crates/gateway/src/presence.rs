//! Who is connected: one presence row per long-lived client (keyed by connection, or for
//! nodes by device id, else instance id), the gateway's own row first, and the state versions
//! clients use to notice missed `presence`/`health` events.
//!
//! As upstream, the list is bounded: at most [`MAX_ROWS`] rows are kept, the least recently
//! refreshed one is dropped first. Short-lived clients (CLI, backends, probes) are never listed
//! (see `methods::system::presence_connected`), so a busy gateway does not announce every
//! scripted call to every UI.

use std::collections::HashMap;
use std::sync::Mutex;

use rustyclaw_protocol::gateway::{PresenceEntry, StateVersion};

/// The most rows the list keeps (upstream `MAX_ENTRIES`).
pub(crate) const MAX_ROWS: usize = 200;

/// The presence list and the state versions.
#[derive(Default)]
pub(crate) struct Presence {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Rows by presence key, with the connections that hold each.
    rows: HashMap<String, (PresenceEntry, Vec<String>)>,
    /// The row each connection holds, so a departure is found without scanning every row.
    by_conn: HashMap<String, String>,
    presence_version: u64,
    health_version: u64,
}

impl Presence {
    /// Adds or refreshes `key`'s row for connection `conn_id`; returns the new version.
    pub fn upsert(&self, key: &str, conn_id: &str, entry: PresenceEntry) -> StateVersion {
        let mut inner = self.lock();
        let row = inner
            .rows
            .entry(key.to_owned())
            .or_insert_with(|| (entry.clone(), Vec::new()));
        row.0 = entry;
        if !row.1.iter().any(|c| c == conn_id) {
            row.1.push(conn_id.to_owned());
        }
        inner.by_conn.insert(conn_id.to_owned(), key.to_owned());
        if inner.rows.len() > MAX_ROWS {
            inner.evict_oldest();
        }
        inner.presence_version += 1;
        inner.version()
    }

    /// Drops connection `conn_id`; its row goes when no connection holds it. `Some` when the
    /// list changed.
    pub fn remove(&self, conn_id: &str) -> Option<StateVersion> {
        let mut inner = self.lock();
        let key = inner.by_conn.remove(conn_id)?;
        let (_, conns) = inner.rows.get_mut(&key)?;
        conns.retain(|c| c != conn_id);
        if !conns.is_empty() {
            return None;
        }
        inner.rows.remove(&key);
        inner.presence_version += 1;
        Some(inner.version())
    }

    /// Records a health change; returns the new version.
    pub fn bump_health(&self) -> StateVersion {
        let mut inner = self.lock();
        inner.health_version += 1;
        inner.version()
    }

    /// The current versions.
    pub fn version(&self) -> StateVersion {
        self.lock().version()
    }

    /// The rows, most recent first.
    pub fn list(&self) -> Vec<PresenceEntry> {
        let mut rows: Vec<PresenceEntry> =
            self.lock().rows.values().map(|(e, _)| e.clone()).collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.ts));
        rows
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps inconsistent (every update is a
        // single insert or retain), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Inner {
    /// Drops the least recently refreshed row and forgets the connections that held it.
    fn evict_oldest(&mut self) {
        let Some(oldest) = self
            .rows
            .iter()
            .min_by_key(|(_, (entry, _))| entry.ts)
            .map(|(key, _)| key.clone())
        else {
            return;
        };
        if let Some((_, conns)) = self.rows.remove(&oldest) {
            for conn in conns {
                self.by_conn.remove(&conn);
            }
        }
    }

    fn version(&self) -> StateVersion {
        StateVersion {
            presence: self.presence_version,
            health: self.health_version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn entry(ts: u64, text: &str) -> PresenceEntry {
        PresenceEntry {
            ts,
            host: None,
            ip: None,
            version: None,
            platform: None,
            device_family: None,
            mode: Some("cli".into()),
            reason: Some("connect".into()),
            instance_id: None,
            text: Some(text.into()),
            other: Map::new(),
        }
    }

    #[test]
    fn one_row_per_key_until_its_last_connection_leaves() {
        let presence = Presence::default();
        let v1 = presence.upsert("device-a", "c1", entry(1, "first"));
        let v2 = presence.upsert("device-a", "c2", entry(2, "second"));
        assert!(v2.presence > v1.presence);
        assert_eq!(presence.list().len(), 1);
        assert_eq!(presence.list()[0].text.as_deref(), Some("second"));
        assert!(presence.remove("c1").is_none(), "c2 still holds the row");
        assert!(presence.remove("c2").is_some());
        assert!(presence.list().is_empty());
    }

    #[test]
    fn the_list_keeps_the_most_recent_rows_up_to_its_bound() {
        let presence = Presence::default();
        for i in 0..MAX_ROWS + 5 {
            let n = u64::try_from(i).unwrap();
            presence.upsert(&format!("conn-{i}"), &format!("conn-{i}"), entry(n, "row"));
        }
        let rows = presence.list();
        assert_eq!(rows.len(), MAX_ROWS);
        assert_eq!(
            rows.last().unwrap().ts,
            5,
            "the five oldest rows were dropped"
        );
        // A connection whose row was dropped leaves without changing the list.
        assert!(presence.remove("conn-0").is_none());
        assert!(presence.remove("conn-5").is_some());
        assert_eq!(presence.list().len(), MAX_ROWS - 1);
    }
}
