//! File plumbing shared by the pairing store and the gateway identity: a cross-process lock,
//! private (0600) atomic writes, and reads that refuse to treat a damaged file as empty.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::DeviceError;

/// An exclusive `flock` on a lock file beside the data files, held for one read-change-write, so
/// the gateway and a `rustyclaw devices …` command running at the same time cannot lose each
/// other's change. Released on drop.
pub(crate) struct Lock {
    _file: File,
}

impl Lock {
    /// Blocks until `path` is locked by this process (creating `path` and its directory).
    pub fn acquire(path: &Path) -> Result<Self, DeviceError> {
        if let Some(dir) = path.parent() {
            ensure_dir(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| DeviceError::io(path, e))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| DeviceError::io(path, e.into()))?;
        Ok(Self { _file: file })
    }
}

/// Creates `dir` (0700) and its parents unless it exists.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), DeviceError> {
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(DeviceError::io(dir, e)),
    }
}

/// Reads and parses a JSON file; `None` when it does not exist. A file that exists but does not
/// parse is an error, so a caller never overwrites it with an empty document.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, DeviceError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(DeviceError::io(path, e)),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| DeviceError::Malformed {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

/// Writes `value` as pretty JSON to `path` atomically: a new 0600 temporary file in the same
/// directory is written and fsynced, then renamed over `path`, so a crash leaves the complete old
/// or the complete new file.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), DeviceError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| DeviceError::Malformed {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_dir(dir)?;
    let tmp = temp_path(path)?;
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        DeviceError::io(path, e)
    })
}

fn temp_path(path: &Path) -> Result<PathBuf, DeviceError> {
    let suffix = hex::encode(random_bytes::<6>()?);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(path.with_file_name(format!(".{name}.{suffix}.tmp")))
}

/// `N` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], DeviceError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| DeviceError::Random(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_are_private_and_damaged_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.json");
        write_json(&path, &serde_json::json!({"a": 1})).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back: serde_json::Value = read_json(&path).unwrap().unwrap();
        assert_eq!(back["a"], 1);
        std::fs::write(&path, "{not json").unwrap();
        let err = read_json::<serde_json::Value>(&path).unwrap_err();
        assert!(err.to_string().contains("x.json"), "{err}");
        assert!(
            read_json::<serde_json::Value>(&dir.path().join("none.json"))
                .unwrap()
                .is_none()
        );
    }
}
