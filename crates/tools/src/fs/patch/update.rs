//! Applying the chunks of an `*** Update File` to a file's text.
//!
//! Each chunk's old lines are searched from where the previous chunk ended (after its `@@`
//! context line, when it has one), first exactly, then ignoring trailing whitespace, then
//! ignoring surrounding whitespace, then with typographic punctuation folded to ASCII — models
//! often retype `’` as `'`. All replacements are computed before any is applied, so a chunk that
//! does not match leaves nothing half-done.

use super::parse::Chunk;

/// Why an update does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UpdateError {
    /// The `@@` context line is not in the file.
    #[error("Failed to find context '{context}' in {path}")]
    ContextNotFound { path: String, context: String },
    /// A chunk's old lines are not in the file.
    #[error("Failed to find expected lines in {path}:\n{lines}")]
    LinesNotFound { path: String, lines: String },
}

/// Applies `chunks` to `original`; `path` names the file in errors. The result ends with a
/// newline and keeps the file's `\r\n` line endings if it used them.
pub(crate) fn apply_chunks(
    original: &str,
    chunks: &[Chunk],
    path: &str,
) -> Result<String, UpdateError> {
    let crlf = original.contains("\r\n");
    let normalized = original.replace("\r\n", "\n");
    let mut lines: Vec<&str> = normalized.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let replacements = compute_replacements(&lines, chunks, path)?;
    let mut result: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    for (start, old_len, new_lines) in replacements.into_iter().rev() {
        let end = (start + old_len).min(result.len());
        result.splice(start..end, new_lines);
    }
    let mut text = result.join("\n");
    text.push('\n');
    Ok(if crlf {
        text.replace('\n', "\r\n")
    } else {
        text
    })
}

type Replacement = (usize, usize, Vec<String>);

fn compute_replacements(
    lines: &[&str],
    chunks: &[Chunk],
    path: &str,
) -> Result<Vec<Replacement>, UpdateError> {
    let mut replacements = Vec::new();
    let mut index = 0;
    for chunk in chunks {
        if let Some(context) = &chunk.change_context {
            let found = seek(lines, &[context.as_str()], index, false).ok_or_else(|| {
                UpdateError::ContextNotFound {
                    path: path.to_owned(),
                    context: context.clone(),
                }
            })?;
            index = found + 1;
        }
        if chunk.old_lines.is_empty() {
            // Pure addition: append at the end of the file.
            replacements.push((lines.len(), 0, chunk.new_lines.clone()));
            continue;
        }
        let mut pattern: Vec<&str> = chunk.old_lines.iter().map(String::as_str).collect();
        let mut new_lines = chunk.new_lines.clone();
        let mut found = seek(lines, &pattern, index, chunk.is_end_of_file);
        // A trailing empty line in the chunk usually stands for the file's final newline.
        if found.is_none() && pattern.last() == Some(&"") {
            pattern.pop();
            if new_lines.last().is_some_and(String::is_empty) {
                new_lines.pop();
            }
            found = seek(lines, &pattern, index, chunk.is_end_of_file);
        }
        let start = found.ok_or_else(|| UpdateError::LinesNotFound {
            path: path.to_owned(),
            lines: chunk.old_lines.join("\n"),
        })?;
        replacements.push((start, pattern.len(), new_lines));
        index = start + pattern.len();
    }
    replacements.sort_by_key(|r| r.0);
    Ok(replacements)
}

/// The first index at or after `start` where `pattern` matches, trying ever looser comparisons;
/// with `eof` only a match at the very end counts first.
fn seek(lines: &[&str], pattern: &[&str], start: usize, eof: bool) -> Option<usize> {
    if pattern.is_empty() {
        return Some(start);
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let max_start = lines.len() - pattern.len();
    let from = if eof { max_start } else { start };
    if from > max_start {
        return None;
    }
    let normalizers: [fn(&str) -> String; 4] = [
        |s| s.to_owned(),
        |s| s.trim_end().to_owned(),
        |s| s.trim().to_owned(),
        |s| fold_punctuation(s.trim()),
    ];
    normalizers.iter().find_map(|norm| {
        (from..=max_start).find(|&i| {
            pattern
                .iter()
                .enumerate()
                .all(|(k, p)| norm(lines[i + k]) == norm(p))
        })
    })
}

fn fold_punctuation(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2018}'..='\u{201B}' => '\'',
            '\u{201C}'..='\u{201F}' => '"',
            '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn chunk(context: Option<&str>, old: &[&str], new: &[&str]) -> Chunk {
        Chunk {
            change_context: context.map(str::to_owned),
            old_lines: old.iter().map(|s| (*s).to_owned()).collect(),
            new_lines: new.iter().map(|s| (*s).to_owned()).collect(),
            is_end_of_file: false,
        }
    }

    #[test]
    fn applies_chunks_in_order_after_their_context() {
        let original = "fn a() {\n    x();\n}\nfn b() {\n    x();\n}\n";
        let chunks = [chunk(Some("fn b() {"), &["    x();"], &["    y();"])];
        assert_eq!(
            apply_chunks(original, &chunks, "f.rs").unwrap(),
            "fn a() {\n    x();\n}\nfn b() {\n    y();\n}\n"
        );
    }

    #[test]
    fn matches_loosely_but_only_as_a_fallback() {
        let original = "say(\u{2018}hi\u{2019});   \nend\n";
        let chunks = [chunk(None, &["say('hi');"], &["say('bye');"])];
        assert_eq!(
            apply_chunks(original, &chunks, "f.js").unwrap(),
            "say('bye');\nend\n"
        );
    }

    #[test]
    fn keeps_crlf_and_appends_pure_additions() {
        let original = "a\r\nb\r\n";
        let chunks = [chunk(None, &[], &["c"])];
        assert_eq!(
            apply_chunks(original, &chunks, "f").unwrap(),
            "a\r\nb\r\nc\r\n"
        );
    }

    #[test]
    fn end_of_file_chunks_match_at_the_end() {
        let original = "x\ny\nx\n";
        let mut c = chunk(None, &["x"], &["z"]);
        c.is_end_of_file = true;
        assert_eq!(apply_chunks(original, &[c], "f").unwrap(), "x\ny\nz\n");
    }

    #[test]
    fn reports_what_did_not_match() {
        let err = apply_chunks("a\n", &[chunk(Some("nope"), &["a"], &["b"])], "f").unwrap_err();
        assert_eq!(err.to_string(), "Failed to find context 'nope' in f");
        let err = apply_chunks("a\n", &[chunk(None, &["q", "r"], &["b"])], "f").unwrap_err();
        assert_eq!(err.to_string(), "Failed to find expected lines in f:\nq\nr");
    }
}
