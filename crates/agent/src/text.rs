//! Text helpers shared by the runtime: joining the text blocks of a message and cutting long
//! text in the middle so both ends survive.

use rustyclaw_protocol::transcript::ContentBlock;

/// The text blocks of `content`, joined with `separator` (other blocks are skipped).
pub(crate) fn text_blocks(content: &[ContentBlock], separator: &str) -> String {
    content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(separator)
}

/// `text` cut to `max` characters: the first `head` and the last `max - head`, around a line
/// saying how much was left out (`marker(omitted)`). Text within `max` is returned as is.
pub(crate) fn cut_middle(
    text: &str,
    max: usize,
    head: usize,
    marker: impl Fn(usize) -> String,
) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_owned();
    }
    let head = head.min(max);
    let tail = max - head;
    let head_text: String = text.chars().take(head).collect();
    let tail_text: String = text.chars().skip(total - tail).collect();
    format!("{head_text}\n\n{}\n\n{tail_text}", marker(total - max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_keeps_both_ends() {
        let text = format!("START{}END", "y".repeat(1_000));
        let cut = cut_middle(&text, 100, 50, |n| format!("[{n} cut]"));
        assert!(cut.starts_with("START"));
        assert!(cut.ends_with("END"));
        assert!(cut.contains("[908 cut]"), "{cut}");
        assert_eq!(cut_middle("short", 100, 50, |_| unreachable!()), "short");
    }

    #[test]
    fn only_text_blocks_are_joined() {
        let blocks = [ContentBlock::text("a"), ContentBlock::text("b")];
        assert_eq!(text_blocks(&blocks, "\n"), "a\nb");
    }
}
