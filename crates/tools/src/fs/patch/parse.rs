//! Parser of the apply_patch format (OpenAI Codex's, as OpenClaw accepts it).
//!
//! ```text
//! *** Begin Patch
//! *** Add File: path/new.txt
//! +line
//! *** Update File: path/old.txt
//! *** Move to: path/renamed.txt
//! @@ fn context_line
//!  unchanged
//! -removed
//! +added
//! *** End of File
//! *** Delete File: path/gone.txt
//! *** End Patch
//! ```
//!
//! Like upstream the parser is lenient where models are sloppy: markers may carry surrounding
//! whitespace, the whole patch may be wrapped in a `<<EOF … EOF` heredoc, the first chunk of an
//! update may omit its `@@` line, and blank lines between chunks are ignored.

const BEGIN_PATCH: &str = "*** Begin Patch";
const END_PATCH: &str = "*** End Patch";
const ADD_FILE: &str = "*** Add File: ";
const DELETE_FILE: &str = "*** Delete File: ";
const UPDATE_FILE: &str = "*** Update File: ";
const MOVE_TO: &str = "*** Move to: ";
const END_OF_FILE: &str = "*** End of File";
const CONTEXT: &str = "@@ ";
const EMPTY_CONTEXT: &str = "@@";

/// One file operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hunk {
    /// Create (or overwrite) a file with `contents`.
    Add { path: String, contents: String },
    /// Delete a file.
    Delete { path: String },
    /// Change a file in place, optionally renaming it.
    Update {
        path: String,
        move_to: Option<String>,
        chunks: Vec<Chunk>,
    },
}

/// One `@@` section of an update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Chunk {
    /// The line after `@@ `, located before the old lines are searched.
    pub change_context: Option<String>,
    /// Context and removed lines, in order.
    pub old_lines: Vec<String>,
    /// Context and added lines, in order.
    pub new_lines: Vec<String>,
    /// The old lines must be at the end of the file.
    pub is_end_of_file: bool,
}

/// Why a patch could not be parsed; line numbers are 1-based within the patch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParseError {
    /// Nothing was given.
    #[error("Invalid patch: input is empty.")]
    Empty,
    /// The first line is not `*** Begin Patch`.
    #[error("The first line of the patch must be '*** Begin Patch'")]
    MissingBegin,
    /// The last line is not `*** End Patch`.
    #[error("The last line of the patch must be '*** End Patch'")]
    MissingEnd,
    /// A line where a file operation should start is something else.
    #[error(
        "Invalid patch hunk at line {line}: '{text}' is not a valid hunk header. Valid hunk headers: '*** Add File: {{path}}', '*** Delete File: {{path}}', '*** Update File: {{path}}'"
    )]
    BadHeader { line: usize, text: String },
    /// An update has no chunks.
    #[error("Invalid patch hunk at line {line}: Update file hunk for path '{path}' is empty")]
    EmptyUpdate { line: usize, path: String },
    /// A second chunk does not start with `@@`.
    #[error(
        "Invalid patch hunk at line {line}: Expected update hunk to start with a @@ context marker, got: '{text}'"
    )]
    MissingContextMarker { line: usize, text: String },
    /// A chunk has no lines.
    #[error("Invalid patch hunk at line {line}: Update hunk does not contain any lines")]
    EmptyChunk { line: usize },
    /// A chunk line has no ` `, `+` or `-` marker.
    #[error(
        "Invalid patch hunk at line {line}: Unexpected line found in update hunk: '{text}'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)"
    )]
    UnexpectedLine { line: usize, text: String },
}

/// Parses a whole patch into its file operations.
pub(crate) fn parse(input: &str) -> Result<Vec<Hunk>, ParseError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(ParseError::Empty);
    }
    let all: Vec<&str> = trimmed
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let lines = strip_boundaries(&all)?;
    let mut hunks = Vec::new();
    let mut rest = &lines[1..lines.len() - 1];
    let mut line_number = 2;
    while !rest.is_empty() {
        let (hunk, used) = parse_hunk(rest, line_number)?;
        hunks.push(hunk);
        line_number += used;
        rest = &rest[used..];
    }
    Ok(hunks)
}

fn boundaries_ok(lines: &[&str]) -> Result<(), ParseError> {
    match (lines.first(), lines.last()) {
        (Some(first), _) if first.trim() != BEGIN_PATCH => Err(ParseError::MissingBegin),
        (_, Some(last)) if last.trim() != END_PATCH || lines.len() < 2 => {
            Err(ParseError::MissingEnd)
        }
        (Some(_), Some(_)) => Ok(()),
        _ => Err(ParseError::Empty),
    }
}

fn strip_boundaries<'a, 'b>(lines: &'b [&'a str]) -> Result<&'b [&'a str], ParseError> {
    let strict = boundaries_ok(lines);
    if strict.is_ok() {
        return Ok(lines);
    }
    let heredoc = ["<<EOF", "<<'EOF'", "<<\"EOF\""];
    if lines.len() >= 4
        && heredoc.contains(&lines[0].trim())
        && lines[lines.len() - 1].trim_end().ends_with("EOF")
    {
        let inner = &lines[1..lines.len() - 1];
        boundaries_ok(inner)?;
        return Ok(inner);
    }
    strict.map(|()| lines)
}

/// The path after `marker` in a trimmed header line (a header with nothing after the marker
/// loses the marker's trailing space to the trim and so is not recognised at all).
fn path_after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.strip_prefix(marker).map(str::trim)
}

fn parse_hunk(lines: &[&str], number: usize) -> Result<(Hunk, usize), ParseError> {
    let first = lines[0].trim();
    if let Some(path) = path_after(first, ADD_FILE) {
        let path = path.to_owned();
        let added: Vec<&str> = lines[1..]
            .iter()
            .map_while(|l| l.strip_prefix('+'))
            .collect();
        let contents: String = added.iter().map(|l| format!("{l}\n")).collect();
        return Ok((Hunk::Add { path, contents }, 1 + added.len()));
    }
    if let Some(path) = path_after(first, DELETE_FILE) {
        let path = path.to_owned();
        return Ok((Hunk::Delete { path }, 1));
    }
    if let Some(path) = path_after(first, UPDATE_FILE) {
        let path = path.to_owned();
        let mut used = 1;
        let mut move_to = None;
        if let Some(dest) = lines.get(1).and_then(|l| path_after(l.trim(), MOVE_TO)) {
            move_to = Some(dest.to_owned());
            used += 1;
        }
        let mut chunks = Vec::new();
        while let Some(line) = lines.get(used) {
            if line.trim().is_empty() {
                used += 1;
                continue;
            }
            if line.starts_with("***") {
                break;
            }
            let (chunk, chunk_lines) =
                parse_chunk(&lines[used..], number + used, chunks.is_empty())?;
            chunks.push(chunk);
            used += chunk_lines;
        }
        if chunks.is_empty() {
            return Err(ParseError::EmptyUpdate { line: number, path });
        }
        return Ok((
            Hunk::Update {
                path,
                move_to,
                chunks,
            },
            used,
        ));
    }
    Err(ParseError::BadHeader {
        line: number,
        text: lines[0].to_owned(),
    })
}

fn parse_chunk(
    lines: &[&str],
    number: usize,
    allow_missing_context: bool,
) -> Result<(Chunk, usize), ParseError> {
    let mut chunk = Chunk::default();
    let start = if lines[0] == EMPTY_CONTEXT {
        1
    } else if let Some(context) = lines[0].strip_prefix(CONTEXT) {
        chunk.change_context = Some(context.to_owned());
        1
    } else if allow_missing_context {
        0
    } else {
        return Err(ParseError::MissingContextMarker {
            line: number,
            text: lines[0].to_owned(),
        });
    };
    if start >= lines.len() {
        return Err(ParseError::EmptyChunk { line: number + 1 });
    }
    let mut parsed = 0;
    for line in &lines[start..] {
        if *line == END_OF_FILE {
            if parsed == 0 {
                return Err(ParseError::EmptyChunk { line: number + 1 });
            }
            chunk.is_end_of_file = true;
            parsed += 1;
            break;
        }
        match line.chars().next() {
            None => {
                chunk.old_lines.push(String::new());
                chunk.new_lines.push(String::new());
            }
            Some(' ') => {
                chunk.old_lines.push(line[1..].to_owned());
                chunk.new_lines.push(line[1..].to_owned());
            }
            Some('+') => chunk.new_lines.push(line[1..].to_owned()),
            Some('-') => chunk.old_lines.push(line[1..].to_owned()),
            Some(_) if parsed == 0 => {
                return Err(ParseError::UnexpectedLine {
                    line: number + start,
                    text: (*line).to_owned(),
                });
            }
            Some(_) => break,
        }
        parsed += 1;
    }
    Ok((chunk, start + parsed))
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn parses_every_operation() {
        let patch = "*** Begin Patch\n*** Add File: new.txt\n+hello\n+world\n*** Update File: src/lib.rs\n*** Move to: src/main.rs\n@@ fn main() {\n-    old();\n+    new();\n     keep();\n*** End of File\n*** Delete File: gone.txt\n*** End Patch\n";
        let hunks = parse(patch).unwrap();
        assert_eq!(
            hunks,
            vec![
                Hunk::Add {
                    path: "new.txt".into(),
                    contents: "hello\nworld\n".into()
                },
                Hunk::Update {
                    path: "src/lib.rs".into(),
                    move_to: Some("src/main.rs".into()),
                    chunks: vec![Chunk {
                        change_context: Some("fn main() {".into()),
                        old_lines: vec!["    old();".into(), "    keep();".into()],
                        new_lines: vec!["    new();".into(), "    keep();".into()],
                        is_end_of_file: true,
                    }],
                },
                Hunk::Delete {
                    path: "gone.txt".into()
                },
            ]
        );
    }

    #[test]
    fn accepts_heredoc_wrapping_crlf_and_a_first_chunk_without_marker() {
        let patch = "<<'EOF'\r\n*** Begin Patch\r\n*** Update File: a.txt\r\n-x\r\n+y\r\n\r\n@@\r\n-z\r\n+w\r\n*** End Patch\r\nEOF";
        let hunks = parse(patch).unwrap();
        let Hunk::Update { chunks, .. } = &hunks[0] else {
            panic!("not an update: {hunks:?}");
        };
        assert_eq!(chunks.len(), 2);
        // As upstream, an empty line inside a chunk is an empty context line; applying drops a
        // trailing one when it does not match.
        assert_eq!(chunks[0].old_lines, vec!["x", ""]);
        assert_eq!(chunks[1].new_lines, vec!["w"]);
    }

    #[test]
    fn reports_malformed_patches_with_line_numbers() {
        assert_eq!(parse("  "), Err(ParseError::Empty));
        assert_eq!(
            parse("*** Update File: a\n*** End Patch"),
            Err(ParseError::MissingBegin)
        );
        assert_eq!(
            parse("*** Begin Patch\n*** Delete File: a"),
            Err(ParseError::MissingEnd)
        );
        assert_eq!(
            parse("*** Begin Patch\n*** Frobnicate: a\n*** End Patch"),
            Err(ParseError::BadHeader {
                line: 2,
                text: "*** Frobnicate: a".into()
            })
        );
        assert_eq!(
            parse("*** Begin Patch\n*** Update File: a\n*** End Patch"),
            Err(ParseError::EmptyUpdate {
                line: 2,
                path: "a".into()
            })
        );
        assert_eq!(
            parse("*** Begin Patch\n*** Update File: a\n@@\n-x\nbad\n*** End Patch"),
            Err(ParseError::MissingContextMarker {
                line: 5,
                text: "bad".into()
            })
        );
        assert_eq!(
            parse("*** Begin Patch\n*** Update File: a\n@@\nbad\n*** End Patch"),
            Err(ParseError::UnexpectedLine {
                line: 4,
                text: "bad".into()
            })
        );
        assert_eq!(
            parse("*** Begin Patch\n*** Add File:   \n*** End Patch"),
            Err(ParseError::BadHeader {
                line: 2,
                text: "*** Add File:   ".into()
            })
        );
    }
}
