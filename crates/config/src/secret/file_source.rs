//! The `file` SecretRef source: a private file read whole or through a JSON pointer.
//!
//! The path comes from the config, which can be edited remotely, so the file is checked before
//! it is read — a regular file, not a symlink, one link, no access for group or others — and
//! read through [`regular_file::read_text`], which checks again what it opened and reads at
//! most `maxBytes`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::{Secret, SecretError};
use crate::file::SecretFileMode;
use crate::regular_file::{self, ReadFileError, ReadLimits};

/// Checks that a secret file is a private regular file with a single link. Reading it then
/// checks again what was opened (see [`regular_file::read_text`]).
fn check_private_file(path: &Path) -> Result<(), SecretError> {
    let unsafe_file = |reason: &str| SecretError::Unsafe {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    let meta = std::fs::symlink_metadata(path).map_err(|e| SecretError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if meta.file_type().is_symlink() {
        return Err(unsafe_file(
            "is a symlink; point the provider at the real file",
        ));
    }
    if !meta.is_file() {
        return Err(unsafe_file("is not a regular file"));
    }
    if meta.nlink() != 1 {
        return Err(unsafe_file(
            "must not be hardlinked; copy it to a new private file",
        ));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(unsafe_file(
            "is readable or writable by group/others; run chmod 600 on it",
        ));
    }
    Ok(())
}

/// The secret `id` of the file provider `provider`, read from `path` in `mode`.
pub(super) fn read(
    provider: &str,
    path: &Path,
    mode: SecretFileMode,
    max_bytes: u64,
    id: &str,
) -> Result<Secret, SecretError> {
    check_private_file(path)?;
    let limits = ReadLimits {
        max_bytes,
        follow_symlinks: false,
    };
    let text = regular_file::read_text(path, limits).map_err(|e| match e {
        ReadFileError::TooLarge { max_bytes } => SecretError::Unsafe {
            path: path.to_path_buf(),
            reason: format!("is larger than maxBytes ({max_bytes})"),
        },
        ReadFileError::NotRegular { .. } => SecretError::Unsafe {
            path: path.to_path_buf(),
            reason: "is not a regular file".to_owned(),
        },
        ReadFileError::Io(e) => SecretError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
        ReadFileError::NotText => SecretError::Read {
            path: path.to_path_buf(),
            message: "the file is not UTF-8 text".to_owned(),
        },
    })?;
    let bad = |reason: &str| SecretError::BadData {
        provider: provider.to_owned(),
        reason: reason.to_owned(),
    };
    match mode {
        SecretFileMode::SingleValue => {
            if id != "value" {
                return Err(SecretError::InvalidId {
                    id: id.to_owned(),
                    source_kind: "file",
                    reason: "singleValue providers take the id \"value\"",
                });
            }
            let value = text.strip_suffix('\n').unwrap_or(&text);
            let value = value.strip_suffix('\r').unwrap_or(value);
            Ok(Secret::from(value.to_owned()))
        }
        SecretFileMode::Json => {
            if !id.starts_with('/') {
                return Err(SecretError::InvalidId {
                    id: id.to_owned(),
                    source_kind: "file",
                    reason: "must be an absolute JSON pointer such as /providers/openai/apiKey",
                });
            }
            let doc: serde_json::Value =
                serde_json::from_str(&text).map_err(|_| bad("file is not valid JSON"))?;
            match doc.pointer(id) {
                Some(serde_json::Value::String(s)) => Ok(Secret::from(s.clone())),
                Some(_) => Err(bad("the value at the pointer is not a string")),
                None => Err(SecretError::NotFound {
                    provider: provider.to_owned(),
                    id: id.to_owned(),
                }),
            }
        }
    }
}
