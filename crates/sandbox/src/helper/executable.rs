//! The helper executable, held open for the life of the process.
//!
//! The helper is the running binary re-executed. Re-executing it by its path breaks after an
//! in-place upgrade: the package manager replaces the file, the path then names the new
//! version (or nothing, `… (deleted)`), and a restart's self-test fails or runs a different
//! program. Holding the file open from the start and executing it through `/proc/<pid>/fd/<n>`
//! keeps the very binary that started, whatever happens to the path.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// An open handle on the helper executable and the path that reaches it through that handle.
#[derive(Debug)]
pub struct HelperExecutable {
    /// Kept open: the path below is valid exactly as long as this is.
    _file: File,
    /// `/proc/<this pid>/fd/<n>`: usable by child processes (bubblewrap mounts it), unlike
    /// `/proc/self/…`, which names each reader's own descriptors.
    path: PathBuf,
    /// Where the file was opened from, for messages.
    origin: PathBuf,
}

impl HelperExecutable {
    /// The running executable (`/proc/self/exe`), opened now. Call it first thing in `main`,
    /// before anything can replace the file.
    pub fn current() -> std::io::Result<Self> {
        Self::open(Path::new("/proc/self/exe"))
    }

    /// The executable at `path` (this crate's tests use their helper binary).
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = File::open(path)?;
        let origin = std::fs::read_link(path).unwrap_or_else(|_| path.to_path_buf());
        let fd_path = PathBuf::from(format!(
            "/proc/{}/fd/{}",
            std::process::id(),
            file.as_raw_fd()
        ));
        Ok(HelperExecutable {
            _file: file,
            path: fd_path,
            origin,
        })
    }

    /// The path to execute (or mount) the helper by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file the handle was opened from (`… (deleted)` after an upgrade removed it).
    pub fn origin(&self) -> &Path {
        &self.origin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_handle_outlives_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("prog");
        std::fs::write(&copy, b"#!/bin/sh\necho held\n").unwrap();
        let helper = HelperExecutable::open(&copy).unwrap();
        std::fs::remove_file(&copy).unwrap();
        assert_eq!(
            std::fs::read(helper.path()).unwrap(),
            b"#!/bin/sh\necho held\n"
        );
        assert_eq!(helper.origin(), copy);
    }
}
