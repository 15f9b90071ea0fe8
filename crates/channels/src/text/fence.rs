//! Fenced code blocks in raw markdown, found line by line as OpenClaw's chunker finds them.
//!
//! A fence opens on a line indented by at most three spaces with three or more backticks or
//! tildes (a backtick fence's info string may not contain a backtick, as in CommonMark); it
//! closes on a line of the same character, at least as long, followed only by spaces or tabs.
//! A fence never closed runs to the end of the text.

/// One fenced code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fence {
    /// Offset of the opening line.
    pub start: usize,
    /// Offset just past the closing line (before its newline), or the end of the text.
    pub end: usize,
    /// Offset of the first content line (just past the opening line's newline).
    pub content_start: usize,
    /// Offset of the closing line, or the end of the text for a fence never closed.
    pub content_end: usize,
    /// The opening line as written: indentation, marker and info string.
    pub open_line: String,
    /// The line that closes this fence: indentation and marker.
    pub close_line: String,
}

impl Fence {
    /// Whether a cut at `pos` would fall inside the block.
    pub fn contains(&self, pos: usize) -> bool {
        self.start < pos && pos < self.end
    }
}

struct Opening {
    start: usize,
    content_start: usize,
    marker: char,
    len: usize,
    indent: usize,
    open_line: String,
}

/// Every fenced code block of `text`, in order.
pub(crate) fn fences(text: &str) -> Vec<Fence> {
    let mut found = Vec::new();
    let mut open: Option<Opening> = None;
    let mut line_start = 0;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        let line = &text[line_start..line_end];
        let next_line = (line_end + 1).min(text.len());
        if let Some(run) = fence_run(line) {
            match &open {
                None => {
                    let valid_info = run.marker != '`' || !run.rest.contains('`');
                    if valid_info {
                        open = Some(Opening {
                            start: line_start,
                            content_start: next_line,
                            marker: run.marker,
                            len: run.len,
                            indent: run.indent,
                            open_line: line.trim_end().to_owned(),
                        });
                    }
                }
                Some(opening)
                    if run.marker == opening.marker
                        && run.len >= opening.len
                        && run.rest.trim_matches([' ', '\t']).is_empty() =>
                {
                    found.push(close(opening, line_start, line_end));
                    open = None;
                }
                Some(_) => {}
            }
        }
        line_start = line_end + 1;
    }
    if let Some(opening) = open {
        found.push(close(&opening, text.len(), text.len()));
    }
    found
}

fn close(opening: &Opening, content_end: usize, end: usize) -> Fence {
    let marker: String = std::iter::repeat_n(opening.marker, opening.len).collect();
    Fence {
        start: opening.start,
        end,
        content_start: opening.content_start.min(content_end),
        content_end,
        open_line: opening.open_line.clone(),
        close_line: format!("{}{marker}", " ".repeat(opening.indent)),
    }
}

struct FenceRun<'a> {
    indent: usize,
    marker: char,
    len: usize,
    rest: &'a str,
}

fn fence_run(line: &str) -> Option<FenceRun<'_>> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let body = &line[indent..];
    let marker = body.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = body.len() - body.trim_start_matches(marker).len();
    (len >= 3).then(|| FenceRun {
        indent,
        marker,
        len,
        rest: body[len..].trim_end_matches('\r'),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn finds_closed_and_unclosed_fences() {
        let text = "intro\n```rust title\nfn x() {}\n```\nmid\n~~~~\ncode\n";
        let found = fences(text);
        assert_eq!(found.len(), 2);
        let first = &found[0];
        assert_eq!(
            &text[first.start..first.end],
            "```rust title\nfn x() {}\n```"
        );
        assert_eq!(&text[first.content_start..first.content_end], "fn x() {}\n");
        assert_eq!(first.open_line, "```rust title");
        assert_eq!(first.close_line, "```");
        let second = &found[1];
        assert_eq!(second.end, text.len());
        assert_eq!(&text[second.content_start..second.content_end], "code\n");
        assert_eq!(second.close_line, "~~~~");
    }

    #[test]
    fn closing_fence_must_match_and_be_bare() {
        let text = "````\n```\nstill code\n```` trailing\n````\nafter";
        let found = fences(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].end..], "\nafter");
    }

    #[test]
    fn indented_and_backtick_info_lines_are_not_fences() {
        let text = "    ```\ncode\n```";
        let found = fences(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].start..], "```");
        assert!(fences("``` a`b\ntext").is_empty());
        assert_eq!(fences("  ```py\nx\n  ```")[0].close_line, "  ```");
    }
}
