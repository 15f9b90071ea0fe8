//! Workspace confinement for the file tools.
//!
//! A path from the model is resolved against the workspace (relative) or taken as is (absolute),
//! normalised lexically, and must then lie inside the workspace twice over: lexically, so `..`
//! cannot climb out, and physically, so a symlink cannot lead out either. The physical check
//! canonicalises the deepest part of the path that exists — for a file about to be created that
//! is its nearest existing ancestor — and the rest is appended to the canonical form. The
//! returned path is therefore free of symlinks up to its last existing component.
//!
//! This is a check-then-use scheme: a process racing the tool (swapping a directory for a
//! symlink between the check and the write) could still redirect a write. Agent commands run as
//! the same user, so such a race needs a hostile command already running; the sandbox levels,
//! not this module, are the defence against that.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a path was refused.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// No path was given.
    #[error("path is empty")]
    Empty,
    /// The path starts with `~`, a home directory outside the workspace.
    #[error(
        "path '{path}' starts with '~'; home directories are outside the workspace, give a path relative to the workspace instead"
    )]
    Home {
        /// The path as given.
        path: String,
    },
    /// The path lies outside the workspace.
    #[error("path '{path}' is outside the workspace {}", workspace.display())]
    Outside {
        /// The path as given.
        path: String,
        /// The workspace.
        workspace: PathBuf,
    },
    /// A symlink on the path leads outside the workspace.
    #[error("path '{path}' resolves through a symlink to {}, which is outside the workspace", target.display())]
    SymlinkEscape {
        /// The path as given.
        path: String,
        /// Where the symlink leads.
        target: PathBuf,
    },
    /// A symlink on the path points nowhere.
    #[error("path '{path}' goes through the symlink {}, whose target does not exist", link.display())]
    DanglingSymlink {
        /// The path as given.
        path: String,
        /// The broken symlink.
        link: PathBuf,
    },
    /// The workspace itself cannot be resolved.
    #[error("the workspace {} cannot be resolved: {source}", workspace.display())]
    Workspace {
        /// The workspace.
        workspace: PathBuf,
        /// The operating-system error.
        source: io::Error,
    },
    /// Inspecting the path failed.
    #[error("cannot inspect '{path}': {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The operating-system error.
        source: io::Error,
    },
}

/// What to do when the path's last component is a symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FinalLink {
    /// Resolve it (reads and writes act on the file it points to).
    Follow,
    /// Keep it (deleting a symlink removes the link, not its target).
    Keep,
}

/// The canonical workspace root.
pub(crate) fn workspace_root(workspace: &Path) -> Result<PathBuf, PathError> {
    workspace
        .canonicalize()
        .map_err(|source| PathError::Workspace {
            workspace: workspace.to_path_buf(),
            source,
        })
}

/// Resolves `input` inside `workspace`; see the module docs.
pub(crate) fn resolve(
    workspace: &Path,
    input: &str,
    final_link: FinalLink,
) -> Result<PathBuf, PathError> {
    let trimmed = input.trim();
    // Some models prefix paths with `@`, the mention syntax of coding CLIs.
    let given = trimmed.strip_prefix('@').unwrap_or(trimmed);
    if given.is_empty() {
        return Err(PathError::Empty);
    }
    if given.starts_with('~') {
        return Err(PathError::Home {
            path: given.to_owned(),
        });
    }
    let root = workspace_root(workspace)?;
    let candidate = normalize(&workspace.join(given));
    let relative = candidate
        .strip_prefix(normalize(workspace))
        .or_else(|_| candidate.strip_prefix(&root))
        .map_err(|_| PathError::Outside {
            path: given.to_owned(),
            workspace: workspace.to_path_buf(),
        })?
        .to_path_buf();

    match final_link {
        FinalLink::Follow => physical(&root, &root.join(&relative), given),
        FinalLink::Keep => match (relative.parent(), relative.file_name()) {
            (Some(parent), Some(name)) => {
                Ok(physical(&root, &root.join(parent), given)?.join(name))
            }
            // The workspace itself: there is no link to keep.
            _ => physical(&root, &root, given),
        },
    }
}

/// Canonicalises the deepest existing part of `path` and checks it stays under `root`.
fn physical(root: &Path, path: &Path, given: &str) -> Result<PathBuf, PathError> {
    for existing in path.ancestors() {
        let meta = match std::fs::symlink_metadata(existing) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(PathError::Io {
                    path: given.to_owned(),
                    source,
                });
            }
        };
        let real = existing.canonicalize().map_err(|source| {
            if meta.file_type().is_symlink() && source.kind() == io::ErrorKind::NotFound {
                PathError::DanglingSymlink {
                    path: given.to_owned(),
                    link: existing.to_path_buf(),
                }
            } else {
                PathError::Io {
                    path: given.to_owned(),
                    source,
                }
            }
        })?;
        if !real.starts_with(root) {
            return Err(PathError::SymlinkEscape {
                path: given.to_owned(),
                target: real,
            });
        }
        let rest = path.strip_prefix(existing).unwrap_or(Path::new(""));
        return Ok(if rest.as_os_str().is_empty() {
            real
        } else {
            real.join(rest)
        });
    }
    // Not even `/` exists: only possible on a broken root; report it as outside.
    Err(PathError::Outside {
        path: given.to_owned(),
        workspace: root.to_path_buf(),
    })
}

/// Removes `.` and resolves `..` without touching the filesystem (`..` at the root stays there).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to the canonical workspace `root` for messages (`.` for the root itself).
pub(crate) fn display(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let outer = tempfile::tempdir().unwrap();
        let ws = outer.path().join("ws");
        std::fs::create_dir_all(ws.join("sub")).unwrap();
        std::fs::write(ws.join("sub/file.txt"), "x").unwrap();
        std::fs::create_dir_all(outer.path().join("secret")).unwrap();
        std::fs::write(outer.path().join("secret/key"), "k").unwrap();
        let root = ws.canonicalize().unwrap();
        (outer, ws, root)
    }

    fn follow(ws: &Path, input: &str) -> Result<PathBuf, PathError> {
        resolve(ws, input, FinalLink::Follow)
    }

    #[test]
    fn resolves_relative_and_absolute_paths_inside() {
        let (_outer, ws, root) = setup();
        assert_eq!(
            follow(&ws, "sub/file.txt").unwrap(),
            root.join("sub/file.txt")
        );
        assert_eq!(
            follow(&ws, "./sub/../sub/file.txt").unwrap(),
            root.join("sub/file.txt")
        );
        assert_eq!(
            follow(&ws, "@sub/file.txt").unwrap(),
            root.join("sub/file.txt")
        );
        let abs = ws.join("sub/file.txt");
        assert_eq!(
            follow(&ws, abs.to_str().unwrap()).unwrap(),
            root.join("sub/file.txt")
        );
        assert_eq!(
            follow(&ws, "new/dir/file.md").unwrap(),
            root.join("new/dir/file.md")
        );
        assert_eq!(follow(&ws, ".").unwrap(), root);
    }

    #[test]
    fn refuses_dot_dot_escapes_and_foreign_absolute_paths() {
        let (_outer, ws, _root) = setup();
        for bad in ["../secret/key", "sub/../../secret/key", "/etc/passwd"] {
            let err = follow(&ws, bad).unwrap_err();
            assert!(matches!(err, PathError::Outside { .. }), "{bad}: {err}");
            assert!(err.to_string().contains(bad), "message names the path");
        }
        assert!(matches!(follow(&ws, "~/x"), Err(PathError::Home { .. })));
        assert!(matches!(follow(&ws, "  "), Err(PathError::Empty)));
    }

    #[test]
    fn refuses_symlinks_that_lead_outside() {
        let (outer, ws, _root) = setup();
        symlink(outer.path().join("secret"), ws.join("escape")).unwrap();
        symlink(outer.path().join("secret/key"), ws.join("key-link")).unwrap();
        let err = follow(&ws, "escape/key").unwrap_err();
        assert!(matches!(err, PathError::SymlinkEscape { .. }), "{err}");
        assert!(err.to_string().contains("escape/key"));
        // A new file under an escaping directory link: the nearest existing ancestor decides.
        assert!(matches!(
            follow(&ws, "escape/new/file"),
            Err(PathError::SymlinkEscape { .. })
        ));
        assert!(matches!(
            follow(&ws, "key-link"),
            Err(PathError::SymlinkEscape { .. })
        ));
    }

    #[test]
    fn follows_symlinks_inside_and_keeps_final_links_on_request() {
        let (_outer, ws, root) = setup();
        symlink(ws.join("sub/file.txt"), ws.join("alias")).unwrap();
        assert_eq!(follow(&ws, "alias").unwrap(), root.join("sub/file.txt"));
        assert_eq!(
            resolve(&ws, "alias", FinalLink::Keep).unwrap(),
            root.join("alias")
        );
    }

    #[test]
    fn reports_dangling_symlinks() {
        let (_outer, ws, _root) = setup();
        symlink(ws.join("nowhere"), ws.join("broken")).unwrap();
        assert!(matches!(
            follow(&ws, "broken"),
            Err(PathError::DanglingSymlink { .. })
        ));
        // Deleting the broken link itself is fine.
        assert!(resolve(&ws, "broken", FinalLink::Keep).is_ok());
    }

    #[test]
    fn a_symlinked_workspace_is_resolved_first() {
        let (outer, ws, root) = setup();
        let link = outer.path().join("ws-link");
        symlink(&ws, &link).unwrap();
        assert_eq!(
            follow(&link, "sub/file.txt").unwrap(),
            root.join("sub/file.txt")
        );
        let abs = root.join("sub/file.txt");
        assert_eq!(follow(&link, abs.to_str().unwrap()).unwrap(), abs);
    }
}
