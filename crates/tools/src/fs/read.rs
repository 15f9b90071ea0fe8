//! `read`: a file's lines (paged) or an image.
//!
//! Semantics follow pi-coding-agent's read tool: a 1-based line `offset`, a line `limit`, and a
//! cap of 2000 lines or 50 KB per call with a hint telling the model which offset continues.
//! The file is streamed, so paging through a large log never loads all of it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use base64::Engine;
use rustyclaw_protocol::transcript::{ContentBlock, ImageContent};
use rustyclaw_support::sniff_image_mime;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::atomic::blocking;
use super::paths::{self, FinalLink};
use crate::args::{count, opt_number};
use crate::context::ToolContext;
use crate::provenance::{ExternalSource, Provenance};
use crate::text::format_size;
use crate::tool::{Tool, ToolError, ToolOutput};

/// Most lines returned by one call.
pub const MAX_LINES: usize = 2000;
/// Most bytes of text returned by one call.
pub const MAX_BYTES: usize = 50 * 1024;
/// Largest image returned (larger ones would be refused by most model APIs).
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;
/// Bytes inspected for NUL characters to tell binary files from text.
const BINARY_SNIFF: usize = 8192;

/// The `read` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadTool;

/// Arguments of `read`.
#[derive(Debug, Deserialize)]
pub struct ReadArgs {
    /// File path, relative to the workspace or absolute inside it.
    pub path: String,
    /// First line to return, 1-based.
    #[serde(default, deserialize_with = "opt_number")]
    pub offset: Option<f64>,
    /// Most lines to return.
    #[serde(default, deserialize_with = "opt_number")]
    pub limit: Option<f64>,
}

impl Tool for ReadTool {
    type Args = ReadArgs;

    fn name(&self) -> &'static str {
        "read"
    }

    fn description(&self) -> String {
        format!(
            "Read the contents of a file. Supports text files and images (jpg, png, gif, webp). Images are sent as attachments. For text files, output is truncated to {MAX_LINES} lines or {}KB (whichever is hit first). Use offset/limit for large files. When you need the full file, continue with offset until complete.",
            MAX_BYTES / 1024
        )
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": { "type": "string", "description": "Path to the file to read (relative or absolute)" },
                "offset": { "type": "number", "description": "Line number to start reading from (1-indexed)" },
                "limit": { "type": "number", "description": "Maximum number of lines to read" }
            },
            "required": ["path"]
        })
    }

    async fn call(&self, args: ReadArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        if cx.cancel.is_cancelled() {
            return Err(ToolError::Cancelled);
        }
        // Outside the workspace, only the folders of the turn's skills may be read.
        let path = paths::resolve(&cx.workspace, &args.path, FinalLink::Follow).or_else(|e| {
            cx.skills
                .read_roots
                .iter()
                .find_map(|root| {
                    Path::new(args.path.trim())
                        .is_absolute()
                        .then(|| paths::resolve(root, &args.path, FinalLink::Follow).ok())
                        .flatten()
                })
                .ok_or_else(|| ToolError::failed(e.to_string()))
        })?;
        let request = Request {
            given: args.path.trim().to_owned(),
            path: path.clone(),
            offset: count(args.offset).unwrap_or(1).max(1),
            limit: count(args.limit).map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        };
        // The file's content is outside text (a cloned repository, a downloaded page); the
        // errors are ours.
        let output = blocking("read", move || read_file(&request)).await??;
        Ok(output.untrusted(ExternalSource::File { path }))
    }
}

struct Request {
    given: String,
    path: PathBuf,
    offset: u64,
    limit: Option<usize>,
}

fn io_failure(given: &str, e: &std::io::Error) -> ToolError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ToolError::failed(format!("File not found: {given}"))
    } else {
        ToolError::failed(format!("Cannot read {given}: {e}"))
    }
}

fn read_file(req: &Request) -> Result<ToolOutput, ToolError> {
    let meta = std::fs::metadata(&req.path).map_err(|e| io_failure(&req.given, &e))?;
    if meta.is_dir() {
        return Err(ToolError::failed(format!(
            "{} is a directory, not a file; use exec with `ls` to list it",
            req.given
        )));
    }
    let mut file = File::open(&req.path).map_err(|e| io_failure(&req.given, &e))?;
    let mut head = Vec::with_capacity(BINARY_SNIFF);
    (&mut file)
        .take(BINARY_SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(|e| io_failure(&req.given, &e))?;

    if let Some(mime) = sniff_image_mime(&head) {
        return read_image(req, file, head, mime, meta.len());
    }
    if head.contains(&0) {
        return Err(ToolError::failed(format!(
            "{} looks like a binary file ({}); use exec with a suitable tool (xxd, file, unzip -l…) to inspect it",
            req.given,
            format_size(meta.len())
        )));
    }
    read_text(req, BufReader::new(std::io::Cursor::new(head).chain(file)))
}

fn read_image(
    req: &Request,
    mut file: File,
    mut data: Vec<u8>,
    mime: &str,
    size: u64,
) -> Result<ToolOutput, ToolError> {
    if size > MAX_IMAGE_BYTES {
        return Err(ToolError::failed(format!(
            "{} is a {} image of {}, larger than the {} that can be attached; make a smaller copy with exec first (for example ImageMagick `convert in.png -resize 2000x2000 out.png`)",
            req.given,
            mime,
            format_size(size),
            format_size(MAX_IMAGE_BYTES)
        )));
    }
    file.read_to_end(&mut data)
        .map_err(|e| io_failure(&req.given, &e))?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
    Ok(ToolOutput {
        content: vec![
            ContentBlock::text(format!("Read image file [{mime}]")),
            ContentBlock::Image(ImageContent {
                data: encoded,
                mime_type: mime.to_owned(),
                other: Map::new(),
            }),
        ],
        details: None,
        effects: Vec::new(),
        provenance: Provenance::Trusted,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Lines,
    Bytes,
}

fn read_text(req: &Request, mut reader: impl BufRead) -> Result<ToolOutput, ToolError> {
    let start = req.offset;
    let mut selected: Vec<String> = Vec::new();
    let mut out_bytes = 0usize;
    let mut cut: Option<Cut> = None;
    let mut first_line_too_long: Option<usize> = None;
    let mut total: u64 = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| io_failure(&req.given, &e))?;
        if n == 0 {
            break;
        }
        total += 1;
        if total < start || cut.is_some() || first_line_too_long.is_some() {
            continue;
        }
        if req.limit.is_some_and(|limit| selected.len() >= limit) {
            continue;
        }
        let text = decode_line(&line);
        if selected.len() >= MAX_LINES {
            cut = Some(Cut::Lines);
            continue;
        }
        let added = text.len() + usize::from(!selected.is_empty());
        if out_bytes + added > MAX_BYTES {
            if selected.is_empty() {
                first_line_too_long = Some(text.len());
            } else {
                cut = Some(Cut::Bytes);
            }
            continue;
        }
        out_bytes += added;
        selected.push(text);
    }

    if total == 0 && start == 1 {
        return Ok(ToolOutput::text("(empty file)"));
    }
    if start > total {
        return Err(ToolError::failed(format!(
            "Offset {start} is beyond end of file ({total} lines total)"
        )));
    }
    if let Some(size) = first_line_too_long {
        let text = format!(
            "[Line {start} is {}, exceeds {} limit. Use exec: sed -n '{start}p' {} | head -c {MAX_BYTES}]",
            format_size(size as u64),
            format_size(MAX_BYTES as u64),
            req.given
        );
        return Ok(ToolOutput::text(text).with_details(truncation_details(total, 0, 0, None, true)));
    }

    let shown = selected.len() as u64;
    let end = start + shown - 1;
    let mut text = selected.join("\n");
    let details = match cut {
        Some(kind) => {
            let limit_note = match kind {
                Cut::Lines => String::new(),
                Cut::Bytes => format!(" ({} limit)", format_size(MAX_BYTES as u64)),
            };
            text.push_str(&format!(
                "\n\n[Showing lines {start}-{end} of {total}{limit_note}. Use offset={} to continue.]",
                end + 1
            ));
            Some(truncation_details(
                total,
                shown,
                out_bytes,
                Some(kind),
                false,
            ))
        }
        None if end < total => {
            text.push_str(&format!(
                "\n\n[{} more lines in file. Use offset={} to continue.]",
                total - end,
                end + 1
            ));
            None
        }
        None => None,
    };
    let output = ToolOutput::text(text);
    Ok(match details {
        Some(d) => output.with_details(d),
        None => output,
    })
}

fn decode_line(raw: &[u8]) -> String {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    String::from_utf8_lossy(raw).into_owned()
}

fn truncation_details(
    total: u64,
    shown: u64,
    bytes: usize,
    cut: Option<Cut>,
    first_line_exceeds: bool,
) -> Value {
    json!({
        "truncation": {
            "truncated": true,
            "truncatedBy": match cut {
                Some(Cut::Lines) => Value::from("lines"),
                Some(Cut::Bytes) => Value::from("bytes"),
                None => Value::Null,
            },
            "totalLines": total,
            "outputLines": shown,
            "outputBytes": bytes,
            "maxLines": MAX_LINES,
            "maxBytes": MAX_BYTES,
            "firstLineExceedsLimit": first_line_exceeds,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(offset: u64, limit: Option<usize>) -> Request {
        Request {
            given: "f.txt".into(),
            path: PathBuf::from("unused"),
            offset,
            limit,
        }
    }

    fn text_of(out: &ToolOutput) -> &str {
        match &out.content[0] {
            ContentBlock::Text(t) => &t.text,
            other => panic!("not text: {other:?}"),
        }
    }

    fn lines(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn pages_by_offset_and_limit() {
        let out = read_text(&req(3, Some(2)), lines(10).as_bytes()).unwrap();
        assert_eq!(
            text_of(&out),
            "line 3\nline 4\n\n[6 more lines in file. Use offset=5 to continue.]"
        );
        let out = read_text(&req(9, Some(5)), lines(10).as_bytes()).unwrap();
        assert_eq!(text_of(&out), "line 9\nline 10");
        let out = read_text(&req(1, None), "a\r\nb".as_bytes()).unwrap();
        assert_eq!(text_of(&out), "a\nb");
    }

    #[test]
    fn caps_lines_with_a_continuation_hint() {
        let out = read_text(&req(1, None), lines(2500).as_bytes()).unwrap();
        let text = text_of(&out);
        assert!(text.starts_with("line 1\n"));
        assert!(text.ends_with(
            "line 2000\n\n[Showing lines 1-2000 of 2500. Use offset=2001 to continue.]"
        ));
        assert_eq!(
            out.details.as_ref().unwrap()["truncation"]["truncatedBy"],
            "lines"
        );
    }

    #[test]
    fn caps_bytes_with_a_continuation_hint() {
        let long: String = (1..=100)
            .map(|i| format!("{i:03}{}\n", "x".repeat(997)))
            .collect();
        let out = read_text(&req(1, None), long.as_bytes()).unwrap();
        let text = text_of(&out);
        assert!(text.len() <= MAX_BYTES + 100);
        assert!(
            text.ends_with(
                "[Showing lines 1-51 of 100 (50.0KB limit). Use offset=52 to continue.]"
            ),
            "{}",
            &text[text.len() - 120..]
        );
    }

    #[test]
    fn a_giant_first_line_points_to_exec() {
        let huge = "y".repeat(MAX_BYTES + 10);
        let out = read_text(&req(1, None), huge.as_bytes()).unwrap();
        assert!(
            text_of(&out).starts_with(
                "[Line 1 is 50.0KB, exceeds 50.0KB limit. Use exec: sed -n '1p' f.txt"
            )
        );
    }

    #[test]
    fn offset_past_the_end_is_an_error() {
        let err = read_text(&req(20, None), lines(3).as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Offset 20 is beyond end of file (3 lines total)"
        );
        let out = read_text(&req(1, None), &b""[..]).unwrap();
        assert_eq!(text_of(&out), "(empty file)");
    }
}
