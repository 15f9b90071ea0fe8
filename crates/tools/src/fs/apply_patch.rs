//! `apply_patch`: add, update, move and delete files with one patch, all or nothing.
//!
//! The patch is applied in two stages. Planning parses it, resolves every path inside the
//! workspace and computes every file's new content in memory (later operations see the result
//! of earlier ones on the same file); any error there leaves the disk untouched. Committing then
//! writes every new content to a temporary sibling, and only when all of them are written
//! renames them into place and removes deleted files. A failure while staging removes the
//! temporaries and any directories it created; only a failing rename or unlink in the last step
//! (a full disk cannot cause one) could leave a partial result, and that is reported as such.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use rustyclaw_support::StagedFile;
use serde::Deserialize;
use serde_json::{Value, json};

use super::atomic::{blocking, create_dirs, remove_dirs, stage};
use super::patch::parse::{Hunk, parse};
use super::patch::update::apply_chunks;
use super::paths::{self, FinalLink};
use crate::context::ToolContext;
use crate::tool::{Tool, ToolError, ToolOutput};

/// The `apply_patch` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyPatchTool;

/// Arguments of `apply_patch`.
#[derive(Debug, Deserialize)]
pub struct ApplyPatchArgs {
    /// The patch text, from `*** Begin Patch` to `*** End Patch`.
    pub input: String,
}

impl Tool for ApplyPatchTool {
    type Args = ApplyPatchArgs;

    fn name(&self) -> &'static str {
        "apply_patch"
    }

    fn description(&self) -> String {
        "Apply a patch to one or more files using the apply_patch format. The input should include *** Begin Patch and *** End Patch markers.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "input": {
                    "type": "string",
                    "description": "Patch content using the *** Begin Patch/End Patch format."
                }
            },
            "required": ["input"]
        })
    }

    async fn call(&self, args: ApplyPatchArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        if args.input.trim().is_empty() {
            return Err(ToolError::failed("Provide a patch input."));
        }
        if cx.cancel.is_cancelled() {
            return Err(ToolError::Cancelled);
        }
        cx.sandbox.check_writable("apply_patch")?;
        let workspace = cx.workspace.clone();
        let cancel = cx.cancel.clone();
        blocking("apply_patch", move || {
            let plan = plan(&workspace, &args.input)?;
            if cancel.is_cancelled() {
                return Err(ToolError::Cancelled);
            }
            commit(&plan)?;
            Ok(ToolOutput::text(plan.summary.render()).with_details(json!({
                "summary": {
                    "added": plan.summary.added,
                    "modified": plan.summary.modified,
                    "deleted": plan.summary.deleted,
                }
            })))
        })
        .await?
    }
}

/// Files touched, by kind, in patch order without repeats (displayed relative to the workspace).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    added: Vec<String>,
    modified: Vec<String>,
    deleted: Vec<String>,
}

impl Summary {
    fn record(list: &mut Vec<String>, path: String) {
        if !list.contains(&path) {
            list.push(path);
        }
    }

    fn render(&self) -> String {
        let mut lines = vec!["Success. Updated the following files:".to_owned()];
        lines.extend(self.added.iter().map(|p| format!("A {p}")));
        lines.extend(self.modified.iter().map(|p| format!("M {p}")));
        lines.extend(self.deleted.iter().map(|p| format!("D {p}")));
        lines.join("\n")
    }
}

/// The final state of every touched file: `Some(content)` to write, `None` to delete.
#[derive(Debug)]
pub(crate) struct Plan {
    files: BTreeMap<PathBuf, Option<String>>,
    summary: Summary,
}

fn failed(e: impl std::fmt::Display) -> ToolError {
    ToolError::failed(e.to_string())
}

/// Parses `input` and computes the result of every operation without writing anything.
pub(crate) fn plan(workspace: &Path, input: &str) -> Result<Plan, ToolError> {
    let hunks = parse(input).map_err(failed)?;
    if hunks.is_empty() {
        return Err(ToolError::failed("No files were modified."));
    }
    let root = paths::workspace_root(workspace).map_err(failed)?;
    let mut files: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
    let mut summary = Summary::default();
    for hunk in hunks {
        match hunk {
            Hunk::Add { path, contents } => {
                let target = paths::resolve(workspace, &path, FinalLink::Follow).map_err(failed)?;
                if target.is_dir() {
                    return Err(ToolError::failed(format!(
                        "Cannot add {path}: it is a directory"
                    )));
                }
                Summary::record(&mut summary.added, paths::display(&root, &target));
                files.insert(target, Some(contents));
            }
            Hunk::Delete { path } => {
                let target = paths::resolve(workspace, &path, FinalLink::Keep).map_err(failed)?;
                if current(&files, &target, &path)?.is_none() {
                    return Err(ToolError::failed(format!(
                        "Failed to delete {path}: file not found"
                    )));
                }
                Summary::record(&mut summary.deleted, paths::display(&root, &target));
                files.insert(target, None);
            }
            Hunk::Update {
                path,
                move_to,
                chunks,
            } => {
                let source = paths::resolve(workspace, &path, FinalLink::Follow).map_err(failed)?;
                let Some(original) = current(&files, &source, &path)? else {
                    return Err(ToolError::failed(format!(
                        "Failed to read file to update {path}: file not found"
                    )));
                };
                let updated = apply_chunks(&original, &chunks, &path).map_err(failed)?;
                match move_to {
                    Some(dest) => {
                        let target =
                            paths::resolve(workspace, &dest, FinalLink::Follow).map_err(failed)?;
                        if target.is_dir() {
                            return Err(ToolError::failed(format!(
                                "Cannot move {path} to {dest}: it is a directory"
                            )));
                        }
                        let link =
                            paths::resolve(workspace, &path, FinalLink::Keep).map_err(failed)?;
                        if link != target {
                            files.insert(link, None);
                        }
                        Summary::record(&mut summary.modified, paths::display(&root, &target));
                        files.insert(target, Some(updated));
                    }
                    None => {
                        Summary::record(&mut summary.modified, paths::display(&root, &source));
                        files.insert(source, Some(updated));
                    }
                }
            }
        }
    }
    Ok(Plan { files, summary })
}

/// The content of `path` as the plan stands: planned content first, then the disk.
fn current(
    files: &BTreeMap<PathBuf, Option<String>>,
    path: &Path,
    given: &str,
) -> Result<Option<String>, ToolError> {
    if let Some(planned) = files.get(path) {
        return Ok(planned.clone());
    }
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ToolError::failed(format!("Cannot inspect {given}: {e}"))),
        Ok(meta) if meta.is_dir() => {
            return Err(ToolError::failed(format!(
                "{given} is a directory, not a file"
            )));
        }
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| ToolError::failed(format!("{given} is not valid UTF-8 text"))),
        // A dangling symlink to be deleted: present as a link, absent as a file.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Some(String::new())),
        Err(e) => Err(ToolError::failed(format!("Cannot read {given}: {e}"))),
    }
}

/// Writes the plan: stage everything, then rename and delete.
pub(crate) fn commit(plan: &Plan) -> Result<(), ToolError> {
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let mut staged: Vec<StagedFile> = Vec::new();
    for (path, content) in &plan.files {
        let Some(content) = content else { continue };
        let result = path.parent().map(create_dirs).transpose().and_then(|dirs| {
            created_dirs.extend(dirs.unwrap_or_default());
            stage(path, content.as_bytes())
        });
        match result {
            Ok(s) => staged.push(s),
            Err(e) => {
                drop(staged);
                remove_dirs(&created_dirs);
                return Err(ToolError::failed(format!(
                    "Cannot write {}: {e}; no file was changed",
                    path.display()
                )));
            }
        }
    }
    let mut problems = Vec::new();
    for s in staged {
        if let Err(e) = s.commit() {
            problems.push(e.to_string());
        }
    }
    for (path, content) in &plan.files {
        if content.is_none()
            && let Err(e) = std::fs::remove_file(path)
            && e.kind() != io::ErrorKind::NotFound
        {
            problems.push(format!("{}: {e}", path.display()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ToolError::failed(format!(
            "The patch was only partly applied: {}",
            problems.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use pretty_assertions::assert_eq;

    use super::*;

    fn run(ws: &Path, patch: &str) -> Result<String, String> {
        let plan = plan(ws, patch).map_err(|e| e.to_string())?;
        commit(&plan).map_err(|e| e.to_string())?;
        Ok(plan.summary.render())
    }

    #[test]
    fn adds_updates_moves_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        fs::write(ws.join("a.txt"), "one\ntwo\nthree\n").unwrap();
        fs::write(ws.join("old.txt"), "x\n").unwrap();
        fs::write(ws.join("gone.txt"), "bye\n").unwrap();
        let patch = "*** Begin Patch\n*** Add File: docs/new.md\n+# New\n*** Update File: a.txt\n@@\n one\n-two\n+2\n three\n*** Update File: old.txt\n*** Move to: moved/new.txt\n@@\n-x\n+y\n*** Delete File: gone.txt\n*** End Patch";
        assert_eq!(
            run(ws, patch).unwrap(),
            "Success. Updated the following files:\nA docs/new.md\nM a.txt\nM moved/new.txt\nD gone.txt"
        );
        assert_eq!(
            fs::read_to_string(ws.join("docs/new.md")).unwrap(),
            "# New\n"
        );
        assert_eq!(
            fs::read_to_string(ws.join("a.txt")).unwrap(),
            "one\n2\nthree\n"
        );
        assert_eq!(fs::read_to_string(ws.join("moved/new.txt")).unwrap(), "y\n");
        assert!(!ws.join("old.txt").exists());
        assert!(!ws.join("gone.txt").exists());
    }

    #[test]
    fn later_operations_see_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let patch = "*** Begin Patch\n*** Add File: f.txt\n+a\n*** Update File: f.txt\n@@\n-a\n+b\n*** End Patch";
        run(dir.path(), patch).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("f.txt")).unwrap(), "b\n");
    }

    #[test]
    fn a_failing_hunk_leaves_every_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        fs::write(ws.join("a.txt"), "keep\n").unwrap();
        fs::write(ws.join("b.txt"), "also keep\n").unwrap();
        let patch = "*** Begin Patch\n*** Add File: new/dir/c.txt\n+c\n*** Update File: a.txt\n@@\n-keep\n+changed\n*** Delete File: b.txt\n*** Update File: b.txt\n@@\n-missing line\n+x\n*** End Patch";
        let err = run(ws, patch).unwrap_err();
        assert!(err.contains("Failed to read file to update b.txt"), "{err}");
        let patch = "*** Begin Patch\n*** Add File: new/dir/c.txt\n+c\n*** Update File: a.txt\n@@\n-keep\n+changed\n*** Update File: b.txt\n@@\n-missing line\n+x\n*** End Patch";
        let err = run(ws, patch).unwrap_err();
        assert!(
            err.contains("Failed to find expected lines in b.txt"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(ws.join("a.txt")).unwrap(), "keep\n");
        assert_eq!(fs::read_to_string(ws.join("b.txt")).unwrap(), "also keep\n");
        assert!(!ws.join("new").exists());
    }

    #[test]
    fn refuses_paths_outside_the_workspace_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        fs::create_dir(&ws).unwrap();
        let patch = "*** Begin Patch\n*** Add File: ok.txt\n+ok\n*** Add File: ../evil.txt\n+x\n*** End Patch";
        let err = run(&ws, patch).unwrap_err();
        assert!(
            err.contains("'../evil.txt' is outside the workspace"),
            "{err}"
        );
        assert!(!ws.join("ok.txt").exists());
        assert!(!dir.path().join("evil.txt").exists());
    }

    #[test]
    fn deleting_a_missing_file_and_empty_patches_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = run(
            dir.path(),
            "*** Begin Patch\n*** Delete File: nope\n*** End Patch",
        )
        .unwrap_err();
        assert_eq!(err, "Failed to delete nope: file not found");
        let err = run(dir.path(), "*** Begin Patch\n*** End Patch").unwrap_err();
        assert_eq!(err, "No files were modified.");
    }
}
