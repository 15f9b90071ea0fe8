//! Who is connected: one presence row per client instance (keyed by device id, else instance
//! id, else connection id), the gateway's own row first, and the state versions clients use to
//! notice missed `presence`/`health` events.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rustyclaw_protocol::gateway::{PresenceEntry, StateVersion};

/// The presence list and the state versions.
#[derive(Default)]
pub(crate) struct Presence {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Rows by presence key, with the connections that hold each.
    rows: BTreeMap<String, (PresenceEntry, Vec<String>)>,
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
        inner.presence_version += 1;
        inner.version()
    }

    /// Drops connection `conn_id`; its row goes when no connection holds it. `Some` when the
    /// list changed.
    pub fn remove(&self, conn_id: &str) -> Option<StateVersion> {
        let mut inner = self.lock();
        let before = inner.rows.len();
        for (_, conns) in inner.rows.values_mut() {
            conns.retain(|c| c != conn_id);
        }
        inner.rows.retain(|_, (_, conns)| !conns.is_empty());
        (inner.rows.len() != before).then(|| {
            inner.presence_version += 1;
            inner.version()
        })
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
}
