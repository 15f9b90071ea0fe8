//! The database and its write-ahead files are readable by their owner only.
//!
//! Transcripts hold everything the user and the model said, tool output included, so
//! `state.sqlite` is created 0600 in a directory created 0700. SQLite creates a new database
//! with 0644 (less the umask), but it opens an existing file as it is and gives the `-wal` and
//! `-shm` files it creates the database file's own mode, so creating the (empty) file first
//! decides the mode of all three. A database left readable by an older version is tightened
//! when it is opened.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// Mode of the database files.
const FILE_MODE: u32 = 0o600;
/// Mode of a directory created to hold the database.
const DIR_MODE: u32 = 0o700;

/// Creates the database's directory (0700) and file (0600) when missing, and makes existing
/// database files private.
pub(crate) fn prepare(path: &Path) -> Result<(), StoreError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty() && !parent.exists())
    {
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(parent)
            .map_err(|source| StoreError::CreateDir {
                path: parent.to_owned(),
                source,
            })?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(|source| StoreError::CreateFile {
            path: path.to_owned(),
            source,
        })?;
    for file in [
        path.to_owned(),
        suffixed(path, "-wal"),
        suffixed(path, "-shm"),
    ] {
        tighten(&file);
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name, as SQLite names its companion files.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes `file` private if it exists and is not. A failure (a file owned by someone else) is
/// reported, not fatal: the database still works, and the warning says what to fix.
fn tighten(file: &Path) {
    let Ok(meta) = std::fs::metadata(file) else {
        return;
    };
    if meta.permissions().mode() & 0o077 == 0 {
        return;
    }
    if let Err(error) = std::fs::set_permissions(file, Permissions::from_mode(FILE_MODE)) {
        tracing::warn!(
            file = %file.display(),
            %error,
            "the database file is readable by other users and could not be made private; run chmod 600 on it"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_a_private_file_in_a_private_directory() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a").join("b").join("state.sqlite");
        prepare(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(db.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
    }

    #[test]
    fn tightens_existing_files_and_keeps_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state.sqlite");
        for file in [&db, &suffixed(&db, "-wal"), &suffixed(&db, "-shm")] {
            std::fs::write(file, "x").unwrap();
            std::fs::set_permissions(file, Permissions::from_mode(0o644)).unwrap();
        }
        prepare(&db).unwrap();
        for file in [&db, &suffixed(&db, "-wal"), &suffixed(&db, "-shm")] {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
        assert_eq!(std::fs::read_to_string(&db).unwrap(), "x");
    }
}
