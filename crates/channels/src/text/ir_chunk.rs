//! Cutting an IR into chunks whose *rendered* form fits a limit (OpenClaw's
//! `renderMarkdownIRChunksWithinLimit`).
//!
//! The limit applies to what is sent (tags, escapes and all), so each chunk is the longest
//! prefix whose rendering fits, found by bisection (rendering only grows with the prefix), then
//! pulled back to the best boundary inside it ([`super::breaks`]). Each chunk is rendered from
//! its own slice of the IR, so a style or a code block cut in two is closed in one chunk and
//! opened again in the next.

use super::breaks::{Tier, candidates, choose};
use super::ir::{Ir, Style};
use super::units::{advance_utf16, hard_split, utf16_len};

/// One chunk: its slice of the IR and its rendering.
pub(crate) struct IrChunk {
    pub ir: Ir,
    pub rendered: String,
}

/// Cuts `ir` so that `render` of every chunk is at most `limit` UTF-16 units (`limit` 0 counts
/// as 1). Whitespace at a cut is dropped unless it is inside code; chunks with no visible text
/// are skipped. A limit too small for even one character and its tags still yields one
/// character per chunk, over the limit.
pub(crate) fn chunk_ir(ir: &Ir, limit: usize, render: &dyn Fn(&Ir) -> String) -> Vec<IrChunk> {
    let limit = limit.max(1);
    let text = ir.text.as_str();
    let fits = |start: usize, end: usize| utf16_len(&render(&ir.slice(start, end))) <= limit;
    let zone = |pos: usize| zone_at(ir, pos);

    let mut chunks = Vec::new();
    let mut cursor = skip_whitespace(ir, 0);
    while cursor < text.len() {
        let fit_end = longest_fit(text, cursor, limit, &fits);
        let cut = if fit_end == text.len() {
            fit_end
        } else {
            let found = candidates(text, cursor, fit_end, &zone);
            choose(text, &found, cursor, fit_end)
                .map_or_else(|| hard_split(text, cursor, fit_end), |c| c.pos)
        };
        let end = trim_end(ir, cursor, cut);
        let slice = ir.slice(cursor, end);
        if !slice.text.trim().is_empty() {
            let rendered = render(&slice);
            chunks.push(IrChunk {
                ir: slice,
                rendered,
            });
        }
        cursor = skip_whitespace(ir, cut.max(cursor + 1));
        while !text.is_char_boundary(cursor) {
            cursor += 1;
        }
    }
    chunks
}

/// The furthest end whose rendering fits; at least one character, so a chunk always advances.
fn longest_fit(
    text: &str,
    start: usize,
    limit: usize,
    fits: &dyn Fn(usize, usize) -> bool,
) -> usize {
    // Rendering never shrinks the text, so no end past `limit` units of text can fit.
    let ceiling = advance_utf16(text, start, limit);
    let ends: Vec<usize> = text
        .get(start..ceiling)
        .unwrap_or_default()
        .char_indices()
        .map(|(offset, c)| start + offset + c.len_utf8())
        .collect();
    let fitting = ends.partition_point(|end| fits(start, *end));
    match fitting.checked_sub(1).and_then(|last| ends.get(last)) {
        Some(end) => *end,
        None => hard_split(text, start, start),
    }
}

/// What spans `pos`, for the break preference.
fn zone_at(ir: &Ir, pos: usize) -> Tier {
    let inside = |start: usize, end: usize| start < pos && pos < end;
    let in_block = ir
        .styles
        .iter()
        .any(|s| s.style == Style::CodeBlock && s.start <= pos && pos < s.end);
    if in_block {
        Tier::Code
    } else if ir
        .styles
        .iter()
        .any(|s| s.style == Style::Code && inside(s.start, s.end))
        || ir.links.iter().any(|l| inside(l.start, l.end))
    {
        Tier::Soft
    } else {
        Tier::Free
    }
}

fn skip_whitespace(ir: &Ir, mut pos: usize) -> usize {
    while let Some(c) = ir.text.get(pos..).and_then(|rest| rest.chars().next()) {
        if !c.is_whitespace() || ir.in_code(pos) {
            break;
        }
        pos += c.len_utf8();
    }
    pos.min(ir.text.len())
}

fn trim_end(ir: &Ir, start: usize, mut end: usize) -> usize {
    while end > start {
        let Some(c) = ir.text.get(..end).and_then(|head| head.chars().next_back()) else {
            break;
        };
        let at = end - c.len_utf8();
        if !c.is_whitespace() || ir.in_code(at) {
            break;
        }
        end = at;
    }
    end
}
