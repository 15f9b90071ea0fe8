//! Unpacking a skill archive (a zip, as ClawHub serves them) into a staging folder with the
//! shared confined unzip ([`crate::unzip`]: no absolute paths, `..`, links or special files),
//! within what a skill has reason to weigh, then finding the skill's root in it.

use std::path::{Path, PathBuf};

use crate::unzip::{self, Limits, UnzipError};

/// What a skill archive may hold: 1,000 entries, 8 MiB a file, 32 MiB in all.
const LIMITS: Limits = Limits {
    max_entries: 1_000,
    max_file_bytes: 8 * 1024 * 1024,
    max_total_bytes: 32 * 1024 * 1024,
    strip: 0,
};

/// Why an archive was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The zip itself was refused.
    #[error("the skill {0}")]
    Unzip(#[from] UnzipError),
    /// Reading the staged files failed.
    #[error("cannot unpack the skill archive: {0}")]
    Write(#[from] std::io::Error),
    /// No `SKILL.md` where a skill's root is.
    #[error("the skill archive has no SKILL.md at its root")]
    NoSkill,
}

/// Unpacks `bytes` into `into` and returns the skill's root folder inside it: `package/` when
/// present, else `into` when `SKILL.md` is at the top, else the single top-level folder.
pub fn unpack(bytes: &[u8], into: &Path) -> Result<PathBuf, ArchiveError> {
    let create = |dir: &Path| std::fs::create_dir_all(dir).map_err(|e| e.to_string());
    unzip::extract(std::io::Cursor::new(bytes), into, LIMITS, &create)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

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
                matches!(
                    unpack(&bytes, tmp.path()),
                    Err(ArchiveError::Unzip(UnzipError::UnsafePath(_)))
                ),
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
            Err(ArchiveError::Unzip(UnzipError::Unreadable(_)))
        ));
    }
}
