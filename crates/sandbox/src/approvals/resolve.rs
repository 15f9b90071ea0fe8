//! Which file a command's first word runs, decided the way the shell would, minus the tricks.
//!
//! A bare name is looked up in the command's `PATH` (absolute entries only: a relative entry
//! would make the answer depend on the working directory). A name with a slash must be an
//! absolute path: `./x`, `../x` and `bin/x` are relative to a directory the agent controls, so
//! they are refused. Policy then looks at the *canonical* path (symlinks and `..` resolved), so
//! an allowlisted path cannot be reached through a link that points elsewhere, and a safe bin
//! counts only when its canonical file lives in a trusted system directory that nobody else can
//! write to.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::shell::Word;

/// Where an executable was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The path the shell would run (`PATH` entry joined with the name, or the absolute path as
    /// written). Commands are pinned to this path, which keeps multi-call binaries working.
    pub path: PathBuf,
    /// `path` with every symlink and `..` resolved: what allowlist patterns are matched against.
    pub canonical: PathBuf,
    /// The program's name (the file name of `path`), which selects a safe-bin profile.
    pub name: String,
}

/// Why the first word of a segment names no file policy can judge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unresolved {
    /// The word contains a variable, glob or `~`, so the program is chosen at run time.
    #[error("the program name {0:?} is computed by the shell")]
    Expands(String),
    /// A relative path such as `./x` or `../bin/x`.
    #[error("the program {0:?} is a relative path")]
    Relative(String),
    /// No executable file by that name on `PATH` (also shell keywords and builtins).
    #[error("{0:?} is not an executable on PATH")]
    NotFound(String),
    /// The absolute path does not name an executable file.
    #[error("{0:?} is not an executable file")]
    NotExecutable(String),
}

/// Resolves the first word of a segment against `search_path` (a `PATH` value).
pub fn resolve(word: &Word, search_path: &OsStr) -> Result<Resolved, Unresolved> {
    let name = word.text.as_str();
    if word.expands || name.is_empty() {
        return Err(Unresolved::Expands(word.raw.clone()));
    }
    if name.contains('/') {
        if !name.starts_with('/') {
            return Err(Unresolved::Relative(name.to_owned()));
        }
        let path = PathBuf::from(name);
        return found(&path).ok_or_else(|| Unresolved::NotExecutable(name.to_owned()));
    }
    std::env::split_paths(search_path)
        .filter(|dir| dir.is_absolute())
        .find_map(|dir| found(&dir.join(name)))
        .ok_or_else(|| Unresolved::NotFound(name.to_owned()))
}

fn found(path: &Path) -> Option<Resolved> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return None;
    }
    let canonical = fs::canonicalize(path).ok()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    Some(Resolved {
        path: path.to_owned(),
        canonical,
        name,
    })
}

/// Directories whose programs may serve as safe bins (upstream's minimal default): `/bin` and
/// `/usr/bin`, canonicalised (on merged-`/usr` systems both are `/usr/bin`).
pub const TRUSTED_SAFE_BIN_DIRS: [&str; 2] = ["/bin", "/usr/bin"];

/// Whether `resolved` may be trusted as a safe bin: its canonical file sits directly in a
/// trusted directory, and neither the file nor that directory is writable by group or others
/// (a writable directory would let someone else swap the program).
pub fn in_trusted_dir(resolved: &Resolved) -> bool {
    let Some(dir) = resolved.canonical.parent() else {
        return false;
    };
    let trusted = TRUSTED_SAFE_BIN_DIRS
        .iter()
        .filter_map(|d| fs::canonicalize(d).ok())
        .any(|d| d == dir);
    let locked = |p: &Path| fs::metadata(p).is_ok_and(|m| m.mode() & 0o022 == 0);
    trusted && locked(dir) && locked(&resolved.canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn word(text: &str) -> Word {
        Word {
            text: text.into(),
            raw: text.into(),
            expands: false,
        }
    }

    fn executable(path: &Path) {
        fs::write(path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn bare_names_follow_path_in_order_and_skip_relative_entries() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        executable(&b.join("tool"));
        fs::write(a.join("tool"), "not executable").unwrap();
        let path = std::env::join_paths([PathBuf::from("rel"), a.clone(), b.clone()]).unwrap();
        let r = resolve(&word("tool"), &path).unwrap();
        assert_eq!(r.path, b.join("tool"), "a non-executable file is skipped");
        assert_eq!(r.name, "tool");
        assert!(matches!(
            resolve(&word("nope"), &path),
            Err(Unresolved::NotFound(_))
        ));
    }

    #[test]
    fn relative_and_computed_program_names_are_refused() {
        let path = OsStr::new("/usr/bin:/bin");
        for relative in ["./x", "../bin/ls", "bin/ls"] {
            assert!(
                matches!(resolve(&word(relative), path), Err(Unresolved::Relative(_))),
                "{relative}"
            );
        }
        let computed = Word {
            text: "$X".into(),
            raw: "$X".into(),
            expands: true,
        };
        assert!(matches!(
            resolve(&computed, path),
            Err(Unresolved::Expands(_))
        ));
    }

    #[test]
    fn the_canonical_path_sees_through_links_and_dot_dot() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::create_dir_all(&real).unwrap();
        executable(&real.join("evil"));
        let bin = dir.path().join("bin");
        fs::create_dir_all(&bin).unwrap();
        symlink(real.join("evil"), bin.join("rg")).unwrap();
        let r = resolve(&word(&bin.join("rg").display().to_string()), OsStr::new("")).unwrap();
        assert_eq!(r.path, bin.join("rg"));
        assert_eq!(r.canonical, fs::canonicalize(real.join("evil")).unwrap());
        let dotted = format!("{}/../real/evil", bin.display());
        let r = resolve(&word(&dotted), OsStr::new("")).unwrap();
        assert_eq!(r.canonical, fs::canonicalize(real.join("evil")).unwrap());
    }

    #[test]
    fn a_safe_bin_name_outside_the_system_directories_is_not_trusted() {
        let system = resolve(&word("head"), OsStr::new("/usr/bin:/bin")).unwrap();
        assert!(in_trusted_dir(&system), "{system:?}");
        let dir = tempfile::tempdir().unwrap();
        executable(&dir.path().join("head"));
        let path = std::env::join_paths([dir.path(), Path::new("/usr/bin")]).unwrap();
        let shadow = resolve(&word("head"), &path).unwrap();
        assert_eq!(shadow.name, "head");
        assert!(!in_trusted_dir(&shadow));
        // A link from a trusted-looking name to a file elsewhere is judged by its target.
        let link_dir = tempfile::tempdir().unwrap();
        symlink(dir.path().join("head"), link_dir.path().join("head")).unwrap();
        let linked = resolve(
            &word(&link_dir.path().join("head").display().to_string()),
            OsStr::new(""),
        )
        .unwrap();
        assert!(!in_trusted_dir(&linked));
    }
}
