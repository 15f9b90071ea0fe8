//! Every function on hostile input: no panic, and the promises of each output still hold.

use super::telegram::tests::assert_valid_telegram_html;
use super::units::utf16_len;
use super::*;

/// Fragments that stress parsers and cutters; random inputs are built from them.
const PIECES: &[&str] = &[
    "**",
    "__",
    "*",
    "_",
    "~",
    "~~",
    "`",
    "```",
    "```rust\n",
    "~~~\n",
    "\n",
    "\n\n",
    " ",
    "\t",
    "  ",
    "<",
    ">",
    "&",
    "&amp;",
    "\"",
    "<b>",
    "</i>",
    "<script>",
    "[",
    "]",
    "(",
    ")",
    "](",
    "[x](https://e.test/a_(b))",
    "[y](docs/a/long/relative/path/to/a/file.md)",
    "[z](ftp://q)",
    "<https://x.test>",
    "> ",
    "- ",
    "1. ",
    "# ",
    "---\n",
    "|",
    "\\",
    "\r\n",
    "\r",
    "\u{0}",
    "\u{1}",
    "\u{2}",
    "\u{3}12",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "\u{200d}",
    "\u{301}",
    "e\u{301}",
    "🙂",
    "👨‍👩‍👧‍👦",
    "🇫🇷",
    "漢字",
    "。",
    "！",
    "word",
    "sentence. ",
    "x",
    "12345",
    "ümlaut",
    "\u{10ffff}",
    "    ",
    "<pre>",
    "&#x41;",
];

fn random_input(rng: &mut fastrand::Rng) -> String {
    let count = rng.usize(0..120);
    (0..count)
        .map(|_| PIECES[rng.usize(0..PIECES.len())])
        .collect()
}

fn inputs() -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(0x5eed_c1a5);
    let mut all: Vec<String> = PIECES.iter().map(|p| (*p).to_owned()).collect();
    all.extend((0..300).map(|_| random_input(&mut rng)));
    all.push("x".repeat(5_000));
    all.push("🙂".repeat(3_000));
    all.push(format!("```\n{}\n```", "<&>".repeat(2_000)));
    all.push("**".repeat(2_000));
    all.push("[".repeat(1_000) + &"]".repeat(1_000));
    all.push("> ".repeat(500) + "deep");
    all.push("- ".repeat(300) + "nested");
    all.push(format!("```\n{}", "漢".repeat(300)));
    all.push(format!("~~~py\n{}", "👨‍👩‍👧‍👦".repeat(100)));
    all
}

#[test]
fn chunking_never_breaks_its_promises() {
    for input in inputs() {
        for limit in [0, 1, 2, 5, 13, 64, 500, 4000] {
            for mode in [ChunkMode::Length, ChunkMode::Newline] {
                let options = ChunkOptions { limit, mode };
                let chunks = chunk_markdown(&input, &options);
                for chunk in &chunks {
                    assert!(!chunk.trim().is_empty(), "{input:?} {options:?}");
                    // Below one astral char or the fence lines a chunk may exceed the limit.
                    if limit >= 13 {
                        assert!(
                            utf16_len(chunk) <= limit,
                            "{input:?} {options:?}: {chunk:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn telegram_output_is_always_valid_html() {
    for input in inputs() {
        assert_valid_telegram_html(&telegram_html(&input));
        for limit in [1, 7, 40, 300, 4000] {
            let options = ChunkOptions {
                limit,
                mode: ChunkMode::Length,
            };
            for chunk in telegram_chunks(&input, &options) {
                assert_valid_telegram_html(&chunk.html);
                assert!(!chunk.plain.trim().is_empty(), "{input:?}");
                assert!(utf16_len(&chunk.plain) <= utf16_len(&chunk.html));
                // One character inside every tag at once (a quote, a link, three styles) needs
                // about a hundred units; past that every chunk fits.
                if limit >= 300 {
                    assert!(utf16_len(&chunk.html) <= limit, "{input:?}: {}", chunk.html);
                }
            }
        }
        let _ = plain_text(&input);
    }
}

#[test]
fn irc_lines_always_fit_one_line() {
    for input in inputs() {
        for max_payload_bytes in [0, 3, 16, 100, 400] {
            for formatting in [IrcFormatting::Plain, IrcFormatting::Mirc] {
                let options = IrcOptions {
                    max_payload_bytes,
                    max_payload_chars: IRC_TEXT_CHUNK_LIMIT,
                    formatting,
                };
                for line in irc_lines(&input, &options) {
                    assert!(!line.trim().is_empty(), "{input:?}");
                    assert!(!line.contains(['\r', '\n', '\0', '\u{1}']), "{line:?}");
                    if max_payload_bytes >= 16 {
                        assert!(line.len() <= max_payload_bytes, "{input:?}: {line:?}");
                    }
                }
            }
        }
    }
}
