//! Unpacking a zip into a folder, refusing anything that could write outside it: absolute
//! paths, `..`, links, special files, and more entries or bytes than the caller allows. Shared
//! by ClawHub skill archives and the downloads of skills' install steps.

use std::io::{Read, Seek};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// What one archive may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Entries.
    pub max_entries: usize,
    /// Bytes of one file, unpacked.
    pub max_file_bytes: u64,
    /// Bytes of all files, unpacked.
    pub max_total_bytes: u64,
    /// Leading path components dropped from every entry (an entry left with none is skipped).
    pub strip: u32,
}

/// Why an archive was refused.
#[derive(Debug, thiserror::Error)]
pub enum UnzipError {
    /// Not a zip archive, or a damaged one.
    #[error("the archive is not a readable zip file: {0}")]
    Unreadable(String),
    /// An entry would land outside the folder.
    #[error("the archive holds a path outside its folder: {0:?}")]
    UnsafePath(String),
    /// An entry is a link or another special file.
    #[error("the archive holds a link or special file: {0:?}")]
    SpecialFile(String),
    /// Too many files, or too large.
    #[error("the archive is too large ({0})")]
    TooLarge(String),
    /// A directory on the way was refused by the caller (a planted link).
    #[error("{0}")]
    Refused(String),
    /// Writing a file failed.
    #[error("cannot unpack the archive: {0}")]
    Write(#[from] std::io::Error),
}

/// Unpacks `reader` into `into`, modes reduced to 0755 or 0644. `prepare_dir` is asked to create
/// every directory a file goes in (it may refuse one). Returns the files written.
pub(crate) fn extract<R: Read + Seek>(
    reader: R,
    into: &Path,
    limits: Limits,
    prepare_dir: &dyn Fn(&Path) -> Result<(), String>,
) -> Result<usize, UnzipError> {
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| UnzipError::Unreadable(e.to_string()))?;
    if zip.len() > limits.max_entries {
        return Err(UnzipError::TooLarge(format!(
            "{} entries, at most {}",
            zip.len(),
            limits.max_entries
        )));
    }
    let (mut total, mut written) = (0u64, 0usize);
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| UnzipError::Unreadable(e.to_string()))?;
        let name = entry.name().to_owned();
        let rel = safe_relative(&name).ok_or_else(|| UnzipError::UnsafePath(name.clone()))?;
        let mode = entry.unix_mode();
        let kind = mode.map(|m| m & 0o170_000);
        if kind.is_some_and(|k| k != 0 && k != 0o100_000 && k != 0o040_000) {
            return Err(UnzipError::SpecialFile(name));
        }
        let kept: PathBuf = rel.components().skip(limits.strip as usize).collect();
        if kept.as_os_str().is_empty() {
            continue;
        }
        let target = into.join(&kept);
        if entry.is_dir() {
            prepare_dir(&target).map_err(UnzipError::Refused)?;
            continue;
        }
        if entry.size() > limits.max_file_bytes {
            return Err(UnzipError::TooLarge(format!(
                "{name} is {} bytes",
                entry.size()
            )));
        }
        if let Some(parent) = target.parent() {
            prepare_dir(parent).map_err(UnzipError::Refused)?;
        }
        // Streamed to the file (a download's files can be large), never more than allowed.
        // A link left at the target by an earlier unpack is replaced, never written through.
        let _ = std::fs::remove_file(&target);
        let mut out = std::fs::File::create(&target)?;
        let budget = limits.max_file_bytes.min(limits.max_total_bytes - total);
        let copied = std::io::copy(&mut (&mut entry).take(budget + 1), &mut out)
            .map_err(|e| UnzipError::Unreadable(format!("{name}: {e}")))?;
        drop(out);
        if copied > budget {
            let _ = std::fs::remove_file(&target);
            return Err(UnzipError::TooLarge(if copied > limits.max_file_bytes {
                format!("{name} is larger than it says")
            } else {
                format!("more than {} bytes unpacked", limits.max_total_bytes)
            }));
        }
        total += copied;
        let executable = mode.is_some_and(|m| m & 0o111 != 0);
        std::fs::set_permissions(
            &target,
            std::fs::Permissions::from_mode(if executable { 0o755 } else { 0o644 }),
        )?;
        written += 1;
    }
    Ok(written)
}

/// `name` as a relative path made of normal components only.
fn safe_relative(name: &str) -> Option<PathBuf> {
    if name.contains('\\') || name.contains('\0') {
        return None;
    }
    let mut out = PathBuf::new();
    for part in Path::new(name).components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}
