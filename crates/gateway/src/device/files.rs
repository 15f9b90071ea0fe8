//! File plumbing shared by the pairing store and the gateway identity: a cross-process lock,
//! private (0600) atomic writes (both `rustyclaw_support`'s, with the policy these files need),
//! and reads that refuse to treat a damaged file as empty.

use std::io::ErrorKind;
use std::path::Path;

use rustyclaw_support::{FileLock, ParentDir, WritePolicy, write_atomic};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::DeviceError;

/// Takes the exclusive lock file `path` (creating it and its directory, 0700) for one
/// read-change-write, so the gateway and a `rustyclaw devices …` command running at the same time
/// cannot lose each other's change. Released on drop.
pub(crate) fn lock(path: &Path) -> Result<FileLock, DeviceError> {
    FileLock::exclusive(path, ParentDir::Create { mode: 0o700 })
        .map_err(|e| DeviceError::io(path, e))
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

/// Writes `value` as pretty JSON to `path` atomically and private (0600, its directory created
/// 0700), so a crash leaves the complete old or the complete new file.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), DeviceError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| DeviceError::Malformed {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes, WritePolicy::PRIVATE).map_err(|e| DeviceError::io(path, e))
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
