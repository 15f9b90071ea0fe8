//! Exclusive lock files: one read-change-write of a file at a time, across processes.
//!
//! The gateway and a `rustyclaw …` command may change the same file at the same moment (the
//! pairing store, the vault). An atomic write keeps each file whole, but two read-change-write
//! cycles can still lose one change; an `flock` on a lock file beside the data, held for the
//! whole cycle, orders them.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::ParentDir;

/// An exclusive advisory lock (`flock`) on a lock file, held until dropped.
///
/// The lock belongs to the open file, so it is released when the process dies too: a crash never
/// leaves a stale lock behind. The lock file itself stays (empty) and is reused.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Blocks until this process holds the exclusive lock on `path`. A missing lock file is
    /// created with mode 0600 (an existing one is never truncated); a missing directory is
    /// created or refused as `parent` says.
    pub fn exclusive(path: &Path, parent: ParentDir) -> io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            parent.prepare(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        let first = FileLock::exclusive(&path, ParentDir::MustExist).unwrap();
        let acquired = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (path, acquired) = (path.clone(), acquired.clone());
            std::thread::spawn(move || {
                let _second = FileLock::exclusive(&path, ParentDir::MustExist).unwrap();
                acquired.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        assert!(!acquired.load(Ordering::SeqCst), "the lock is exclusive");
        drop(first);
        waiter.join().unwrap();
        assert!(acquired.load(Ordering::SeqCst));
    }

    #[test]
    fn the_lock_file_is_private_never_truncated_and_its_directory_follows_the_policy() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        drop(FileLock::exclusive(&path, ParentDir::MustExist).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(&path, "pid 1").unwrap();
        drop(FileLock::exclusive(&path, ParentDir::MustExist).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "pid 1");
        let nested = dir.path().join("missing/.lock");
        assert!(FileLock::exclusive(&nested, ParentDir::MustExist).is_err());
        drop(FileLock::exclusive(&nested, ParentDir::Create { mode: 0o700 }).unwrap());
        let dir_mode = std::fs::metadata(dir.path().join("missing"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }
}
