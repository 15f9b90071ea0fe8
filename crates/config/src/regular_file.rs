//! Reading a file that a config names, without trusting what is at that path.
//!
//! A path in a config (an `$include`, a file SecretRef) can be edited remotely through
//! `config.patch`, so it may name `/dev/zero`, `/dev/urandom`, a FIFO that nobody writes to,
//! or a directory. Reading such a path with `read_to_string` either never returns or grows
//! without bound until the process is killed. [`read_text`] accepts only a regular file of at
//! most a given size:
//!
//! - the path is inspected before it is opened, because opening some devices already does
//!   something (a tape rewinds, a watchdog starts);
//! - it is opened non-blocking, so a FIFO swapped in after the inspection cannot block the open,
//!   and the opened file is inspected again, so what is read is what was checked;
//! - at most one byte more than the limit is read, so a file that grows while it is read
//!   cannot take more memory than the limit either.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What [`read_text`] accepts.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Whether a symlink is followed to its target (`false` refuses symlinks).
    pub follow_symlinks: bool,
}

/// Why a file could not be read. The messages complete a sentence that starts with the path.
#[derive(Debug, thiserror::Error)]
pub enum ReadFileError {
    /// The operating system refused (missing file, no permission, …).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The path is something other than a regular file.
    #[error("it is {kind}, not a regular file")]
    NotRegular {
        /// What it is, in words ("a character device", "a FIFO (named pipe)", …).
        kind: &'static str,
    },
    /// The file is larger than allowed.
    #[error("it is larger than {max_bytes} bytes")]
    TooLarge {
        /// The limit.
        max_bytes: u64,
    },
    /// The file is not UTF-8 text.
    #[error("it is not UTF-8 text")]
    NotText,
}

/// Reads the regular file at `path` as UTF-8 text, refusing anything else and anything larger
/// than `limits.max_bytes`.
pub fn read_text(path: &Path, limits: ReadLimits) -> Result<String, ReadFileError> {
    let before = if limits.follow_symlinks {
        std::fs::metadata(path)?
    } else {
        std::fs::symlink_metadata(path)?
    };
    check(&before, limits)?;
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
    if !limits.follow_symlinks {
        flags |= libc::O_NOFOLLOW;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)?;
    check(&file.metadata()?, limits)?;
    read_capped(file, limits.max_bytes)
}

fn check(meta: &Metadata, limits: ReadLimits) -> Result<(), ReadFileError> {
    let kind = meta.file_type();
    let what = if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_symlink() {
        Some("a symlink")
    } else if kind.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if kind.is_char_device() {
        Some("a character device")
    } else if kind.is_block_device() {
        Some("a block device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("a special file")
    };
    if let Some(kind) = what {
        return Err(ReadFileError::NotRegular { kind });
    }
    if meta.len() > limits.max_bytes {
        return Err(ReadFileError::TooLarge {
            max_bytes: limits.max_bytes,
        });
    }
    Ok(())
}

fn read_capped(file: File, max_bytes: u64) -> Result<String, ReadFileError> {
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max_bytes {
        return Err(ReadFileError::TooLarge { max_bytes });
    }
    String::from_utf8(bytes).map_err(|_| ReadFileError::NotText)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    const LIMITS: ReadLimits = ReadLimits {
        max_bytes: 16,
        follow_symlinks: true,
    };

    #[test]
    fn reads_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json5");
        std::fs::write(&path, "{ a: 1 }").unwrap();
        assert_eq!(read_text(&path, LIMITS).unwrap(), "{ a: 1 }");
        std::fs::write(&path, "x".repeat(16)).unwrap();
        assert_eq!(read_text(&path, LIMITS).unwrap().len(), 16);
    }

    #[test]
    fn refuses_devices_directories_and_large_files() {
        for (path, kind) in [
            ("/dev/zero", "a character device"),
            ("/dev/urandom", "a character device"),
            ("/", "a directory"),
        ] {
            let err = read_text(Path::new(path), LIMITS).unwrap_err();
            assert!(
                matches!(err, ReadFileError::NotRegular { kind: k } if k == kind),
                "{path}: {err}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json5");
        std::fs::write(&big, "x".repeat(17)).unwrap();
        let err = read_text(&big, LIMITS).unwrap_err();
        assert_eq!(err.to_string(), "it is larger than 16 bytes");
        let binary = dir.path().join("bin");
        std::fs::write(&binary, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            read_text(&binary, LIMITS).unwrap_err(),
            ReadFileError::NotText
        ));
    }

    // Nobody writes to the FIFO: a blocking open or read would hang the test.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from(0o600)).unwrap();
        let start = Instant::now();
        let err = read_text(&fifo, LIMITS).unwrap_err();
        assert!(
            matches!(err, ReadFileError::NotRegular { kind } if kind.contains("FIFO")),
            "{err}"
        );
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn symlinks_are_refused_unless_followed() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, "v").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(read_text(&link, LIMITS).unwrap(), "v");
        let no_follow = ReadLimits {
            follow_symlinks: false,
            ..LIMITS
        };
        assert!(matches!(
            read_text(&link, no_follow).unwrap_err(),
            ReadFileError::NotRegular { kind: "a symlink" }
        ));
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(matches!(
            read_text(&zero, LIMITS).unwrap_err(),
            ReadFileError::NotRegular { .. }
        ));
    }
}
