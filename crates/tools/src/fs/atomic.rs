//! Atomic file replacement and the blocking-I/O bridge of the file tools.
//!
//! A file is written to a temporary sibling and renamed over the target, so a reader (or a crash)
//! sees the old content or the new one, never half of it: `rustyclaw_support`'s atomic write,
//! with the tools' policy (the file's mode kept, directories made by the caller).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rustyclaw_support::{FileMode, ParentDir, StagedFile, WritePolicy};

use crate::tool::ToolError;

/// Runs blocking filesystem work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    tool: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ToolError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ToolError::Fatal {
            tool: tool.to_owned(),
            reason: format!("file worker failed: {e}"),
        })
}

/// How the file tools replace a file: a file the user gave a mode (an executable script, a
/// shared config) keeps it; a new file is 0600. Directories are the caller's business
/// ([`create_dirs`]), so a failed write can remove the ones it made.
const TOOL_WRITE: WritePolicy = WritePolicy {
    mode: FileMode::KeepExisting { new: 0o600 },
    parent: ParentDir::MustExist,
};

/// Writes `contents` to a temporary file beside `target` (see [`rustyclaw_support::stage`]),
/// ready to be committed over it. The parent directory must exist.
pub(crate) fn stage(target: &Path, contents: &[u8]) -> io::Result<StagedFile> {
    rustyclaw_support::stage(target, contents, TOOL_WRITE)
}

/// Replaces `target` with `contents` atomically.
pub(crate) fn write_atomic(target: &Path, contents: &[u8]) -> io::Result<()> {
    rustyclaw_support::write_atomic(target, contents, TOOL_WRITE)
}

/// Creates `dir` and its missing ancestors; returns the directories it created, outermost first,
/// so a failed operation can remove them again.
pub(crate) fn create_dirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && fs::symlink_metadata(d).is_err())
        .collect();
    let mut created = Vec::new();
    for d in missing.into_iter().rev() {
        match fs::create_dir(d) {
            Ok(()) => created.push(d.to_path_buf()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                remove_dirs(&created);
                return Err(e);
            }
        }
    }
    Ok(created)
}

/// Removes directories made by [`create_dirs`] (innermost first) if they are still empty.
pub(crate) fn remove_dirs(created: &[PathBuf]) {
    for d in created.iter().rev() {
        // Not empty means something else put a file there since; leave it.
        let _ = fs::remove_dir(d);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn replaces_content_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.sh");
        fs::write(&file, "old").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
        write_atomic(&file, b"new").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o755
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_dropped_stage_leaves_the_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        fs::write(&file, "keep").unwrap();
        drop(stage(&file, b"discard").unwrap());
        assert_eq!(fs::read_to_string(&file).unwrap(), "keep");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn creates_and_removes_only_missing_directories() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        let created = create_dirs(&dir.path().join("a/b/c")).unwrap();
        assert_eq!(
            created,
            vec![dir.path().join("a/b"), dir.path().join("a/b/c")]
        );
        remove_dirs(&created);
        assert!(dir.path().join("a").is_dir());
        assert!(!dir.path().join("a/b").exists());
    }
}
