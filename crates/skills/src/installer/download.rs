//! A `download` install step: the file is fetched by the gateway (at most 256 MiB, its SHA-256
//! checked before anything is kept), then unpacked into the skill's tools folder — a zip by the
//! gateway, every entry confined to the folder and 1 GiB in all at most; a tar by the system's
//! `tar` inside the sandbox, which can write nothing else — and the programs it names are
//! linked into `.bin`. Every directory the gateway writes through is checked to be a real
//! directory, not a link something unpacked earlier could have planted.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::plan::DownloadStep;

/// Largest download accepted, as upstream.
pub const MAX_DOWNLOAD_BYTES: u64 = 256 * 1024 * 1024;

/// Largest number of entries a zip may unpack to.
const MAX_ZIP_ENTRIES: usize = 100_000;

/// Largest total size a zip may unpack to.
const MAX_UNPACKED_BYTES: u64 = 1024 * 1024 * 1024;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The request failed or was answered with an error.
    #[error("download of {url} failed: {detail}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The body was larger than [`MAX_DOWNLOAD_BYTES`].
    #[error("download of {url} is larger than 256 MiB; refused")]
    TooLarge {
        /// The URL.
        url: String,
    },
    /// The SHA-256 did not match.
    #[error(
        "download of {url} has SHA-256 {actual}, but the skill expects {expected}; nothing was kept"
    )]
    Digest {
        /// The URL.
        url: String,
        /// The digest the skill names.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// The zip could not be read or holds an entry that would land outside its folder.
    #[error("cannot unpack {file}: {detail}")]
    Archive {
        /// The archive.
        file: String,
        /// Why.
        detail: String,
    },
    /// A directory on the way is a link (something unpacked earlier planted it).
    #[error("refusing to write through {}: it is a link, not a directory", path.display())]
    Link {
        /// The link.
        path: PathBuf,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` under `root` (which must exist), refusing when `dir` is outside `root` or when
/// any directory from `root` down to it is a link.
pub fn plain_dirs(root: &Path, dir: &Path) -> Result<(), DownloadError> {
    let Ok(relative) = dir.strip_prefix(root) else {
        return Err(DownloadError::Link {
            path: dir.to_path_buf(),
        });
    };
    let mut current = root.to_path_buf();
    if std::fs::symlink_metadata(&current).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(DownloadError::Link { path: current });
    }
    for part in relative.components() {
        let Component::Normal(name) = part else {
            return Err(DownloadError::Link {
                path: dir.to_path_buf(),
            });
        };
        current.push(name);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() || !meta.is_dir() => {
                return Err(DownloadError::Link { path: current });
            }
            Ok(_) => {}
            Err(_) => std::fs::create_dir(&current).map_err(io(&current))?,
        }
    }
    Ok(())
}

/// A partial download, removed unless kept (also when the download is abandoned midway, as
/// when its deadline drops the future).
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Fetches `step.url` into `step.target_dir/<file name>`, checking its size and digest; a
/// failed, refused or abandoned download leaves no file behind. `root` is the tools
/// directory, which every directory written through must be inside. Returns the saved file
/// and its size.
pub async fn fetch(
    client: &reqwest::Client,
    root: &Path,
    step: &DownloadStep,
) -> Result<(PathBuf, u64), DownloadError> {
    let fail = |detail: String| DownloadError::Fetch {
        url: step.url.clone(),
        detail,
    };
    let mut response = client
        .get(&step.url)
        .send()
        .await
        .map_err(|e| fail(describe(e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fail(format!("the server answered {status}")));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_DOWNLOAD_BYTES)
    {
        return Err(DownloadError::TooLarge {
            url: step.url.clone(),
        });
    }
    plain_dirs(root, &step.target_dir)?;
    let partial = step.target_dir.join(format!(".{}.part", step.file_name));
    let mut guard = Partial(Some(partial.clone()));
    let result = async {
        let mut file = std::fs::File::create(&partial).map_err(io(&partial))?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = response.chunk().await.map_err(|e| fail(describe(e)))? {
            size += chunk.len() as u64;
            if size > MAX_DOWNLOAD_BYTES {
                return Err(DownloadError::TooLarge {
                    url: step.url.clone(),
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).map_err(io(&partial))?;
        }
        file.sync_all().map_err(io(&partial))?;
        let actual = hex::encode(hasher.finalize());
        if let Some(expected) = &step.sha256
            && *expected != actual
        {
            return Err(DownloadError::Digest {
                url: step.url.clone(),
                expected: expected.clone(),
                actual,
            });
        }
        Ok(size)
    }
    .await;
    let size = result?;
    let saved = step.target_dir.join(&step.file_name);
    if std::fs::symlink_metadata(&saved).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(DownloadError::Link { path: saved });
    }
    std::fs::rename(&partial, &saved).map_err(io(&saved))?;
    guard.0 = None;
    Ok((saved, size))
}

/// A reqwest error with its causes, without its URL (the message names the URL once already).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Unpacks the zip `archive` into `into` (inside `root`), dropping `strip` leading components of
/// every entry, with the shared confined unzip ([`crate::unzip`]): entries that would land
/// outside `into`, links, special files, a directory on the way that is a link, and more than
/// 1 GiB in all are refused.
pub fn unzip(archive: &Path, root: &Path, into: &Path, strip: u32) -> Result<usize, DownloadError> {
    let file = std::fs::File::open(archive).map_err(io(archive))?;
    let limits = crate::unzip::Limits {
        max_entries: MAX_ZIP_ENTRIES,
        max_file_bytes: MAX_UNPACKED_BYTES,
        max_total_bytes: MAX_UNPACKED_BYTES,
        strip,
    };
    let prepare = |dir: &Path| plain_dirs(root, dir).map_err(|e| e.to_string());
    crate::unzip::extract(std::io::BufReader::new(file), into, limits, &prepare).map_err(|e| {
        DownloadError::Archive {
            file: archive.display().to_string(),
            detail: e.to_string(),
        }
    })
}

/// Removes links under `dir` whose target resolves outside `dir` (a tar may carry them; the
/// sandbox that unpacked it could not follow them, but a command run later might). Returns the
/// links removed, relative to `dir`.
pub fn remove_escaping_links(dir: &Path) -> Vec<String> {
    let Ok(root) = dir.canonicalize() else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                let inside = path.canonicalize().is_ok_and(|t| t.starts_with(&root));
                if !inside && std::fs::remove_file(&path).is_ok() {
                    removed.push(
                        path.strip_prefix(&root)
                            .unwrap_or(&path)
                            .display()
                            .to_string(),
                    );
                }
            } else if kind.is_dir() {
                stack.push(path);
            }
        }
    }
    removed.sort();
    removed
}

/// Finds the executable file named `bin` under `dir` (a `bin/` folder first, then anywhere
/// up to four levels deep).
pub fn find_program(dir: &Path, bin: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let is_program = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    let mut level = vec![dir.to_path_buf()];
    for _ in 0..=4 {
        let mut next = Vec::new();
        let mut found = Vec::new();
        for current in &level {
            let Ok(entries) = std::fs::read_dir(current) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push(path);
                } else if entry.file_name() == bin && is_program(&path) {
                    found.push(path);
                }
            }
        }
        found.sort_by_key(|p| {
            (
                p.parent().and_then(Path::file_name) != Some(std::ffi::OsStr::new("bin")),
                p.clone(),
            )
        });
        if let Some(first) = found.into_iter().next() {
            return Some(first);
        }
        next.sort();
        level = next;
    }
    None
}

/// Links `program` into `bin_dir` (inside `root`) as `name`, replacing an older link of that
/// name, and returns what that link pointed to when it pointed elsewhere. Refuses to replace a
/// file that is not a link.
pub fn link_program(
    root: &Path,
    bin_dir: &Path,
    name: &str,
    program: &Path,
) -> Result<Option<PathBuf>, DownloadError> {
    plain_dirs(root, bin_dir)?;
    let link = bin_dir.join(name);
    let previous = std::fs::read_link(&link).ok().filter(|old| old != program);
    if let Ok(meta) = std::fs::symlink_metadata(&link) {
        if !meta.file_type().is_symlink() {
            return Err(DownloadError::Io {
                path: link,
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a program of that name that is not a link is already there",
                ),
            });
        }
        std::fs::remove_file(&link).map_err(io(&link))?;
    }
    std::os::unix::fs::symlink(program, &link).map_err(io(&link))?;
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(entries: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut writer = zip::ZipWriter::new(&mut buf);
            for (name, body, mode) in entries {
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored)
                    .unix_permissions(*mode);
                writer.start_file(*name, options).unwrap();
                writer.write_all(body).unwrap();
            }
            writer.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn a_zip_unpacks_inside_with_components_stripped_and_modes_kept() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("t.zip");
        std::fs::write(
            &archive,
            zip_with(&[
                ("tool-1.0/bin/tool", b"#!/bin/sh\necho hi\n", 0o755),
                ("tool-1.0/README", b"readme", 0o644),
            ]),
        )
        .unwrap();
        let into = dir.path().join("out");
        assert_eq!(unzip(&archive, dir.path(), &into, 1).unwrap(), 2);
        assert_eq!(find_program(&into, "tool"), Some(into.join("bin/tool")));
        assert_eq!(find_program(&into, "README"), None, "not executable");
    }

    #[test]
    fn a_zip_entry_that_climbs_out_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a/b");
        std::fs::create_dir_all(&root).unwrap();
        let archive = dir.path().join("evil.zip");
        std::fs::write(&archive, zip_with(&[("../../escape", b"x", 0o644)])).unwrap();
        let err = unzip(&archive, &root, &root.join("out"), 0).unwrap_err();
        assert!(err.to_string().contains("outside its folder"), "{err}");
        // `out/../../escape` would be `a/escape`.
        assert!(!dir.path().join("a/escape").exists());
    }

    #[test]
    fn nothing_is_written_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tools");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("skill")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("skill/runtime")).unwrap();
        let err = plain_dirs(&root, &root.join("skill/runtime/bin")).unwrap_err();
        assert!(matches!(err, DownloadError::Link { .. }), "{err}");
        let archive = dir.path().join("t.zip");
        std::fs::write(&archive, zip_with(&[("runtime/x", b"x", 0o644)])).unwrap();
        assert!(unzip(&archive, &root, &root.join("skill"), 0).is_err());
        assert!(!outside.join("x").exists());
        assert!(plain_dirs(&root, &dir.path().join("elsewhere")).is_err());
    }

    #[test]
    fn links_out_of_the_folder_are_removed_and_inner_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("skill");
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::write(root.join("lib/real"), "x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("lib/out")).unwrap();
        std::os::unix::fs::symlink("real", root.join("lib/in")).unwrap();
        assert_eq!(remove_escaping_links(&root), ["lib/out"]);
        assert!(root.join("lib/in").exists());
    }

    #[test]
    fn linking_replaces_links_but_never_files() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join(".bin");
        let program = dir.path().join("p");
        let other = dir.path().join("o");
        std::fs::write(&program, "x").unwrap();
        assert_eq!(link_program(dir.path(), &bin, "p", &program).unwrap(), None);
        assert_eq!(link_program(dir.path(), &bin, "p", &program).unwrap(), None);
        assert_eq!(
            link_program(dir.path(), &bin, "p", &other).unwrap(),
            Some(program.clone()),
            "replacing another program's link is said"
        );
        std::fs::write(bin.join("q"), "mine").unwrap();
        assert!(link_program(dir.path(), &bin, "q", &program).is_err());
        assert_eq!(std::fs::read_to_string(bin.join("q")).unwrap(), "mine");
    }
}
