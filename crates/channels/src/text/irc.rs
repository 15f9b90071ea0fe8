//! IRC: markdown to `PRIVMSG` payloads.
//!
//! IRC has no newlines in a message and no markup language, and a line the server relays is
//! at most 512 bytes with its prefix. OpenClaw's IRC channel sends plain text (markdown
//! stripped, code contents and link targets kept, control characters removed) in payloads of
//! at most 350 characters (its `textChunkLimit`) that also fit the byte budget left by the
//! worst-case relay prefix, cut at a space when one is in the second half, never inside a
//! character or a grapheme cluster.
//!
//! Two choices differ from OpenClaw, which joins a reply's lines with spaces into one long
//! message: each line of the reply is its own payload here (code blocks and lists stay
//! readable; blank lines are not sent), and optional mIRC formatting codes can carry bold,
//! italic, strikethrough and inline code ([`IrcFormatting::Mirc`]). A payload cut in the middle
//! of a styled run starts again with the codes of the styles still on. An adapter has to pace
//! its sends: a long code block is many lines, and servers disconnect floods.

use unicode_segmentation::UnicodeSegmentation;

use super::ir::{Ir, IrOptions, Style, parse};
use super::render::{every_link, link_suffixes};
use super::units::utf16_len;

/// The longest line IRC allows, CRLF included (RFC 1459 §2.3).
pub const IRC_MAX_LINE_BYTES: usize = 512;

/// OpenClaw's `textChunkLimit` for IRC: the most characters (UTF-16 units) in one payload.
pub const IRC_TEXT_CHUNK_LIMIT: usize = 350;

/// Bytes reserved for the user part of the relay prefix (`~` plus a 10-byte USERLEN).
const RELAY_USER_BYTES: usize = 11;
/// Bytes reserved for the host part of the relay prefix (HOSTLEN 63).
const RELAY_HOST_BYTES: usize = 63;

/// Whether payloads carry mIRC formatting codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IrcFormatting {
    /// Plain text only, as OpenClaw sends.
    #[default]
    Plain,
    /// Bold `\x02` (headings too), italic `\x1D`, strikethrough `\x1E`, inline code as
    /// monospace `\x11`; code blocks stay plain lines.
    Mirc,
}

/// How to cut a reply into payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IrcOptions {
    /// The most bytes of one payload, formatting codes included: see [`irc_payload_budget`].
    pub max_payload_bytes: usize,
    /// The most visible characters (UTF-16 units) of one payload, OpenClaw's `textChunkLimit`
    /// ([`IRC_TEXT_CHUNK_LIMIT`] by default); 0 counts as 1.
    pub max_payload_chars: usize,
    /// Plain text or mIRC codes.
    pub formatting: IrcFormatting,
}

/// The bytes left for the text of `PRIVMSG <target> :<text>` sent as `nick`, so that the line
/// as the server relays it (`:nick!user@host PRIVMSG <target> :<text>\r\n`) stays within
/// [`IRC_MAX_LINE_BYTES`] whatever the user and host turn out to be (OpenClaw reserves the same
/// worst case). Zero when the nick and target alone take the line.
pub fn irc_payload_budget(nick: &str, target: &str) -> usize {
    let relay_prefix = ":".len() + nick.len() + "!@ ".len() + RELAY_USER_BYTES + RELAY_HOST_BYTES;
    let command = "PRIVMSG ".len() + target.len() + " :".len() + "\r\n".len();
    IRC_MAX_LINE_BYTES.saturating_sub(relay_prefix + command)
}

/// The `PRIVMSG` payloads for a markdown reply, in order: one or more per non-blank line of its
/// plain rendering, each at most `options.max_payload_bytes` bytes and
/// `options.max_payload_chars` characters, without CR, LF, NUL or any other control character
/// but the formatting codes asked for. A line's indentation is kept on its first payload;
/// whitespace where a line is cut is dropped. A byte budget smaller than one character (plus
/// its codes) cannot be met: such a character is then sent alone, over the budget.
pub fn irc_lines(markdown: &str, options: &IrcOptions) -> Vec<String> {
    let ir = parse(markdown, &IrOptions { rule_text: "" });
    let segments = styled_segments(&ir, options.formatting);
    let mut payloads = Vec::new();
    let mut line: Vec<(String, u8)> = Vec::new();
    for (text, style) in segments {
        let mut pieces = text.split('\n');
        if let Some(first) = pieces.next() {
            push_sanitized(&mut line, first, style);
        }
        for piece in pieces {
            split_line(&line, options, &mut payloads);
            line.clear();
            push_sanitized(&mut line, piece, style);
        }
    }
    split_line(&line, options, &mut payloads);
    payloads
}

const BOLD: u8 = 1;
const ITALIC: u8 = 2;
const STRIKE: u8 = 4;
const MONO: u8 = 8;
const CODES: [(u8, char); 4] = [
    (BOLD, '\u{02}'),
    (ITALIC, '\u{1D}'),
    (STRIKE, '\u{1E}'),
    (MONO, '\u{11}'),
];

fn style_bit(style: Style) -> u8 {
    match style {
        Style::Bold => BOLD,
        Style::Italic => ITALIC,
        Style::Strikethrough => STRIKE,
        Style::Code => MONO,
        Style::CodeBlock | Style::Blockquote => 0,
    }
}

/// The reply's plain text as runs of one style, each link's ` (url)` after its label.
fn styled_segments(ir: &Ir, formatting: IrcFormatting) -> Vec<(String, u8)> {
    let suffixes = link_suffixes(ir, every_link);
    let mut points: Vec<usize> = ir
        .styles
        .iter()
        .flat_map(|s| [s.start, s.end])
        .chain(suffixes.iter().map(|(end, _)| *end))
        .chain([0, ir.text.len()])
        .collect();
    points.sort_unstable();
    points.dedup();
    let mut segments = Vec::new();
    let mut suffixes = suffixes.into_iter().peekable();
    for pair in points.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let style = match formatting {
            IrcFormatting::Plain => 0,
            IrcFormatting::Mirc => ir
                .styles
                .iter()
                .filter(|s| s.start <= start && end <= s.end)
                .fold(0, |bits, s| bits | style_bit(s.style)),
        };
        if let Some(text) = ir.text.get(start..end) {
            segments.push((text.to_owned(), style));
        }
        while let Some((_, suffix)) = suffixes.next_if(|(at, _)| *at == end) {
            segments.push((suffix, 0));
        }
    }
    segments
}

/// Appends `text` to the line without control characters; a tab becomes four spaces.
fn push_sanitized(line: &mut Vec<(String, u8)>, text: &str, style: u8) {
    let mut clean = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => clean.push_str("    "),
            c if c.is_control() => {}
            c => clean.push(c),
        }
    }
    if !clean.is_empty() {
        line.push((clean, style));
    }
}

struct Cell<'a> {
    text: &'a str,
    style: u8,
    blank: bool,
}

/// Cuts one line into payloads and appends them to `out`.
fn split_line(line: &[(String, u8)], options: &IrcOptions, out: &mut Vec<String>) {
    let max_bytes = options.max_payload_bytes;
    let max_chars = options.max_payload_chars.max(1);
    let mut cells = Vec::new();
    for (text, style) in line {
        let codes = style.count_ones() as usize;
        for grapheme in text.graphemes(true) {
            // A cluster too big for a payload on its own (with its codes) is cut between its
            // chars.
            let whole = grapheme.len() + codes <= max_bytes && utf16_len(grapheme) <= max_chars;
            let parts: Vec<&str> = if whole {
                vec![grapheme]
            } else {
                grapheme
                    .char_indices()
                    .map(|(i, c)| &grapheme[i..i + c.len_utf8()])
                    .collect()
            };
            cells.extend(parts.into_iter().map(|text| Cell {
                text,
                style: *style,
                blank: text.chars().all(char::is_whitespace),
            }));
        }
    }

    let mut i = 0;
    while i < cells.len() {
        let (mut bytes, mut chars, mut prev, mut j) = (0, 0, 0_u8, i);
        while let Some(cell) = cells.get(j) {
            let add_bytes = cell.text.len() + (cell.style ^ prev).count_ones() as usize;
            let add_chars = utf16_len(cell.text);
            if j > i && (bytes + add_bytes > max_bytes || chars + add_chars > max_chars) {
                break;
            }
            bytes += add_bytes;
            chars += add_chars;
            prev = cell.style;
            j += 1;
        }
        let cut = if j == cells.len() || cells[j].blank {
            j
        } else {
            // A space in the second half of the payload; else cut where the budget ran out.
            let half = i + (j - i) / 2;
            (i + 1..j)
                .rev()
                .find(|k| cells[*k].blank && *k >= half)
                .unwrap_or(j)
        };
        let mut end = cut;
        while end > i && cells[end - 1].blank {
            end -= 1;
        }
        if end > i {
            out.push(render(&cells[i..end]));
        }
        i = cut;
        while cells.get(i).is_some_and(|cell| cell.blank) {
            i += 1;
        }
    }
}

fn render(cells: &[Cell<'_>]) -> String {
    let mut out = String::new();
    let mut prev = 0_u8;
    for cell in cells {
        let changed = cell.style ^ prev;
        for (bit, code) in CODES {
            if changed & bit != 0 {
                out.push(code);
            }
        }
        out.push_str(cell.text);
        prev = cell.style;
    }
    out
}

#[cfg(test)]
#[path = "irc_tests.rs"]
mod tests;
