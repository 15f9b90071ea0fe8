//! `edit`: replace one exact, unique piece of text in a file.
//!
//! Semantics follow pi-coding-agent: line endings are normalised to `\n` for matching (the file
//! keeps its own style when written back), a byte-order mark is preserved, the old text must
//! occur exactly once, and a replacement that changes nothing is an error. The result's details
//! carry a unified diff for UIs.

use serde::Deserialize;
use serde_json::{Value, json};

use super::atomic::{blocking, write_atomic};
use super::paths::{self, FinalLink};
use crate::context::ToolContext;
use crate::tool::{Tool, ToolError, ToolOutput};

/// The `edit` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct EditTool;

/// Arguments of `edit`.
#[derive(Debug, Deserialize)]
pub struct EditArgs {
    /// File path, relative to the workspace or absolute inside it.
    pub path: String,
    /// The exact text to replace.
    #[serde(rename = "oldText")]
    pub old_text: String,
    /// Its replacement.
    #[serde(rename = "newText")]
    pub new_text: String,
}

impl Tool for EditTool {
    type Args = EditArgs;

    fn name(&self) -> &'static str {
        "edit"
    }

    fn description(&self) -> String {
        "Edit a file by replacing exact text. The oldText must match exactly (including whitespace). Use this for precise, surgical edits.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": { "type": "string", "description": "Path to the file to edit (relative or absolute)" },
                "oldText": { "type": "string", "description": "Exact text to find and replace (must match exactly)" },
                "newText": { "type": "string", "description": "New text to replace the old text with" }
            },
            "required": ["path", "oldText", "newText"]
        })
    }

    async fn call(&self, args: EditArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        if cx.cancel.is_cancelled() {
            return Err(ToolError::Cancelled);
        }
        cx.sandbox.check_writable("edit")?;
        let target = paths::resolve(&cx.workspace, &args.path, FinalLink::Follow)
            .map_err(|e| ToolError::failed(e.to_string()))?;
        let given = args.path.trim().to_owned();
        blocking("edit", move || {
            let raw = match std::fs::read(&target) {
                Ok(raw) => raw,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(ToolError::failed(format!("File not found: {given}")));
                }
                Err(e) => return Err(ToolError::failed(format!("Cannot read {given}: {e}"))),
            };
            let content = String::from_utf8(raw).map_err(|_| {
                ToolError::failed(format!(
                    "{given} is not valid UTF-8 text; edit it with exec instead"
                ))
            })?;
            let edited = replace_unique(&content, &args.old_text, &args.new_text, &given)?;
            write_atomic(&target, edited.content.as_bytes())
                .map_err(|e| ToolError::failed(format!("Cannot write {given}: {e}")))?;
            Ok(
                ToolOutput::text(format!("Successfully replaced text in {given}.")).with_details(
                    json!({ "diff": edited.diff, "firstChangedLine": edited.first_changed_line }),
                ),
            )
        })
        .await?
    }
}

/// A successful replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edited {
    /// The new file content, in the file's own line-ending style.
    pub content: String,
    /// Unified diff (with `\n` line endings).
    pub diff: String,
    /// 1-based line of the first change in the new file.
    pub first_changed_line: usize,
}

pub(crate) fn replace_unique(
    content: &str,
    old_text: &str,
    new_text: &str,
    given: &str,
) -> Result<Edited, ToolError> {
    let (bom, body) = match content.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", content),
    };
    let crlf = uses_crlf(body);
    let body = to_lf(body);
    let old = to_lf(old_text);
    let new = to_lf(new_text);
    if old.is_empty() {
        return Err(ToolError::failed(format!(
            "oldText is empty; give the exact text in {given} to replace"
        )));
    }
    let occurrences = body.matches(old.as_str()).count();
    if occurrences == 0 {
        return Err(ToolError::failed(format!(
            "Could not find the exact text in {given}. The old text must match exactly including all whitespace and newlines."
        )));
    }
    if occurrences > 1 {
        return Err(ToolError::failed(format!(
            "Found {occurrences} occurrences of the text in {given}. The text must be unique. Please provide more context to make it unique."
        )));
    }
    let at = body.find(old.as_str()).unwrap_or(0);
    let updated = format!("{}{}{}", &body[..at], new, &body[at + old.len()..]);
    if updated == body {
        return Err(ToolError::failed(format!(
            "No changes made to {given}. The replacement produced identical content."
        )));
    }
    let diff = similar::TextDiff::from_lines(&body, &updated)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{given}"), &format!("b/{given}"))
        .to_string();
    let first_changed_line = body[..at].matches('\n').count() + 1;
    let restored = if crlf {
        updated.replace('\n', "\r\n")
    } else {
        updated
    };
    Ok(Edited {
        content: format!("{bom}{restored}"),
        diff,
        first_changed_line,
    })
}

/// Whether the first line break of `text` is `\r\n` (pi's rule for the file's style).
fn uses_crlf(text: &str) -> bool {
    text.find('\n')
        .is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r')
}

fn to_lf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn replaces_a_unique_match_and_reports_a_diff() {
        let edited = replace_unique("a\nb\nc\n", "b\n", "B\nB2\n", "f.txt").unwrap();
        assert_eq!(edited.content, "a\nB\nB2\nc\n");
        assert_eq!(edited.first_changed_line, 2);
        assert_eq!(
            edited.diff,
            "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n+B2\n c\n"
        );
    }

    #[test]
    fn not_found_and_ambiguous_matches_are_errors() {
        let err = replace_unique("one two", "three", "x", "f.txt").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Could not find the exact text in f.txt")
        );
        let err = replace_unique("x = 1\nx = 1\n", "x = 1", "x = 2", "f.txt").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Found 2 occurrences of the text in f.txt"),
            "{err}"
        );
        let err = replace_unique("same", "same", "same", "f.txt").unwrap_err();
        assert!(err.to_string().starts_with("No changes made to f.txt"));
        assert!(replace_unique("x", "", "y", "f.txt").is_err());
    }

    #[test]
    fn keeps_crlf_and_bom() {
        let edited = replace_unique("\u{feff}one\r\ntwo\r\n", "one\ntwo", "1\n2", "w.txt").unwrap();
        assert_eq!(edited.content, "\u{feff}1\r\n2\r\n");
        // The dollar sign is literal, not a regex back-reference.
        let edited = replace_unique("price", "price", "$1 price", "p.txt").unwrap();
        assert_eq!(edited.content, "$1 price");
    }
}
