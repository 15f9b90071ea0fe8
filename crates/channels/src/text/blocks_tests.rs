use super::*;

fn bounds(min_chars: usize, max_chars: usize) -> BlockBounds {
    BlockBounds {
        min_chars,
        max_chars,
        preference: BreakPreference::Paragraph,
    }
}

/// Feeds `text` in `step`-character deltas; every block, then the finish.
fn stream(chunker: &mut BlockChunker, text: &str, step: usize) -> (Vec<String>, Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    let mut blocks = Vec::new();
    for piece in chars.chunks(step) {
        blocks.extend(chunker.push(&piece.iter().collect::<String>()));
    }
    (blocks, chunker.finish())
}

#[test]
fn paragraphs_leave_once_long_enough_and_the_rest_at_the_end() {
    let text = format!(
        "{}\n\n{}\n\n{}",
        "a".repeat(30),
        "b".repeat(30),
        "c".repeat(10)
    );
    let mut chunker = BlockChunker::new(bounds(20, 100));
    let (blocks, rest) = stream(&mut chunker, &text, 7);
    assert_eq!(blocks, ["a".repeat(30), "b".repeat(30)]);
    assert_eq!(rest, ["c".repeat(10)]);
    assert_eq!(chunker.covered(), text);
}

#[test]
fn without_a_paragraph_a_block_waits_until_it_must_end_then_takes_the_best_break() {
    let sentence = "This is one sentence. ";
    let text = sentence.repeat(10);
    let mut chunker = BlockChunker::new(bounds(20, 60));
    let blocks = chunker.push(&text);
    assert!(blocks.len() >= 3, "{blocks:#?}");
    for block in &blocks {
        assert!(block.chars().count() <= 60, "{block}");
        assert!(
            block.ends_with("sentence."),
            "cut at a sentence end: {block:?}"
        );
    }
    // Nothing is lost or repeated.
    let mut all = blocks.join(" ");
    let rest = chunker.finish().join(" ");
    if !rest.is_empty() {
        all = format!("{all} {rest}");
    }
    assert_eq!(all, text.trim());
}

#[test]
fn a_short_message_is_not_cut_until_it_ends() {
    let mut chunker = BlockChunker::new(bounds(800, 1200));
    assert!(chunker.push("Hello there.\n\nAll good.").is_empty());
    assert_eq!(chunker.finish(), ["Hello there.\n\nAll good."]);
    assert!(chunker.finish().is_empty(), "finished once");
}

#[test]
fn a_code_block_is_not_cut_when_a_break_outside_it_will_do() {
    let code = format!("```rust\n{}```", "let x = 1;\n\n".repeat(3));
    let text = format!("Intro paragraph here.\n\n{code}\n\nAfter.");
    let mut chunker = BlockChunker::new(bounds(10, 200));
    let (blocks, rest) = stream(&mut chunker, &text, 5);
    let all: Vec<String> = blocks.into_iter().chain(rest).collect();
    assert_eq!(all, ["Intro paragraph here.", code.as_str(), "After."]);
}

#[test]
fn a_code_block_too_long_for_one_block_is_closed_and_reopened() {
    let code = format!("```python\n{}```\n", "print('hello world')\n".repeat(10));
    let mut chunker = BlockChunker::new(bounds(10, 80));
    let (blocks, rest) = stream(&mut chunker, &code, 9);
    let all: Vec<String> = blocks.into_iter().chain(rest).collect();
    assert!(all.len() >= 3, "{all:#?}");
    for block in &all {
        assert!(block.starts_with("```python"), "{block}");
        assert!(block.ends_with("```"), "{block}");
        assert!(block.chars().count() <= 80 + 4, "{block}");
    }
    let lines: usize = all.iter().map(|b| b.matches("print(").count()).sum();
    assert_eq!(lines, 10);
}

#[test]
fn a_newline_preference_ends_blocks_at_lines() {
    let text = "one line\ntwo line\nthree line\nfour line\n";
    let mut chunker = BlockChunker::new(BlockBounds {
        min_chars: 5,
        max_chars: 100,
        preference: BreakPreference::Newline,
    });
    let blocks = chunker.push(text);
    assert_eq!(blocks, ["one line\ntwo line\nthree line\nfour line"]);
    let mut chunker = BlockChunker::new(BlockBounds {
        min_chars: 5,
        max_chars: 100,
        preference: BreakPreference::Newline,
    });
    let (blocks, _) = stream(&mut chunker, text, 3);
    assert_eq!(blocks, ["one line", "two line", "three line", "four line"]);
}

#[test]
fn a_word_longer_than_a_block_is_cut_hard_on_a_character_boundary() {
    let text = "é".repeat(25);
    let mut chunker = BlockChunker::new(bounds(5, 10));
    let blocks = chunker.push(&text);
    assert_eq!(blocks, ["é".repeat(10), "é".repeat(10)]);
    assert_eq!(chunker.rest(), "é".repeat(5));
    assert_eq!(chunker.finish(), ["é".repeat(5)]);
}
