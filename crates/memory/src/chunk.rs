//! Cutting a Markdown file into chunks for the index: about 400 tokens each with 80 tokens of
//! overlap (OpenClaw's defaults), on line boundaries, with each chunk's line range kept so a
//! search result can cite `path#L12-L20`.
//!
//! Tokens are estimated (four characters of Latin text, one CJK character), and a chunk is
//! never larger than the embedding model reads: all-MiniLM-L6-v2 reads 256 word pieces, so a
//! longer chunk would be embedded from its first half only. A single line longer than the
//! budget is cut at character boundaries.

/// Default chunk size in estimated tokens.
pub const DEFAULT_CHUNK_TOKENS: usize = 400;
/// Default overlap in estimated tokens.
pub const DEFAULT_OVERLAP_TOKENS: usize = 80;

/// A piece of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// First line, 1-based.
    pub start_line: u32,
    /// Last line, inclusive.
    pub end_line: u32,
    /// The lines' text, joined with `\n`.
    pub text: String,
}

/// Chunk sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSizes {
    /// Largest chunk in estimated tokens.
    pub tokens: usize,
    /// Tokens repeated from the end of one chunk at the start of the next.
    pub overlap: usize,
}

impl ChunkSizes {
    /// OpenClaw's sizes, shrunk to fit a model that reads at most `model_limit` tokens (with a
    /// margin, as estimates are estimates).
    pub fn for_model(model_limit: Option<usize>) -> Self {
        let tokens = match model_limit {
            Some(limit) => DEFAULT_CHUNK_TOKENS.min(limit * 3 / 4).max(16),
            None => DEFAULT_CHUNK_TOKENS,
        };
        Self {
            tokens,
            overlap: (tokens / 5).min(DEFAULT_OVERLAP_TOKENS),
        }
    }
}

/// Estimated tokens of `text`: a CJK or other wide character is one, four other characters are
/// one.
pub fn estimate_tokens(text: &str) -> usize {
    let (mut wide, mut narrow) = (0usize, 0usize);
    for c in text.chars() {
        if is_wide(c) {
            wide += 1;
        } else {
            narrow += 1;
        }
    }
    wide + narrow.div_ceil(4)
}

fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x11FF | 0x2E80..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7AF | 0xF900..=0xFAFF
        | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// Cuts `text` into chunks of at most `sizes.tokens` estimated tokens.
pub fn chunk_markdown(text: &str, sizes: ChunkSizes) -> Vec<Chunk> {
    let lines: Vec<(u32, String)> = split_long_lines(text, sizes.tokens);
    let mut chunks = Vec::new();
    let mut start = 0usize;
    while start < lines.len() {
        let mut end = start;
        let mut tokens = 0usize;
        while end < lines.len() {
            let cost = estimate_tokens(&lines[end].1) + 1;
            if end > start && tokens + cost > sizes.tokens {
                break;
            }
            tokens += cost;
            end += 1;
        }
        let piece: Vec<&str> = lines[start..end].iter().map(|(_, l)| l.as_str()).collect();
        let body = piece.join("\n");
        if !body.trim().is_empty() {
            chunks.push(Chunk {
                start_line: lines[start].0,
                end_line: lines[end - 1].0,
                text: body,
            });
        }
        if end >= lines.len() {
            break;
        }
        // Step back over the overlap, always moving forward by at least one line.
        let mut back = end;
        let mut overlap = 0usize;
        while back > start + 1 {
            let cost = estimate_tokens(&lines[back - 1].1) + 1;
            if overlap + cost > sizes.overlap {
                break;
            }
            overlap += cost;
            back -= 1;
        }
        start = back.max(start + 1);
    }
    chunks
}

/// The file's lines with their numbers; a line over the budget is split into pieces that keep
/// its number.
fn split_long_lines(text: &str, budget: usize) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if estimate_tokens(line) <= budget {
            out.push((number, line.to_owned()));
            continue;
        }
        let mut piece = String::new();
        for c in line.chars() {
            piece.push(c);
            if estimate_tokens(&piece) >= budget {
                out.push((number, std::mem::take(&mut piece)));
            }
        }
        if !piece.is_empty() {
            out.push((number, piece));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_line_ranges_and_overlap() {
        let text: String = (1..=200)
            .map(|i| format!("line {i} with some words in it\n"))
            .collect();
        let chunks = chunk_markdown(
            &text,
            ChunkSizes {
                tokens: 100,
                overlap: 20,
            },
        );
        assert!(chunks.len() > 5);
        assert_eq!(chunks[0].start_line, 1);
        for pair in chunks.windows(2) {
            assert!(pair[1].start_line <= pair[0].end_line, "overlap: {pair:?}");
            assert!(pair[1].start_line > pair[0].start_line, "progress");
        }
        assert_eq!(chunks.last().unwrap().end_line, 200);
        for chunk in &chunks {
            assert!(
                estimate_tokens(&chunk.text) <= 100 + 30,
                "{}",
                chunk.text.len()
            );
            let first = chunk.text.lines().next().unwrap();
            assert_eq!(
                first,
                format!("line {} with some words in it", chunk.start_line)
            );
        }
    }

    #[test]
    fn a_model_limit_shrinks_chunks_and_long_lines_are_cut() {
        let sizes = ChunkSizes::for_model(Some(256));
        assert_eq!(sizes.tokens, 192);
        let long = "word ".repeat(2000);
        let chunks = chunk_markdown(&long, sizes);
        assert!(chunks.len() >= 10);
        assert!(
            chunks
                .iter()
                .all(|c| c.start_line == 1 && estimate_tokens(&c.text) <= 200)
        );
    }

    #[test]
    fn cjk_counts_one_token_per_character() {
        assert_eq!(estimate_tokens("我喜欢咖啡"), 5);
        assert_eq!(estimate_tokens("abcdefgh"), 2);
    }

    #[test]
    fn blank_files_have_no_chunks() {
        assert!(chunk_markdown("\n\n  \n", ChunkSizes::for_model(None)).is_empty());
    }
}
