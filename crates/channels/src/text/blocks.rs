//! Block streaming's chunker: the text of one assistant message, cut into blocks while it is
//! written, as OpenClaw's `EmbeddedBlockChunker` cuts it.
//!
//! Nothing is cut until the unsent text reaches `min_chars`; then the cut is the last break of
//! the preferred kind (a paragraph by default) between `min_chars` and `max_chars`. Once the
//! unsent text is longer than `max_chars` the block must end, at the best break there is — a
//! paragraph, else a line, else a sentence, else a space (starting lower in that chain when the
//! preference says so) — and only with no break at all is the text cut hard. A cut never falls inside a
//! fenced code block when a break outside one will do; a forced cut inside one closes the fence
//! at the end of the block and reopens it, with its info string, at the start of the next.
//! [`BlockChunker::finish`] sends the rest (the message ended, or a tool call ended it).
//! Lengths are counted in characters.

use super::fence::{Fence, fences};

/// Where a block prefers to end (`blockStreamingChunk.breakPreference`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BreakPreference {
    /// A blank line, else a line end, else a sentence end, else a space (the default).
    #[default]
    Paragraph,
    /// A line end, else a sentence end, else a space.
    Newline,
    /// A sentence end, else a space.
    Sentence,
}

/// How big a block is (`blockStreamingChunk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockBounds {
    /// No block is cut before the unsent text has this many characters (the last one may be
    /// shorter).
    pub min_chars: usize,
    /// No block is longer (its fence closer aside).
    pub max_chars: usize,
    /// Where blocks prefer to end.
    pub preference: BreakPreference,
}

/// Cuts one message's text into blocks as it grows (see the module documentation).
#[derive(Debug, Clone)]
pub struct BlockChunker {
    bounds: BlockBounds,
    text: String,
    consumed: usize,
    reopen: Option<String>,
}

impl BlockChunker {
    /// A chunker for a new message.
    pub fn new(bounds: BlockBounds) -> Self {
        let max_chars = bounds.max_chars.max(1);
        Self {
            bounds: BlockBounds {
                min_chars: bounds.min_chars.clamp(1, max_chars),
                max_chars,
                preference: bounds.preference,
            },
            text: String::new(),
            consumed: 0,
            reopen: None,
        }
    }

    /// Adds `delta` to the message; the blocks it completed, in order.
    pub fn push(&mut self, delta: &str) -> Vec<String> {
        self.append(delta);
        self.drain()
    }

    /// Adds `delta` to the message without cutting anything yet.
    pub fn append(&mut self, delta: &str) {
        self.text.push_str(delta);
    }

    /// The blocks complete now, in order.
    pub fn drain(&mut self) -> Vec<String> {
        let mut blocks = Vec::new();
        while let Some(block) = self.next_block(false) {
            blocks.push(block);
        }
        blocks
    }

    /// The rest of the message, cut within `max_chars`, in order.
    pub fn finish(&mut self) -> Vec<String> {
        let mut blocks = Vec::new();
        while self.consumed < self.text.len() {
            match self.next_block(true) {
                Some(block) => blocks.push(block),
                None => break,
            }
        }
        blocks
    }

    /// The message's text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The part of the message's text that blocks have covered.
    pub fn covered(&self) -> &str {
        &self.text[..self.consumed]
    }

    /// What is not in a block yet, as the next block would start (a reopened fence first).
    pub fn rest(&self) -> String {
        format!(
            "{}{}",
            self.reopen.as_deref().unwrap_or(""),
            &self.text[self.consumed..]
        )
    }

    /// The next block, when one is complete (or, with `force`, whatever is left).
    fn next_block(&mut self, force: bool) -> Option<String> {
        loop {
            let pending = &self.text[self.consumed..];
            if pending.is_empty() {
                return None;
            }
            let (cut, inside) = self.cut(pending, force)?;
            let mut block = self.reopen.take().unwrap_or_default();
            block.push_str(&pending[..cut]);
            if let Some(fence) = inside {
                if !block.ends_with('\n') {
                    block.push('\n');
                }
                block.push_str(&fence.close_line);
                self.reopen = Some(format!("{}\n", fence.open_line));
            }
            self.consumed += cut;
            let block = block.trim().to_owned();
            if !block.is_empty() {
                return Some(block);
            }
        }
    }

    /// Where to cut `pending` (the unsent text, which starts at `self.consumed`), and the fence
    /// the cut falls in; `None` to wait for more text.
    fn cut(&self, pending: &str, force: bool) -> Option<(usize, Option<Fence>)> {
        let BlockBounds {
            min_chars,
            max_chars,
            preference,
        } = self.bounds;
        let chars = pending.chars().count();
        if !force && chars < min_chars {
            return None;
        }
        if force && chars <= max_chars {
            return Some((pending.len(), None));
        }
        let limit = byte_at(pending, max_chars);
        let lowest = if force {
            1
        } else {
            byte_at(pending, min_chars)
        };
        let fences = fences(&self.text);
        let fence_at = |at: usize| {
            let pos = self.consumed + at;
            // A fence still open (its closer not written yet) holds the end of the text too.
            fences
                .iter()
                .find(|f| f.contains(pos) || (f.content_end == f.end && f.start < pos))
                .cloned()
        };
        let outside = |at: usize| fence_at(at).is_none();
        let chain: &[Kind] = match preference {
            BreakPreference::Paragraph => {
                &[Kind::Paragraph, Kind::Line, Kind::Sentence, Kind::Space]
            }
            BreakPreference::Newline => &[Kind::Line, Kind::Sentence, Kind::Space],
            BreakPreference::Sentence => &[Kind::Sentence, Kind::Space],
        };
        // With room to wait, only the preferred break will do; a block that must end takes
        // the best break there is.
        let must_cut = force || chars > max_chars;
        let chain = if must_cut { chain } else { &chain[..1] };
        for kind in chain {
            let found = breaks(pending, *kind)
                .filter(|at| (lowest..=limit).contains(at) && outside(*at))
                .last();
            if let Some(at) = found {
                return Some((at, None));
            }
        }
        if chars <= max_chars {
            // No break yet, and room to wait for one.
            return None;
        }
        // Only inside a code block: closed and reopened, at a line end if there is one.
        let at = breaks(pending, Kind::Line)
            .filter(|at| (lowest..=limit).contains(at))
            .last()
            .unwrap_or(limit);
        Some((at, fence_at(at)))
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Paragraph,
    Line,
    Sentence,
    Space,
}

/// Offsets just past each break of `kind` in `text`.
fn breaks(text: &str, kind: Kind) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    text.char_indices().filter_map(move |(i, c)| {
        let next = i + c.len_utf8();
        let found = match kind {
            Kind::Paragraph => c == '\n' && i > 0 && bytes[i - 1] == b'\n',
            Kind::Line => c == '\n',
            Kind::Sentence => {
                c.is_whitespace()
                    && text[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|p| matches!(p, '.' | '!' | '?' | '…'))
            }
            Kind::Space => c.is_whitespace(),
        };
        found.then_some(next)
    })
}

/// The byte offset of character `n` of `text` (its length when shorter).
fn byte_at(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

#[cfg(test)]
#[path = "blocks_tests.rs"]
mod tests;
