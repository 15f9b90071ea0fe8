//! `gateway.reload`: noticing that `openclaw.json` was edited on disk, so the gateway applies
//! the edit as OpenClaw's does, without being asked through the protocol.
//!
//! The file is polled once a second (its size, modification time and inode, which a text
//! editor's save-by-rename changes too); when they change, the watcher waits
//! `gateway.reload.debounceMs` for the editor to finish and compares the content with what the
//! running config was loaded from, so a `touch`, or a write that puts back the same text, does
//! nothing. Only the main file is watched, not the files it `$include`s.
//!
//! In mode `hybrid` (the default) a change is applied as a write over the protocol is: in place
//! when it allows, by an in-process restart of the gateway when it touches the listener (see
//! [`crate::serve`]). In mode `off` edits wait for the next start.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustyclaw_config::file::ReloadMode;

/// How often the file's metadata is looked at.
const POLL: Duration = Duration::from_secs(1);

/// The largest config file compared (larger ones are not loaded either).
const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// The config file as it was just before the running config was loaded from it: an edit
/// made after this, even while the gateway was still starting, is seen as a change.
pub(crate) struct ConfigSnapshot {
    path: PathBuf,
    content: Option<Vec<u8>>,
    stamp: Option<Stamp>,
}

impl ConfigSnapshot {
    /// The file at `path` now; take it *before* loading the config.
    pub fn take(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            stamp: stamp(path),
            content: read(path),
        }
    }
}

/// A watch of the config file from a snapshot.
pub(crate) struct ConfigWatch {
    path: PathBuf,
    content: Option<Vec<u8>>,
    stamp: Option<Stamp>,
    debounce: Duration,
}

/// What cheaply tells that a file may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified_ns: i128,
    inode: u64,
}

impl ConfigWatch {
    /// A watch for changes since `snapshot`, or `None` when `mode` is `off`.
    pub fn start(snapshot: ConfigSnapshot, mode: ReloadMode, debounce: Duration) -> Option<Self> {
        if mode == ReloadMode::Off {
            return None;
        }
        Some(Self {
            path: snapshot.path,
            content: snapshot.content,
            stamp: snapshot.stamp,
            debounce,
        })
    }

    /// Completes once the file's content differs from the snapshot (or the file appeared or
    /// went away), after the debounce.
    pub async fn changed(&mut self) {
        let mut ticks = tokio::time::interval(POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let now = stamp(&self.path);
            if now == self.stamp {
                continue;
            }
            tokio::time::sleep(self.debounce).await;
            self.stamp = stamp(&self.path);
            let content = read(&self.path);
            if content != self.content {
                self.content = content;
                return;
            }
        }
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: meta.len(),
        modified_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        inode: meta.ino(),
    })
}

fn read(path: &Path) -> Option<Vec<u8>> {
    let limits = rustyclaw_config::regular_file::ReadLimits {
        max_bytes: MAX_BYTES,
        follow_symlinks: true,
    };
    rustyclaw_config::regular_file::read_text(path, limits)
        .ok()
        .map(String::into_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_edit_is_noticed_and_a_touch_or_the_same_text_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openclaw.json");
        std::fs::write(&path, "{}").unwrap();
        assert!(
            ConfigWatch::start(ConfigSnapshot::take(&path), ReloadMode::Off, Duration::ZERO)
                .is_none()
        );
        let snapshot = ConfigSnapshot::take(&path);
        let mut watch = ConfigWatch::start(snapshot, ReloadMode::Hybrid, Duration::ZERO).unwrap();

        // The same text written again changes the stamp, not the content.
        std::fs::write(&path, "{}").unwrap();
        let quiet = tokio::time::timeout(Duration::from_millis(2500), watch.changed()).await;
        assert!(
            quiet.is_err(),
            "rewriting the same text counted as a change"
        );

        // An editor's save by rename.
        let staged = dir.path().join("openclaw.json.tmp");
        std::fs::write(&staged, r#"{"gateway":{"port":1}}"#).unwrap();
        std::fs::rename(&staged, &path).unwrap();
        tokio::time::timeout(Duration::from_secs(5), watch.changed())
            .await
            .expect("the edit was not noticed");
    }

    #[tokio::test]
    async fn an_edit_made_before_the_watch_starts_is_still_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openclaw.json");
        std::fs::write(&path, "{}").unwrap();
        let snapshot = ConfigSnapshot::take(&path);
        // The gateway is still starting when the file changes.
        std::fs::write(&path, r#"{"gateway":{"port":2}}"#).unwrap();
        let mut watch = ConfigWatch::start(snapshot, ReloadMode::Hybrid, Duration::ZERO).unwrap();
        tokio::time::timeout(Duration::from_secs(5), watch.changed())
            .await
            .expect("an edit made during start-up was lost");
    }
}
