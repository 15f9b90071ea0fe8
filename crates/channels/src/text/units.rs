//! Measuring and cutting text: UTF-16 lengths and grapheme-safe cut points.
//!
//! Every position here is a byte offset on a `char` boundary; the helpers only ever return such
//! offsets, so callers can slice with them without a panic.

use unicode_segmentation::{GraphemeCursor, UnicodeSegmentation};

/// `text` with CRLF and lone CR line endings turned into LF.
pub(crate) fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The length of `text` in UTF-16 code units, the unit OpenClaw and Telegram count in.
pub(crate) fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// The furthest offset `end >= start` such that `text[start..end]` is at most `budget` UTF-16
/// code units long.
pub(crate) fn advance_utf16(text: &str, start: usize, budget: usize) -> usize {
    let mut used = 0;
    let mut end = start;
    for c in text.get(start..).unwrap_or_default().chars() {
        used += c.len_utf16();
        if used > budget {
            break;
        }
        end += c.len_utf8();
    }
    end
}

/// Whether a cut at `pos` falls between two grapheme clusters.
pub(crate) fn is_grapheme_boundary(text: &str, pos: usize) -> bool {
    if !text.is_char_boundary(pos) {
        return false;
    }
    if pos == 0 || pos == text.len() {
        return true;
    }
    // The cursor is given the whole text, so it never asks for more context; an error would
    // only mean "cannot tell", and a char boundary is then good enough.
    GraphemeCursor::new(pos, text.len(), true)
        .is_boundary(text, 0)
        .unwrap_or(true)
}

/// A cut in `(start, end]` when no break point exists: the last grapheme boundary, else the last
/// char boundary (one cluster longer than the window), else the end of the first char (a window
/// narrower than one char still has to make progress).
pub(crate) fn hard_split(text: &str, start: usize, end: usize) -> usize {
    let rest = text.get(start..).unwrap_or_default();
    let mut best = None;
    for (offset, grapheme) in rest.grapheme_indices(true) {
        let cut = start + offset + grapheme.len();
        if cut > end {
            break;
        }
        best = Some(cut);
    }
    if let Some(cut) = best {
        return cut;
    }
    let mut best = None;
    for (offset, c) in rest.char_indices() {
        let cut = start + offset + c.len_utf8();
        if cut > end {
            break;
        }
        best = Some(cut);
    }
    best.unwrap_or_else(|| start + rest.chars().next().map_or(0, char::len_utf8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn utf16_counts_astral_chars_twice() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("漢字"), 2);
        assert_eq!(utf16_len("🙂"), 2);
        assert_eq!(utf16_len("👨‍👩‍👧‍👦"), 11);
    }

    #[test]
    fn advance_stops_before_a_pair_that_would_overflow() {
        let text = "ab🙂c";
        assert_eq!(advance_utf16(text, 0, 2), 2);
        assert_eq!(advance_utf16(text, 0, 3), 2);
        assert_eq!(advance_utf16(text, 0, 4), 6);
        assert_eq!(advance_utf16(text, 2, 100), text.len());
    }

    #[test]
    fn hard_split_keeps_clusters_whole() {
        let family = "👨‍👩‍👧‍👦";
        let text = format!("ab{family}cd");
        // A window ending inside the family cuts before it.
        assert_eq!(hard_split(&text, 0, 5), 2);
        // A cluster wider than the whole window is cut between its chars.
        assert_eq!(hard_split(&text, 2, 9), 9);
        // A window narrower than one char still advances by one char.
        assert_eq!(hard_split("🙂x", 0, 0), 4);
        // Combining marks stay with their base.
        assert_eq!(hard_split("xe\u{301}y", 0, 2), 1);
    }

    #[test]
    fn grapheme_boundaries() {
        assert!(is_grapheme_boundary("a b", 1));
        assert!(!is_grapheme_boundary("e\u{301}", 1));
        assert!(!is_grapheme_boundary("🙂", 1));
        assert!(is_grapheme_boundary("🙂", 4));
    }
}
