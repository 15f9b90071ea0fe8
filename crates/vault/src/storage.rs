//! Files of the vault directory: permission checks, the writer lock and atomic replacement (with
//! the vault's policy), and the key file.
//!
//! Everything the vault writes is created owner-only (directory 0700, files 0600) and everything
//! it reads must still be: a credential file that other users can read is refused with a message
//! naming the file and the `chmod` that fixes it, rather than used.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rustyclaw_support::{FileLock, FileMode, ParentDir, WritePolicy};
use zeroize::Zeroizing;

use crate::crypto::{KEY_LEN, Key};
use crate::error::VaultError;

/// Reads a private file; `Ok(None)` when it does not exist. The content is wiped on drop.
pub(crate) fn read_private(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(VaultError::io(path, e)),
    };
    if meta.file_type().is_symlink() {
        return Err(unsafe_path(
            path,
            "is a symlink; the vault only reads regular files",
        ));
    }
    if !meta.is_file() {
        return Err(unsafe_path(path, "is not a regular file"));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(unsafe_path(
            path,
            "is accessible to group/others; run chmod 600 on it",
        ));
    }
    std::fs::read(path)
        .map(|bytes| Some(Zeroizing::new(bytes)))
        .map_err(|e| VaultError::io(path, e))
}

/// Checks an existing vault directory: a real directory only its owner can enter.
pub(crate) fn check_dir(dir: &Path) -> Result<bool, VaultError> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(VaultError::io(dir, e)),
    };
    if !meta.is_dir() {
        return Err(unsafe_path(dir, "is not a directory"));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(unsafe_path(
            dir,
            "is accessible to group/others; run chmod 700 on it",
        ));
    }
    Ok(true)
}

/// Creates the vault directory (0700) unless it exists, then checks it.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), VaultError> {
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(VaultError::io(dir, e)),
    }
    check_dir(dir).map(|_| ())
}

/// Takes the exclusive lock on the vault directory (the lock file `path`, 0600), held while a
/// writer reads, changes and replaces `vault.json`, so two concurrent `set`s cannot lose each
/// other's record. Released on drop. The directory exists: [`ensure_dir`] made and checked it.
pub(crate) fn lock(path: &Path) -> Result<FileLock, VaultError> {
    FileLock::exclusive(path, ParentDir::MustExist).map_err(|e| VaultError::io(path, e))
}

/// How the vault replaces its files: exactly 0600, and only in the directory [`ensure_dir`]
/// made and checked, never one created on the way.
const VAULT_FILE: WritePolicy = WritePolicy {
    mode: FileMode::Exact(0o600),
    parent: ParentDir::MustExist,
};

/// Replaces `path` with `bytes` atomically (see [`rustyclaw_support::write_atomic`]), so a crash
/// leaves either the complete old file or the complete new one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    rustyclaw_support::write_atomic(path, bytes, VAULT_FILE).map_err(|e| VaultError::io(path, e))
}

/// Reads the key file: 64 hex characters (32 bytes), optionally followed by a newline.
pub(crate) fn read_key_file(path: &Path) -> Result<Option<Key>, VaultError> {
    let Some(text) = read_private(path)? else {
        return Ok(None);
    };
    let malformed = || VaultError::Malformed {
        path: path.to_path_buf(),
        reason: format!("a key file holds {} hex characters", KEY_LEN * 2),
    };
    let trimmed = text.trim_ascii();
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    hex::decode_to_slice(trimmed, bytes.as_mut_slice()).map_err(|_| malformed())?;
    Ok(Some(Key::from_bytes(bytes)))
}

/// Creates a new key file with a random key; fails if one exists (the caller holds the lock).
pub(crate) fn create_key_file(path: &Path) -> Result<Key, VaultError> {
    let key = Key::random()?;
    let mut text = Zeroizing::new(hex::encode(key.bytes()));
    text.push('\n');
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        File::open(path.parent().unwrap_or(Path::new(".")))?.sync_all()
    })();
    result.map_err(|e| VaultError::io(path, e))?;
    Ok(key)
}

fn unsafe_path(path: &Path, reason: &'static str) -> VaultError {
    VaultError::Unsafe {
        path: path.to_path_buf(),
        reason,
    }
}
