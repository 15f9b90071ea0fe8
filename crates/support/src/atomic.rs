//! Replacing a file atomically: at every instant the path holds the complete old content or the
//! complete new content, also across a crash or a power cut.
//!
//! The new content goes to a temporary file in the target's own directory (a rename is atomic
//! only within one filesystem), created exclusively under a name no other writer can pick
//! (`.<name>.<16 random hex>.tmp`), given its final permissions before a byte is written, then
//! written, fsynced, renamed over the target, and the directory is fsynced so the rename itself
//! survives a crash. On any failure the temporary file is removed and the target is untouched.
//!
//! What differs between callers — who may read the file, whether a missing directory is
//! created — is a [`WritePolicy`] stated at the call. The mechanics are not negotiable: every
//! write gets a unique temporary name and both fsyncs.

use std::ffi::OsStr;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The permission bits the written file ends up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// Exactly these bits, whatever the replaced file had and whatever the process umask is:
    /// `Exact(0o600)` for a file holding secrets.
    Exact(u32),
    /// The bits of the file being replaced, so a mode the user chose (a config made 0644, a
    /// script made 0755) survives the rewrite; `new` for a file that does not exist yet (or
    /// whose mode cannot be read).
    KeepExisting {
        /// The mode of a newly created file.
        new: u32,
    },
}

/// What happens when the target's directory does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentDir {
    /// It must exist; a missing directory fails the write with `NotFound`.
    MustExist,
    /// It is created, with its missing ancestors, with this mode (less the umask). Directories
    /// that already exist keep theirs.
    Create {
        /// The mode of every directory created.
        mode: u32,
    },
}

impl ParentDir {
    /// Creates `dir` if the policy says so; a directory that exists is left as it is.
    pub(crate) fn prepare(self, dir: &Path) -> io::Result<()> {
        match self {
            Self::MustExist => Ok(()),
            Self::Create { mode } => DirBuilder::new().recursive(true).mode(mode).create(dir),
        }
    }
}

/// How [`write_atomic`] and [`stage`] treat the file and its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WritePolicy {
    /// The written file's permissions.
    pub mode: FileMode,
    /// Whether a missing directory is created, and how.
    pub parent: ParentDir,
}

impl WritePolicy {
    /// A file only its owner may read: exactly 0600, missing directories created 0700.
    pub const PRIVATE: Self = Self {
        mode: FileMode::Exact(0o600),
        parent: ParentDir::Create { mode: 0o700 },
    };
}

/// Replaces the file at `path` with `bytes` atomically under `policy` (see the module docs).
///
/// A symlink at `path` is replaced by the new file, not written through; resolve it first to
/// write its target.
pub fn write_atomic(path: &Path, bytes: &[u8], policy: WritePolicy) -> io::Result<()> {
    stage(path, bytes, policy)?.commit()
}

/// New content written and fsynced beside its target, not yet renamed over it: lets a caller
/// prepare several files and replace them only once every one of them was written. Dropping it
/// without [`commit`](Self::commit) removes the temporary file.
#[derive(Debug)]
pub struct StagedFile {
    temp: PathBuf,
    target: PathBuf,
    dir: PathBuf,
    renamed: bool,
}

/// Writes `bytes` to a new temporary file beside `path` with the permissions `policy` says (see
/// the module docs), ready to be committed over `path`.
pub fn stage(path: &Path, bytes: &[u8], policy: WritePolicy) -> io::Result<StagedFile> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    policy.parent.prepare(&dir)?;
    let mode = match policy.mode {
        FileMode::Exact(mode) => mode,
        FileMode::KeepExisting { new } => fs::metadata(path)
            .map(|meta| meta.permissions().mode())
            .unwrap_or(new),
    } & 0o7777;
    let (mut file, temp) = create_temp(&dir, name, mode)?;
    let staged = StagedFile {
        temp,
        target: path.to_path_buf(),
        dir,
        renamed: false,
    };
    // `open`'s mode is reduced by the umask; set it exactly before any content is written.
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(staged)
}

impl StagedFile {
    /// Renames the staged content over its target, then fsyncs the directory so the rename
    /// survives a crash. An error after the rename (the directory fsync) means the target holds
    /// the new content but its durability is not confirmed.
    pub fn commit(mut self) -> io::Result<()> {
        fs::rename(&self.temp, &self.target)?;
        self.renamed = true;
        File::open(&self.dir)?.sync_all()
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.renamed {
            // Nothing to report to: the write already failed or was abandoned.
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Creates `.<name>.<random>.tmp` in `dir` exclusively (`O_EXCL`, so neither another writer's
/// temporary file nor a planted symlink is ever opened), starting with `mode`.
fn create_temp(dir: &Path, name: &OsStr, mode: u32) -> io::Result<(File, PathBuf)> {
    const ATTEMPTS: usize = 4;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(io::Error::other)?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.tmp", hex(&suffix)));
        let temp = dir.join(temp_name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)
        {
            Ok(file) => return Ok((file, temp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    const KEEP: WritePolicy = WritePolicy {
        mode: FileMode::KeepExisting { new: 0o600 },
        parent: ParentDir::MustExist,
    };

    #[test]
    fn exact_mode_replaces_whatever_the_file_had() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret.json");
        fs::write(&file, "old").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&file, b"new", WritePolicy::PRIVATE).unwrap();
        assert_eq!(mode_of(&file), 0o600);
        // Bits the usual umask (022) would strip are set too: the mode is exact.
        let shared = dir.path().join("shared");
        let policy = WritePolicy {
            mode: FileMode::Exact(0o664),
            parent: ParentDir::MustExist,
        };
        write_atomic(&shared, b"x", policy).unwrap();
        assert_eq!(mode_of(&shared), 0o664);
    }

    #[test]
    fn keep_existing_keeps_the_users_mode_and_uses_new_for_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("openclaw.json");
        fs::write(&config, "old").unwrap();
        fs::set_permissions(&config, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&config, b"new", KEEP).unwrap();
        assert_eq!(mode_of(&config), 0o644);
        let script = dir.path().join("run.sh");
        fs::write(&script, "old").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        write_atomic(&script, b"new", KEEP).unwrap();
        assert_eq!(mode_of(&script), 0o755);
        let fresh = dir.path().join("fresh");
        write_atomic(&fresh, b"x", KEEP).unwrap();
        assert_eq!(mode_of(&fresh), 0o600);
    }

    #[test]
    fn missing_directories_are_created_with_the_policys_mode_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("state").join("devices");
        let file = nested.join("paired.json");
        assert_eq!(
            write_atomic(&file, b"{}", KEEP).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(!dir.path().join("state").exists());
        write_atomic(&file, b"{}", WritePolicy::PRIVATE).unwrap();
        assert_eq!(mode_of(&nested), 0o700);
        assert_eq!(mode_of(&dir.path().join("state")), 0o700);
        assert_eq!(fs::read(&file).unwrap(), b"{}");
    }

    #[test]
    fn the_content_is_replaced_whole_and_no_temporary_file_remains() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        write_atomic(&file, &[b'x'; 10_000], KEEP).unwrap();
        write_atomic(&file, b"short", KEEP).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"short");
        assert_eq!(names_in(dir.path()), ["a.txt"]);
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a directory: the temporary file is written, the rename fails.
        let target = dir.path().join("target");
        fs::create_dir(&target).unwrap();
        assert!(write_atomic(&target, b"x", WritePolicy::PRIVATE).is_err());
        assert!(target.is_dir());
        assert_eq!(names_in(dir.path()), ["target"]);
        // The path names no file at all.
        assert_eq!(
            write_atomic(Path::new("/"), b"x", KEEP).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        // A directory the writer may not write to (root ignores the bits; check where they apply).
        let locked = dir.path().join("locked");
        fs::create_dir(&locked).unwrap();
        let file = locked.join("a.txt");
        fs::write(&file, "old").unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).unwrap();
        let result = write_atomic(&file, b"new", KEEP);
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).unwrap();
        if result.is_err() {
            assert_eq!(fs::read(&file).unwrap(), b"old");
            assert_eq!(names_in(&locked), ["a.txt"]);
        }
    }

    #[test]
    fn a_staged_file_is_private_until_committed_and_removed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        fs::write(&file, "keep").unwrap();
        let staged = stage(&file, b"secret", WritePolicy::PRIVATE).unwrap();
        let names = names_in(dir.path());
        let temp = names
            .iter()
            .find(|n| n.starts_with(".a.txt.") && n.ends_with(".tmp"))
            .unwrap();
        assert_eq!(
            mode_of(&dir.path().join(temp)),
            0o600,
            "mode set before commit"
        );
        drop(staged);
        assert_eq!(fs::read_to_string(&file).unwrap(), "keep");
        assert_eq!(names_in(dir.path()), ["a.txt"]);
        stage(&file, b"new", KEEP).unwrap().commit().unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(names_in(dir.path()), ["a.txt"]);
    }

    #[test]
    fn concurrent_writers_never_share_a_temporary_file() {
        const WRITERS: usize = 8;
        const ROUNDS: usize = 50;
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(dir.path().join("shared.json"));
        let start = Arc::new(Barrier::new(WRITERS));
        let writers: Vec<_> = (0..WRITERS)
            .map(|n| {
                let (file, start) = (file.clone(), start.clone());
                std::thread::spawn(move || {
                    // Each writer's content is recognisable and long enough to interleave.
                    let content = vec![b'a' + u8::try_from(n).unwrap(); 64 * 1024];
                    start.wait();
                    for _ in 0..ROUNDS {
                        write_atomic(&file, &content, WritePolicy::PRIVATE).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let content = fs::read(&*file).unwrap();
        assert_eq!(content.len(), 64 * 1024);
        assert!(
            content.iter().all(|b| *b == content[0]),
            "one writer's whole content"
        );
        assert_eq!(names_in(dir.path()), ["shared.json"]);
    }
}
