//! Which files are memory: `MEMORY.md` and `USER.md` at the workspace root, every Markdown file
//! under `memory/` (daily notes `memory/YYYY-MM-DD.md` and their `-slug` variants, imports),
//! and `memory.search.extraPaths` (directories searched recursively, optionally narrowed by a
//! glob, or single files). Symlinks are skipped, as upstream's builtin engine skips them, so a
//! link cannot pull a file from elsewhere into the index or into `memory_get`.

use std::path::{Component, Path, PathBuf};

use rustyclaw_config::file::MemoryExtraPath;

/// The most files indexed for one agent.
const MAX_FILES: usize = 20_000;
/// How deep directories are searched.
const MAX_DEPTH: usize = 16;

/// A memory file found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryFile {
    /// How it is named in the index and in results: relative to the workspace (with `/`) when
    /// inside it, absolute otherwise.
    pub rel: String,
    /// Where it is.
    pub abs: PathBuf,
}

/// An extra path, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraRoot {
    /// The directory or file.
    pub path: PathBuf,
    /// A glob relative to it.
    pub pattern: Option<String>,
}

impl ExtraRoot {
    /// The roots of `memory.search.extraPaths`, relative ones from `workspace`.
    pub fn resolve(entries: &[MemoryExtraPath], workspace: &Path) -> Vec<Self> {
        entries
            .iter()
            .map(|entry| {
                let (path, pattern) = match entry {
                    MemoryExtraPath::Path(p) => (p.as_str(), None),
                    MemoryExtraPath::Pattern(p) => (p.path.as_str(), p.pattern.clone()),
                };
                let path = Path::new(path.trim());
                Self {
                    path: if path.is_absolute() {
                        path.to_path_buf()
                    } else {
                        workspace.join(path)
                    },
                    pattern,
                }
            })
            .collect()
    }
}

/// Every memory file of `workspace` and `extra`, sorted by name.
pub fn list(workspace: &Path, extra: &[ExtraRoot]) -> Vec<MemoryFile> {
    let mut out = Vec::new();
    for name in ["MEMORY.md", "USER.md"] {
        let path = workspace.join(name);
        if is_plain_file(&path) {
            out.push(MemoryFile {
                rel: name.to_owned(),
                abs: path,
            });
        }
    }
    let memory_dir = workspace.join("memory");
    if is_plain_dir(&memory_dir) {
        walk(&memory_dir, 0, &mut |path| {
            if is_markdown(path) {
                out.push(file_of(workspace, path));
            }
        });
    }
    for root in extra {
        if is_plain_file(&root.path) {
            out.push(file_of(workspace, &root.path));
        } else if is_plain_dir(&root.path) {
            walk(&root.path, 0, &mut |path| {
                let matches = match &root.pattern {
                    Some(pattern) => path
                        .strip_prefix(&root.path)
                        .ok()
                        .and_then(|rel| rel.to_str())
                        .is_some_and(|rel| glob_match(pattern, rel)),
                    None => true,
                };
                if matches && is_markdown(path) {
                    out.push(file_of(workspace, path));
                }
            });
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.dedup_by(|a, b| a.rel == b.rel);
    out.truncate(MAX_FILES);
    out
}

/// Resolves a path given to `memory_get`: a memory file of the workspace or of an extra root,
/// never anything else.
pub fn resolve_for_read(
    given: &str,
    workspace: &Path,
    extra: &[ExtraRoot],
) -> Result<MemoryFile, &'static str> {
    let given = given.trim();
    if given.is_empty() {
        return Err("path required");
    }
    let raw = Path::new(given);
    let abs = normalize(&if raw.is_absolute() {
        raw.to_path_buf()
    } else {
        workspace.join(raw)
    });
    if let Ok(rel) = abs.strip_prefix(workspace)
        && let Some(rel) = rel.to_str()
        && is_memory_rel(rel)
        && no_symlinks_below(workspace, &abs)
    {
        return Ok(MemoryFile {
            rel: rel.to_owned(),
            abs,
        });
    }
    for root in extra {
        let root_path = normalize(&root.path);
        let allowed = if abs == root_path {
            is_markdown(&abs)
        } else {
            abs.strip_prefix(&root_path)
                .ok()
                .and_then(|rel| rel.to_str())
                .is_some_and(|rel| {
                    is_markdown(&abs)
                        && root.pattern.as_deref().is_none_or(|p| glob_match(p, rel))
                        && no_symlinks_below(&root_path, &abs)
                })
        };
        if allowed {
            return Ok(file_of(workspace, &abs));
        }
    }
    Err("path is not an allowed Markdown memory file")
}

/// Whether a workspace-relative path is one of the workspace's memory files.
fn is_memory_rel(rel: &str) -> bool {
    rel == "MEMORY.md" || rel == "USER.md" || (rel.starts_with("memory/") && rel.ends_with(".md"))
}

fn file_of(workspace: &Path, path: &Path) -> MemoryFile {
    let rel = match path.strip_prefix(workspace) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string_lossy().into_owned(),
    };
    MemoryFile {
        rel,
        abs: path.to_path_buf(),
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

fn is_plain_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

fn is_plain_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_dir())
}

/// Whether no component of `path` below `root` is a symlink (a missing file is fine).
fn no_symlinks_below(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let mut current = root.to_path_buf();
    for part in rel.components() {
        current.push(part);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => return false,
            Ok(_) => {}
            Err(_) => return true,
        }
    }
    true
}

/// `..` and `.` removed without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn walk(dir: &Path, depth: usize, found: &mut dyn FnMut(&Path)) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, depth + 1, found);
        } else if kind.is_file() {
            found(&path);
        }
    }
}

/// Matches `/`-separated `text` against a glob: `*` (within a segment), `**` (any segments),
/// `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let text: Vec<&str> = text.split('/').filter(|s| !s.is_empty()).collect();
    match_segments(&pattern, &text)
}

fn match_segments(pattern: &[&str], text: &[&str]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((&"**", rest)) => (0..=text.len()).any(|skip| match_segments(rest, &text[skip..])),
        Some((first, rest)) => text.split_first().is_some_and(|(t, text_rest)| {
            match_segment(first, t) && match_segments(rest, text_rest)
        }),
    }
}

fn match_segment(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_segments() {
        assert!(glob_match("runbooks/**/*.md", "runbooks/a/b/c.md"));
        assert!(glob_match("runbooks/**/*.md", "runbooks/c.md"));
        assert!(!glob_match("runbooks/*.md", "runbooks/a/c.md"));
        assert!(glob_match("*.md", "notes.md"));
        assert!(glob_match("day-??.md", "day-01.md"));
        assert!(!glob_match("*.md", "notes.txt"));
    }

    #[test]
    fn memory_files_are_found_and_links_and_other_files_are_not() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        let shared = tmp.path().join("shared");
        std::fs::create_dir_all(ws.join("memory/imports")).unwrap();
        std::fs::create_dir_all(shared.join("runbooks/db")).unwrap();
        std::fs::write(ws.join("MEMORY.md"), "m").unwrap();
        std::fs::write(ws.join("AGENTS.md"), "not memory").unwrap();
        std::fs::write(ws.join("memory/2026-12-07.md"), "d").unwrap();
        std::fs::write(ws.join("memory/imports/x.md"), "i").unwrap();
        std::fs::write(ws.join("memory/notes.txt"), "t").unwrap();
        std::fs::write(shared.join("runbooks/db/restore.md"), "r").unwrap();
        std::fs::write(shared.join("other.md"), "o").unwrap();
        std::fs::write(tmp.path().join("secret.md"), "s").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret.md"), ws.join("memory/link.md"))
            .unwrap();
        let extra = ExtraRoot::resolve(
            &[MemoryExtraPath::Pattern(
                rustyclaw_config::file::MemoryExtraPathPattern {
                    path: shared.display().to_string(),
                    pattern: Some("runbooks/**/*.md".into()),
                },
            )],
            &ws,
        );
        let found: Vec<String> = list(&ws, &extra).into_iter().map(|f| f.rel).collect();
        let restore = shared.join("runbooks/db/restore.md").display().to_string();
        assert_eq!(
            found,
            vec![
                restore.clone(),
                "MEMORY.md".into(),
                "memory/2026-12-07.md".into(),
                "memory/imports/x.md".into()
            ]
        );
        assert!(resolve_for_read("memory/2026-12-07.md", &ws, &extra).is_ok());
        assert!(resolve_for_read(&restore, &ws, &extra).is_ok());
        assert!(resolve_for_read("AGENTS.md", &ws, &extra).is_err());
        assert!(resolve_for_read("memory/../AGENTS.md", &ws, &extra).is_err());
        assert!(resolve_for_read("memory/link.md", &ws, &extra).is_err());
        assert!(
            resolve_for_read(&shared.join("other.md").display().to_string(), &ws, &extra).is_err()
        );
        assert!(resolve_for_read("/etc/passwd", &ws, &extra).is_err());
    }
}
