//! Cutting a markdown reply into messages of at most `textChunkLimit` UTF-16 units.
//!
//! This is OpenClaw's `chunkMarkdownTextWithMode` for channels that send markdown as it is:
//! cuts at the best boundary of the window ([`super::breaks`]), whitespace at a cut dropped
//! (the next chunk keeps a line's indentation), and fenced code blocks kept whole unless one is
//! longer than a chunk, in which case each piece is closed with the fence's marker and the next
//! piece reopens it with the same opening line, so every chunk is valid markdown on its own.

use super::breaks::{Tier, candidates, choose};
use super::fence::{Fence, fences};
use super::units::{advance_utf16, hard_split, normalize_newlines, utf16_len};

/// OpenClaw's default `textChunkLimit` for a channel that sets none.
pub const DEFAULT_TEXT_CHUNK_LIMIT: usize = 4000;

/// How a long reply is cut, OpenClaw's `streaming.chunkMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChunkMode {
    /// Fill each chunk up to the limit, cutting at the best boundary of the window (`"length"`,
    /// the default).
    #[default]
    Length,
    /// Cut only between paragraphs (blank lines outside code), packing as many whole
    /// paragraphs into a chunk as fit; a paragraph longer than the limit is then cut by length
    /// (`"newline"`). Despite the name, a single line break is not a cut point.
    Newline,
}

/// How to cut a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// The most UTF-16 code units one chunk may have, OpenClaw's `textChunkLimit`; 0 counts as 1.
    pub limit: usize,
    /// Where cuts may fall.
    pub mode: ChunkMode,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            limit: DEFAULT_TEXT_CHUNK_LIMIT,
            mode: ChunkMode::Length,
        }
    }
}

/// Cuts a markdown reply into ordered chunks of at most `options.limit` UTF-16 code units.
///
/// Line endings are normalised to `\n`. No chunk is empty or only whitespace; whitespace at a
/// cut is dropped, so the chunks joined with the whitespace that was there give back the text
/// (plus the fence lines added to close and reopen a split code block). A limit too small for
/// a fence's marker lines degrades to plain cuts, and a limit narrower than one character still
/// yields one character per chunk.
pub fn chunk_markdown(text: &str, options: &ChunkOptions) -> Vec<String> {
    let limit = options.limit.max(1);
    let text = normalize_newlines(text);
    match options.mode {
        ChunkMode::Length => split_by_length(&text, limit),
        ChunkMode::Newline => pack_paragraphs(&text, limit)
            .into_iter()
            .flat_map(|part| split_by_length(part, limit))
            .collect(),
    }
}

/// Whole paragraphs packed into parts of at most `limit` units; a paragraph longer than the
/// limit is a part of its own. Blank lines inside fenced code do not separate paragraphs.
pub(crate) fn pack_paragraphs(text: &str, limit: usize) -> Vec<&str> {
    let fenced = fences(text);
    let mut paragraphs = Vec::new();
    let mut para_start = 0;
    let mut pos = 0;
    while let Some(offset) = text.get(pos..).and_then(|rest| rest.find('\n')) {
        let newline = pos + offset;
        match separator_end(text, newline) {
            Some(sep_end) if !fenced.iter().any(|f| f.contains(newline)) => {
                paragraphs.push((para_start, newline));
                para_start = sep_end;
                pos = sep_end;
            }
            _ => pos = newline + 1,
        }
    }
    paragraphs.push((para_start, text.len()));

    let mut parts = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for (start, end) in paragraphs {
        let end = start + text[start..end].trim_end().len();
        if text[start..end].trim_start().is_empty() {
            continue;
        }
        current = match current {
            None => Some((start, end)),
            Some((s, _)) if utf16_len(&text[s..end]) <= limit => Some((s, end)),
            Some((s, e)) => {
                parts.push(&text[s..e]);
                Some((start, end))
            }
        };
    }
    if let Some((s, e)) = current {
        parts.push(&text[s..e]);
    }
    parts
}

/// The end of a paragraph separator (`\n`, optional spaces or tabs, one or more `\n`) that
/// starts at the newline `at`, or `None` if only a line break is there.
fn separator_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = at + 1;
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if bytes.get(i) != Some(&b'\n') {
        return None;
    }
    while bytes.get(i) == Some(&b'\n') {
        i += 1;
    }
    Some(i)
}

/// The line that reopens `fence` in the next chunk, or `None` when the limit cannot hold the
/// marker lines and a line of content (OpenClaw's `resolveFenceReopenLine`).
fn reopen_line(fence: &Fence, limit: usize) -> Option<&str> {
    let close = utf16_len(&fence.close_line);
    if utf16_len(&fence.open_line) + close + 3 <= limit {
        Some(&fence.open_line)
    } else if 2 * close + 3 <= limit {
        Some(&fence.close_line)
    } else {
        None
    }
}

fn split_by_length(text: &str, limit: usize) -> Vec<String> {
    let fenced = fences(text);
    let zone = |pos: usize| {
        if fenced.iter().any(|f| f.contains(pos)) {
            Tier::Code
        } else {
            Tier::Free
        }
    };
    let mut chunks = Vec::new();
    // Leading blank lines go; the first line's indentation (an indented code block) stays.
    let lead = text.len() - text.trim_start().len();
    let mut start = text[..lead].rfind('\n').map_or(0, |newline| newline + 1);
    let mut reopen: Option<&str> = None;
    while start < text.len() {
        let prefix = reopen.map(|line| format!("{line}\n")).unwrap_or_default();
        let budget = limit.saturating_sub(utf16_len(&prefix)).max(1);
        let end = advance_utf16(text, start, budget);
        if end == text.len() {
            push_chunk(&mut chunks, &prefix, text[start..].trim_end(), "");
            break;
        }
        let found = candidates(text, start, end, &zone);
        let outside = choose(text, &found, start, end).filter(|c| c.tier != Tier::Code);
        if let Some(cut) = outside {
            push_chunk(&mut chunks, &prefix, text[start..cut.pos].trim_end(), "");
            start = skip_cut_whitespace(text, cut.pos);
            reopen = None;
            continue;
        }
        // No cut outside code: the window ends inside a fence too long for one chunk, or in
        // one unbroken run of text.
        let fence = fenced.iter().find(|f| f.contains(end));
        let split = fence.and_then(|f| {
            let line = reopen_line(f, limit)?;
            let cut = cut_inside_fence(text, start, budget, f)?;
            Some((f, line, cut))
        });
        if let Some((fence, line, cut)) = split {
            let body = &text[start..cut];
            let close = if body.ends_with('\n') {
                fence.close_line.clone()
            } else {
                format!("\n{}", fence.close_line)
            };
            push_chunk(&mut chunks, &prefix, body, &close);
            start = cut;
            reopen = Some(line);
        } else {
            let cut = hard_split(text, start, end);
            push_chunk(&mut chunks, &prefix, &text[start..cut], "");
            let inside_fence = fenced.iter().any(|f| f.contains(cut));
            start = if inside_fence {
                cut
            } else {
                skip_cut_whitespace(text, cut)
            };
            reopen = None;
        }
    }
    chunks
}

/// A cut inside `fence` that leaves room for its closing line: after the last content line
/// that fits, else a hard cut inside the line. `None` when not even one character of content
/// fits beside the opening and closing lines.
fn cut_inside_fence(text: &str, start: usize, budget: usize, fence: &Fence) -> Option<usize> {
    let close_cost = utf16_len(&fence.close_line) + 1;
    let end = advance_utf16(text, start, budget.checked_sub(close_cost)?);
    let low = start.max(fence.content_start);
    // Content must remain for the next chunk, or it would reopen an empty block: the cut
    // falls before the content's last char (a closed fence's last newline).
    let last_char = text
        .get(..fence.content_end)
        .and_then(|head| head.char_indices().next_back())
        .map_or(0, |(at, _)| at);
    let high = end.min(last_char);
    if high <= low {
        return None;
    }
    let window = &text[low..high];
    if let Some(newline) = window.rfind('\n') {
        return Some(low + newline + 1);
    }
    let cut = hard_split(text, low, high);
    (cut > low && cut <= high).then_some(cut)
}

/// Where the next chunk starts after a cut at `pos` outside code: past the whitespace there,
/// but keeping the indentation of the line the next chunk starts on.
fn skip_cut_whitespace(text: &str, pos: usize) -> usize {
    let rest = &text[pos..];
    let run = rest.len() - rest.trim_start().len();
    match rest[..run].rfind('\n') {
        Some(newline) => pos + newline + 1,
        None => pos + run,
    }
}

fn push_chunk(chunks: &mut Vec<String>, prefix: &str, body: &str, suffix: &str) {
    if body.trim().is_empty() {
        return;
    }
    chunks.push(format!("{prefix}{body}{suffix}"));
}

#[cfg(test)]
#[path = "chunk_tests.rs"]
mod tests;
