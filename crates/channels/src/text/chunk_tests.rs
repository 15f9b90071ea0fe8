use super::*;
use crate::text::units::utf16_len;
use pretty_assertions::assert_eq;

fn length(limit: usize) -> ChunkOptions {
    ChunkOptions {
        limit,
        mode: ChunkMode::Length,
    }
}

fn newline(limit: usize) -> ChunkOptions {
    ChunkOptions {
        limit,
        mode: ChunkMode::Newline,
    }
}

/// The text with every whitespace character removed: what survives any cut.
fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Chunks joined back, the marker lines added around a split `rust` fence removed.
fn rejoin(chunks: &[String]) -> String {
    let mut out = String::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut body = chunk.as_str();
        let continues = chunks
            .get(i + 1)
            .is_some_and(|next| next.starts_with("```rust\n"));
        if i > 0 && chunks[i - 1].ends_with("\n```") && body.starts_with("```rust\n") {
            body = &body["```rust\n".len()..];
        }
        if continues && body.ends_with("\n```") {
            body = &body[..body.len() - "```".len()];
        }
        out.push_str(body);
        out.push('\n');
    }
    out
}

/// A reply of about 9,000 characters: paragraphs, a list, a long code block, a quote.
fn long_reply() -> String {
    let sentence = "The gateway keeps one lane per session, so turns never overlap. ";
    let mut text = String::from("# Release notes\n\n");
    for i in 0..12 {
        text.push_str(&format!("Paragraph {i}: "));
        text.push_str(&sentence.repeat(4));
        text.push_str("\n\n");
    }
    for i in 0..20 {
        text.push_str(&format!(
            "- item {i} with [a link](https://example.com/{i}) inside\n"
        ));
    }
    text.push_str("\n```rust\n");
    for i in 0..90 {
        text.push_str(&format!(
            "    let value_{i} = compute({i}) + offset; // step {i}\n"
        ));
    }
    text.push_str("```\n\n");
    text.push_str("> A quoted remark that ends the reply. ");
    text.push_str(&sentence.repeat(10));
    text.push('\n');
    text
}

#[test]
fn short_text_is_one_chunk_unchanged() {
    assert_eq!(
        chunk_markdown("Hello **world**", &length(4000)),
        vec!["Hello **world**"]
    );
}

#[test]
fn empty_and_blank_text_give_no_chunks() {
    assert!(chunk_markdown("", &length(10)).is_empty());
    assert!(chunk_markdown(" \n\n \t", &length(10)).is_empty());
    assert!(chunk_markdown(" \n\n \t", &newline(10)).is_empty());
}

#[test]
fn a_long_reply_becomes_ordered_chunks_within_the_limit() {
    let text = long_reply();
    assert!(utf16_len(&text) > 9_000, "{}", utf16_len(&text));
    for limit in [4000, 1500, 333] {
        let chunks = chunk_markdown(&text, &length(limit));
        assert!(chunks.len() >= utf16_len(&text) / limit, "limit {limit}");
        for chunk in &chunks {
            assert!(utf16_len(chunk) <= limit, "limit {limit}: {chunk:?}");
            assert!(!chunk.trim().is_empty());
            assert_eq!(chunk.trim(), chunk.trim_end(), "chunks start at text");
        }
        assert_eq!(squash(&rejoin(&chunks)), squash(&text), "limit {limit}");
        // Every chunk is balanced markdown: an even number of fence lines.
        for chunk in &chunks {
            let fence_lines = chunk.lines().filter(|l| l.starts_with("```")).count();
            assert_eq!(fence_lines % 2, 0, "limit {limit}: {chunk}");
        }
    }
}

#[test]
fn a_code_block_longer_than_a_chunk_is_closed_and_reopened() {
    let code: String = (0..30).map(|i| format!("line {i:02} of code\n")).collect();
    let text = format!("Intro.\n\n```rust\n{code}```\n\nOutro.");
    let chunks = chunk_markdown(&text, &length(200));
    insta::assert_snapshot!(chunks.join("\n-----\n"));
    for (i, chunk) in chunks.iter().enumerate() {
        assert!(utf16_len(chunk) <= 200);
        if i > 1 && i + 1 < chunks.len() {
            assert!(chunk.starts_with("```rust\nline "), "{chunk}");
            assert!(chunk.ends_with(" of code\n```"), "{chunk}");
        }
    }
    assert_eq!(squash(&rejoin(&chunks)), squash(&text));
}

#[test]
fn a_code_block_that_fits_is_not_split() {
    let para = "word ".repeat(30);
    let code: String = (0..8).map(|i| format!("code line {i}\n")).collect();
    let text = format!("{para}\n\n```sh\n{code}```\n\n{para}");
    let chunks = chunk_markdown(&text, &length(200));
    let with_fence: Vec<&String> = chunks.iter().filter(|c| c.contains("```")).collect();
    assert_eq!(with_fence.len(), 1);
    assert!(with_fence[0].starts_with("```sh\ncode line 0"));
    assert!(with_fence[0].contains("code line 7\n```"));
}

#[test]
fn an_unclosed_fence_is_reopened_but_not_closed_at_the_end() {
    let code: String = (0..20).map(|i| format!("x = {i}\n")).collect();
    let text = format!("```py\n{code}");
    let chunks = chunk_markdown(&text, &length(60));
    assert!(chunks.len() > 2);
    assert!(chunks.iter().all(|c| c.starts_with("```py\n")));
    let last = chunks.last().map(String::as_str).unwrap_or_default();
    assert!(last.ends_with("x = 19"), "{last}");
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c.ends_with("\n```"))
    );
}

#[test]
fn an_unclosed_fence_of_wide_chars_is_cut_between_chars() {
    let text = format!("```\n{}", "漢".repeat(50));
    let chunks = chunk_markdown(&text, &length(20));
    assert!(chunks.len() > 3);
    for chunk in &chunks {
        assert!(utf16_len(chunk) <= 20, "{chunk:?}");
        assert!(chunk.starts_with("```\n漢"), "{chunk:?}");
    }
    assert_eq!(squash(&chunks.concat().replace("```", "")), "漢".repeat(50));
}

#[test]
fn a_fence_too_wide_for_the_limit_degrades_to_plain_cuts() {
    let text = "```\nabcdefghijklmnop\n```";
    let chunks = chunk_markdown(text, &length(8));
    assert!(chunks.iter().all(|c| utf16_len(c) <= 8), "{chunks:?}");
    assert_eq!(squash(&chunks.concat()), squash(text));
}

#[test]
fn whitespace_at_cuts_is_trimmed_and_indentation_kept() {
    let text = "first line here\n    indented second line";
    let chunks = chunk_markdown(text, &length(20));
    assert_eq!(
        chunks,
        vec!["first line here", "    indented second", "line"]
    );
}

#[test]
fn a_single_word_longer_than_the_limit_is_cut_hard() {
    let chunks = chunk_markdown(&"x".repeat(25), &length(10));
    assert_eq!(chunks, vec!["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
}

#[test]
fn emoji_and_cjk_near_a_cut_stay_whole() {
    let family = "👨‍👩‍👧‍👦";
    // The family (11 UTF-16 units) straddles the limit of 12.
    let text = format!("abc{family}def");
    let chunks = chunk_markdown(&text, &length(12));
    assert_eq!(
        chunks,
        vec!["abc".to_owned(), format!("{family}d"), "ef".to_owned()]
    );
    // An astral char is never cut in half by the UTF-16 count.
    let chunks = chunk_markdown("ab🙂cd", &length(3));
    assert_eq!(chunks, vec!["ab", "🙂c", "d"]);
    // CJK without spaces cuts after the sentence mark when one is in reach.
    let chunks = chunk_markdown("漢字の文です。次の文が続きます。", &length(10));
    assert_eq!(chunks, vec!["漢字の文です。", "次の文が続きます。"]);
    // A limit narrower than a char still makes progress.
    let chunks = chunk_markdown("🙂🙂", &length(1));
    assert_eq!(chunks, vec!["🙂", "🙂"]);
}

#[test]
fn markdown_links_are_not_cut_inside_when_avoidable() {
    let text = "Read more in [the guide](https://example.com/guide) today";
    let chunks = chunk_markdown(text, &length(40));
    assert_eq!(
        chunks,
        vec![
            "Read more in",
            "[the guide](https://example.com/guide)",
            "today"
        ]
    );
    let link = "[Rust (the language)](https://en.wikipedia.org/wiki/Rust_(programming_language))";
    let text = format!("See {link} and more words after it");
    let chunks = chunk_markdown(&text, &length(90));
    assert_eq!(
        chunks,
        vec![format!("See {link} and"), "more words after it".to_owned()]
    );
    // When the link itself does not fit, the cut falls before it.
    assert_eq!(chunk_markdown(&text, &length(80))[0], "See");
}

#[test]
fn crlf_is_normalised() {
    let chunks = chunk_markdown("one\r\ntwo\r\n\r\nthree", &length(100));
    assert_eq!(chunks, vec!["one\ntwo\n\nthree"]);
}

#[test]
fn newline_mode_packs_whole_paragraphs() {
    let text = "alpha one\n\nbeta two\n\ngamma three is a longer paragraph\n\ndelta";
    let chunks = chunk_markdown(text, &newline(25));
    assert_eq!(
        chunks,
        vec![
            "alpha one\n\nbeta two",
            "gamma three is a longer",
            "paragraph",
            "delta",
        ]
    );
    // Length mode fills the window instead.
    let chunks = chunk_markdown(text, &length(25));
    assert_eq!(chunks[0], "alpha one\n\nbeta two");
}

#[test]
fn newline_mode_ignores_blank_lines_inside_code() {
    let text = "intro\n\n```\na\n\nb\n```\n\noutro";
    let chunks = chunk_markdown(text, &newline(16));
    assert_eq!(chunks, vec!["intro", "```\na\n\nb\n```", "outro"]);
}

#[test]
fn newline_mode_does_not_cut_at_single_line_breaks() {
    let text = "line one\nline two\nline three";
    assert_eq!(chunk_markdown(text, &newline(100)), vec![text]);
}
