//! `logs.tail`: pages through the gateway's log file.
//!
//! The file is the one `logging.file` names (JSON lines, rotated daily by the CLI's logger into
//! `<stem>.<YYYY-MM-DD>.<ext>`; the newest of those is read). The cursor is a byte offset into
//! it: a client passes back the `cursor` of the previous answer to get what was appended since.
//! A cursor past the end means the file was rotated or truncated, so reading restarts from the
//! tail with `reset: true`. Only whole lines are returned: an incomplete last line is left for
//! the next call, so a line is never split across pages.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::config::params::{check_keys, optional_integer};
use super::{Call, READ, Reply, unavailable, unhandled};
use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[("logs.tail", READ)];

/// Lines returned when the client does not say (upstream's default).
const DEFAULT_LIMIT: u64 = 500;
/// Bytes read when the client does not say (upstream's default).
const DEFAULT_MAX_BYTES: u64 = 250_000;

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    if method != "logs.tail" {
        return unhandled(method);
    }
    check_keys(method, params, &["cursor", "limit", "maxBytes"])?;
    let cursor = optional_integer(method, params, "cursor", 0, u64::MAX)?;
    let limit = optional_integer(method, params, "limit", 1, 5000)?.unwrap_or(DEFAULT_LIMIT);
    let max_bytes =
        optional_integer(method, params, "maxBytes", 1, 1_000_000)?.unwrap_or(DEFAULT_MAX_BYTES);
    let Some(configured) = call.state.0.options.log_file.clone() else {
        return Err(Box::new(ErrorShape::new(
            ErrorCode::Unavailable,
            "no log file: this gateway does not write one",
        )));
    };
    let slice = tokio::task::spawn_blocking(move || {
        let file = current_file(&configured);
        read_slice(&file, cursor, limit, max_bytes).map(|s| (file, s))
    })
    .await
    .map_err(|e| unavailable("logs.tail", &e))?;
    let (file, slice) = slice.map_err(|e| unavailable("logs.tail", &e))?;
    let mut out = json!({
        "file": file.display().to_string(),
        "cursor": slice.cursor,
        "size": slice.size,
        "lines": slice.lines,
    });
    if slice.truncated {
        out["truncated"] = json!(true);
    }
    if slice.reset {
        out["reset"] = json!(true);
    }
    if slice.skipped > 0 {
        out["skippedBytes"] = json!(slice.skipped);
    }
    Ok(out)
}

/// The file being written now: `configured` itself when it exists, else the newest daily file
/// beside it (`<stem>.<date>.<ext>`), else `configured` (nothing logged yet).
pub(crate) fn current_file(configured: &Path) -> PathBuf {
    if configured.is_file() {
        return configured.to_path_buf();
    }
    let (Some(dir), Some(stem)) = (configured.parent(), configured.file_stem()) else {
        return configured.to_path_buf();
    };
    let prefix = format!("{}.", stem.to_string_lossy());
    let suffix = configured
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let newest = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix) && name.ends_with(&suffix))
        // Dates are ISO, so the greatest name is the newest day.
        .max();
    newest.map_or_else(|| configured.to_path_buf(), |name| dir.join(name))
}

/// One page of the log.
#[derive(Debug, PartialEq)]
pub(crate) struct Slice {
    pub cursor: u64,
    pub size: u64,
    pub lines: Vec<String>,
    pub truncated: bool,
    pub reset: bool,
    pub skipped: u64,
}

/// Reads whole lines from `cursor` (or the tail), at most `max_bytes` and `limit` lines.
pub(crate) fn read_slice(
    path: &Path,
    cursor: Option<u64>,
    limit: u64,
    max_bytes: u64,
) -> std::io::Result<Slice> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Slice {
                cursor: 0,
                size: 0,
                lines: Vec::new(),
                truncated: false,
                reset: cursor.is_some_and(|c| c > 0),
                skipped: 0,
            });
        }
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    let reset = cursor.is_some_and(|c| c > size);
    let cursor = cursor.filter(|_| !reset);
    // Without a cursor (or after a reset) the page is the tail; with one, what follows it.
    let wanted_start = cursor.unwrap_or(0);
    let start = if cursor.is_some() {
        wanted_start.max(size.saturating_sub(max_bytes))
    } else {
        size.saturating_sub(max_bytes)
    };
    let skipped = if cursor.is_some() {
        start - wanted_start
    } else {
        0
    };
    // Reading from the client's cursor or the start of the file begins at a line; anywhere
    // else the byte before tells whether the first line is whole or a fragment to drop.
    let at_boundary = start == 0 || cursor == Some(start);
    let read_from = if at_boundary { start } else { start - 1 };
    file.seek(SeekFrom::Start(read_from))?;
    let mut bytes = Vec::new();
    file.take(size - read_from).read_to_end(&mut bytes)?;
    let consumed_front = if at_boundary {
        0
    } else if bytes.first() == Some(&b'\n') {
        1
    } else {
        bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1)
    };
    let body = &bytes[consumed_front..];
    let complete = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut lines: Vec<String> = body[..complete]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| String::from_utf8_lossy(l).trim_end_matches('\r').to_owned())
        .collect();
    let mut truncated = start > wanted_start;
    let excess = lines
        .len()
        .saturating_sub(usize::try_from(limit).unwrap_or(usize::MAX));
    if excess > 0 {
        lines.drain(..excess);
        truncated = true;
    }
    let next = read_from + u64::try_from(consumed_front + complete).unwrap_or(0);
    Ok(Slice {
        cursor: next,
        size,
        lines,
        truncated,
        reset,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn pages_with_cursor_and_keeps_partial_lines_for_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.jsonl");
        std::fs::write(&path, "a\nbb\nccc").unwrap();
        let first = read_slice(&path, None, 500, 1000).unwrap();
        assert_eq!(first.lines, vec!["a", "bb"]);
        assert_eq!(first.cursor, 5);
        assert_eq!(first.size, 8);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"\nd\n").unwrap();
        let next = read_slice(&path, Some(first.cursor), 500, 1000).unwrap();
        assert_eq!(next.lines, vec!["ccc", "d"]);
        assert_eq!(next.cursor, 11);
        assert!(!next.reset && !next.truncated);
        let again = read_slice(&path, Some(next.cursor), 500, 1000).unwrap();
        assert!(again.lines.is_empty());
    }

    #[test]
    fn limits_reset_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.jsonl");
        std::fs::write(&path, "1\n2\n3\n4\n").unwrap();
        let tail = read_slice(&path, None, 2, 1000).unwrap();
        assert_eq!(tail.lines, vec!["3", "4"]);
        assert!(tail.truncated);
        let bytes = read_slice(&path, None, 100, 5).unwrap();
        assert_eq!(bytes.lines, vec!["3", "4"], "a cut first line is dropped");
        let reset = read_slice(&path, Some(100), 100, 1000).unwrap();
        assert!(reset.reset);
        assert_eq!(reset.lines, vec!["1", "2", "3", "4"]);

        let base = dir.path().join("rustyclaw.jsonl");
        std::fs::write(dir.path().join("rustyclaw.2026-01-01.jsonl"), "old\n").unwrap();
        std::fs::write(dir.path().join("rustyclaw.2026-01-02.jsonl"), "new\n").unwrap();
        assert_eq!(
            current_file(&base),
            dir.path().join("rustyclaw.2026-01-02.jsonl")
        );
    }
}
