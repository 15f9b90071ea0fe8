//! Unpacking a skill archive (a zip, as ClawHub serves them) into a staging folder, refusing
//! anything that could write outside it: absolute paths, `..`, symlinks, special files, and
//! archives larger than a skill has reason to be.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// Entries an archive may hold.
const MAX_ENTRIES: usize = 1_000;
/// Bytes one file may hold once unpacked.
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Bytes the whole archive may hold once unpacked.
const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;

/// Why an archive was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not a zip archive, or a damaged one.
    #[error("the skill archive is not a readable zip file: {0}")]
    Unreadable(String),
    /// An entry would land outside the skill folder.
    #[error("the skill archive holds a path outside its folder: {0:?}")]
    UnsafePath(String),
    /// An entry is a symlink or another special file.
    #[error("the skill archive holds a link or special file: {0:?}")]
    SpecialFile(String),
    /// Too many files, or too large.
    #[error("the skill archive is too large ({0})")]
    TooLarge(String),
    /// Writing the staged files failed.
    #[error("cannot unpack the skill archive: {0}")]
    Write(#[from] std::io::Error),
    /// No `SKILL.md` where a skill's root is.
    #[error("the skill archive has no SKILL.md at its root")]
    NoSkill,
}

/// Unpacks `bytes` into `into` and returns the skill's root folder inside it: `package/` when
/// present, else `into` when `SKILL.md` is at the top, else the single top-level folder.
pub fn unpack(bytes: &[u8], into: &Path) -> Result<PathBuf, ArchiveError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(ArchiveError::TooLarge(format!(
            "{} entries, at most {MAX_ENTRIES}",
            zip.len()
        )));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
        let name = entry.name().to_owned();
        let rel = safe_relative(&name).ok_or_else(|| ArchiveError::UnsafePath(name.clone()))?;
        let mode = entry.unix_mode();
        let kind = mode.map(|m| m & 0o170_000);
        if kind.is_some_and(|k| k != 0 && k != 0o100_000 && k != 0o040_000) {
            return Err(ArchiveError::SpecialFile(name));
        }
        let target = into.join(&rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        if entry.size() > MAX_FILE_BYTES {
            return Err(ArchiveError::TooLarge(format!(
                "{name} is {} bytes",
                entry.size()
            )));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut data = Vec::new();
        (&mut entry)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(|e| ArchiveError::Unreadable(e.to_string()))?;
        if data.len() as u64 > MAX_FILE_BYTES {
            return Err(ArchiveError::TooLarge(format!(
                "{name} is larger than it says"
            )));
        }
        total += data.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(ArchiveError::TooLarge(format!(
                "more than {MAX_TOTAL_BYTES} bytes unpacked"
            )));
        }
        std::fs::write(&target, &data)?;
        let executable = mode.is_some_and(|m| m & 0o111 != 0);
        std::fs::set_permissions(
            &target,
            std::fs::Permissions::from_mode(if executable { 0o755 } else { 0o644 }),
        )?;
    }
    let package = into.join("package");
    if package.join("SKILL.md").is_file() {
        return Ok(package);
    }
    if ["SKILL.md", "skill.md", "SKILL.MD", "skills.md"]
        .iter()
        .any(|n| into.join(n).is_file())
    {
        return Ok(into.to_path_buf());
    }
    let top: Vec<PathBuf> = std::fs::read_dir(into)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    match top.as_slice() {
        [only] if only.join("SKILL.md").is_file() => Ok(only.clone()),
        _ => Err(ArchiveError::NoSkill),
    }
}

/// `name` as a relative path made of normal components only.
fn safe_relative(name: &str) -> Option<PathBuf> {
    if name.contains('\\') || name.contains('\0') {
        return None;
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data, mode) in files {
            let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
            out.start_file(*name, options).unwrap();
            out.write_all(data).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_root_skill_unpacks_with_its_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = zip_of(&[
            ("SKILL.md", b"---\nname: x\ndescription: d\n---\n", 0o644),
            ("bin/run.sh", b"#!/bin/sh\n", 0o755),
        ]);
        let root = unpack(&bytes, tmp.path()).unwrap();
        assert_eq!(root, tmp.path());
        let mode = std::fs::metadata(root.join("bin/run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    #[test]
    fn traversal_and_absolute_paths_are_refused() {
        for name in ["../evil.sh", "/etc/evil", "a/../../evil"] {
            let tmp = tempfile::tempdir().unwrap();
            let bytes = zip_of(&[(name, b"x", 0o644)]);
            assert!(
                matches!(unpack(&bytes, tmp.path()), Err(ArchiveError::UnsafePath(_))),
                "{name}"
            );
        }
    }

    #[test]
    fn a_single_top_folder_is_the_root_and_no_skill_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = zip_of(&[(
            "weather-1.0/SKILL.md",
            b"---\nname: w\ndescription: d\n---\n",
            0o644,
        )]);
        assert_eq!(
            unpack(&bytes, tmp.path()).unwrap(),
            tmp.path().join("weather-1.0")
        );
        let tmp = tempfile::tempdir().unwrap();
        let bytes = zip_of(&[("README.md", b"x", 0o644)]);
        assert!(matches!(
            unpack(&bytes, tmp.path()),
            Err(ArchiveError::NoSkill)
        ));
        assert!(matches!(
            unpack(b"not a zip", tmp.path()),
            Err(ArchiveError::Unreadable(_))
        ));
    }
}
