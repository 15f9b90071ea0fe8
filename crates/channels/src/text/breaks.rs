//! Where to cut a window of text: the break preference shared by both chunkers.
//!
//! A cut is wanted as late as possible in the window, at the best kind of boundary: a paragraph
//! (blank line), then a line, then a sentence end, then a space. OpenClaw's block chunker uses
//! this order; to keep it from producing a tiny chunk because a paragraph break sits near the
//! start of the window, a kind of boundary is taken only if it leaves the chunk at least half
//! full, and otherwise the latest boundary of any kind wins.
//!
//! Positions inside code are never preferred: a cut inside a code block is taken only when no
//! other boundary exists in the window. Positions inside parentheses or brackets (a markdown
//! link's label or destination, "label (url)") or inside a link or an inline code span are
//! taken only when no free boundary leaves the chunk half full, and after any free boundary
//! otherwise, as OpenClaw's chunker skips breaks inside parentheses.

use super::units::is_grapheme_boundary;

/// The kind of boundary, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BreakClass {
    Paragraph,
    Newline,
    Sentence,
    Whitespace,
}

/// How acceptable a cut at a position is, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    /// Nothing spans the position.
    Free,
    /// Inside parentheses, brackets, a link or an inline code span.
    Soft,
    /// Inside a code block: only a cut after a newline is offered.
    Code,
}

/// A possible cut: the chunk would end at `pos` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub pos: usize,
    pub class: BreakClass,
    pub tier: Tier,
}

const CLASSES: [BreakClass; 4] = [
    BreakClass::Paragraph,
    BreakClass::Newline,
    BreakClass::Sentence,
    BreakClass::Whitespace,
];

/// Every cut in `(start, end]`. `zone` tells what spans a position: [`Tier::Code`] for a code
/// block, [`Tier::Soft`] for a link or inline code, [`Tier::Free`] otherwise; parentheses and
/// brackets are tracked here.
pub(crate) fn candidates(
    text: &str,
    start: usize,
    end: usize,
    zone: &dyn Fn(usize) -> Tier,
) -> Vec<Candidate> {
    let mut found = Vec::new();
    let mut depth = 0_u32;
    let mut prev = text.get(..start).and_then(|head| head.chars().next_back());
    let window = text.get(start..end).unwrap_or_default();
    for (offset, c) in window.char_indices() {
        let pos = start + offset;
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let zone = zone(pos);
        let tier = match zone {
            Tier::Free if depth > 0 => Tier::Soft,
            other => other,
        };
        let mut push = |pos: usize, class: BreakClass, tier: Tier| {
            if pos > start && pos <= end {
                found.push(Candidate { pos, class, tier });
            }
        };
        if c == '\n' {
            if zone == Tier::Code {
                push(pos + 1, BreakClass::Newline, Tier::Code);
            } else {
                let next = text.get(pos + 1..).and_then(|tail| tail.chars().next());
                let class = if prev == Some('\n') || next == Some('\n') {
                    BreakClass::Paragraph
                } else {
                    BreakClass::Newline
                };
                push(pos, class, tier);
            }
        } else if zone != Tier::Code {
            if c.is_whitespace() {
                let class = if matches!(prev, Some('.' | '!' | '?' | '…')) {
                    BreakClass::Sentence
                } else {
                    BreakClass::Whitespace
                };
                push(pos, class, tier);
            } else if matches!(c, '。' | '！' | '？') {
                // CJK sentences end without a space: cut after the mark.
                push(pos + c.len_utf8(), BreakClass::Sentence, tier);
            }
        }
        prev = Some(c);
    }
    found
}

/// The preferred cut among `found` for a window `(start, end]`, or `None` when the window has
/// no boundary at all (the caller then cuts hard).
pub(crate) fn choose(
    text: &str,
    found: &[Candidate],
    start: usize,
    end: usize,
) -> Option<Candidate> {
    let half = start + (end - start) / 2;
    let usable = |c: &&Candidate| is_grapheme_boundary(text, c.pos);
    for tier in [Tier::Free, Tier::Soft] {
        for class in CLASSES {
            let pick = found
                .iter()
                .rev()
                .filter(usable)
                .find(|c| c.tier == tier && c.class == class && c.pos >= half);
            if let Some(pick) = pick {
                return Some(*pick);
            }
        }
    }
    [Tier::Free, Tier::Soft, Tier::Code]
        .into_iter()
        .find_map(|tier| found.iter().rev().filter(usable).find(|c| c.tier == tier))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn free(_: usize) -> Tier {
        Tier::Free
    }

    fn cut(text: &str, end: usize) -> Option<usize> {
        let found = candidates(text, 0, end, &free);
        choose(text, &found, 0, end).map(|c| c.pos)
    }

    #[test]
    fn paragraph_beats_a_later_line_when_half_full() {
        let text = "aaaaaaaaaa\n\nbbbbb\ncc dd";
        assert_eq!(cut(text, text.len()), Some(11));
    }

    #[test]
    fn an_early_paragraph_loses_to_a_late_line() {
        let text = "a\n\nbbbbbbbbbbbbbbbbbbbb\ncccc";
        assert_eq!(cut(text, text.len()), Some(23));
    }

    #[test]
    fn sentence_beats_a_later_space() {
        let text = "One two three. Four five";
        assert_eq!(cut(text, text.len()), Some(14));
    }

    #[test]
    fn cjk_sentences_end_after_the_mark() {
        let text = "漢字です。次の文";
        assert_eq!(cut(text, text.len()), Some("漢字です。".len()));
    }

    #[test]
    fn parentheses_are_avoided_when_possible() {
        let text = "words words words (a b c)";
        assert_eq!(cut(text, text.len()), Some(17));
        let text = "see the docs at [the guide](https://example.com)";
        assert_eq!(cut(text, 25), Some(15));
        // Only when every free boundary is early does a cut inside the parentheses win.
        let text = "a (b c d e f g h i j)";
        assert_eq!(cut(text, text.len()), Some(18));
    }

    #[test]
    fn code_cuts_come_last_and_fall_after_a_newline() {
        let text = "ab\ncode\nmore";
        let zone = |pos: usize| if pos >= 3 { Tier::Code } else { Tier::Free };
        let found = candidates(text, 0, text.len(), &zone);
        assert_eq!(choose(text, &found, 0, text.len()).map(|c| c.pos), Some(2));
        let found = candidates(text, 3, text.len(), &zone);
        assert_eq!(choose(text, &found, 3, text.len()).map(|c| c.pos), Some(8));
    }

    #[test]
    fn no_boundary_means_none() {
        assert_eq!(cut("abcdef", 4), None);
    }
}
