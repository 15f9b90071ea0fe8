use super::*;
use pretty_assertions::assert_eq;

const OPTIONS: IrOptions = IrOptions {
    rule_text: "───"
};

fn styles(ir: &Ir) -> Vec<(&str, Style)> {
    ir.styles
        .iter()
        .map(|s| (&ir.text[s.start..s.end], s.style))
        .collect()
}

#[test]
fn blocks_become_text_separated_by_blank_lines() {
    let ir = parse(
        "# Title\n\nFirst para\nsoft break.\n\n---\n\nLast.",
        &OPTIONS,
    );
    assert_eq!(ir.text, "Title\n\nFirst para\nsoft break.\n\n───\n\nLast.");
    assert_eq!(styles(&ir), vec![("Title", Style::Bold)]);
}

#[test]
fn lists_become_bullets_and_numbers_with_nested_indentation() {
    let ir = parse(
        "- one\n- two\n  1. three\n  2. four\n     - deep\n\nafter",
        &OPTIONS,
    );
    assert_eq!(
        ir.text,
        "• one\n• two\n  1. three\n  2. four\n    • deep\n\nafter"
    );
    // An ordered list keeps its first number.
    assert_eq!(parse("3. c\n4. d", &OPTIONS).text, "3. c\n4. d");
    let loose = parse("1. a\n\n2. b", &OPTIONS);
    assert_eq!(loose.text, "1. a\n\n2. b");
}

#[test]
fn code_blocks_keep_their_text_and_language() {
    let ir = parse(
        "```rust title\nfn main() {\n    x < y\n}\n```\n\nafter",
        &OPTIONS,
    );
    assert_eq!(ir.text, "fn main() {\n    x < y\n}\n\nafter");
    assert_eq!(ir.styles[0].style, Style::CodeBlock);
    assert_eq!(ir.styles[0].language.as_deref(), Some("rust"));
    assert_eq!(
        &ir.text[ir.styles[0].start..ir.styles[0].end],
        "fn main() {\n    x < y\n}\n"
    );
    // A reply ending in a code block keeps the block's newline; other trailing space goes.
    let ir = parse("    indented\n\n\n", &OPTIONS);
    assert_eq!(ir.text, "indented\n");
    assert_eq!(ir.styles[0].language, None);
}

#[test]
fn quotes_span_their_text_not_the_blank_line_after() {
    let ir = parse("> one\n>\n> two\n\nafter", &OPTIONS);
    assert_eq!(ir.text, "one\n\ntwo\n\nafter");
    assert_eq!(styles(&ir), vec![("one\n\ntwo", Style::Blockquote)]);
}

#[test]
fn unbalanced_markers_are_literal_text() {
    let ir = parse("**bold without close and _half", &OPTIONS);
    assert_eq!(ir.text, "**bold without close and _half");
    assert!(ir.styles.is_empty());
    let ir = parse("~approx~ and ~~struck~~", &OPTIONS);
    assert_eq!(ir.text, "~approx~ and struck");
    assert_eq!(styles(&ir), vec![("struck", Style::Strikethrough)]);
}

#[test]
fn nested_emphasis_nests() {
    let ir = parse("***both*** and **bold _italic_**", &OPTIONS);
    assert_eq!(ir.text, "both and bold italic");
    let mut found = styles(&ir);
    found.sort();
    assert_eq!(
        found,
        vec![
            ("bold italic", Style::Bold),
            ("both", Style::Bold),
            ("both", Style::Italic),
            ("italic", Style::Italic),
        ]
    );
}

#[test]
fn links_span_their_label() {
    let ir = parse(
        "see [the *docs*](https://example.com/a_(b)) or <https://x.test>",
        &OPTIONS,
    );
    assert_eq!(ir.text, "see the docs or https://x.test");
    let links: Vec<(&str, &str)> = ir
        .links
        .iter()
        .map(|l| (&ir.text[l.start..l.end], l.href.as_str()))
        .collect();
    assert_eq!(
        links,
        vec![
            ("the docs", "https://example.com/a_(b)"),
            ("https://x.test", "https://x.test")
        ]
    );
}

#[test]
fn html_stays_text() {
    let ir = parse("<script>alert(1)</script>\n\na <b>b</b> &amp; c", &OPTIONS);
    assert_eq!(ir.text, "<script>alert(1)</script>\n\na <b>b</b> & c");
    assert!(ir.styles.is_empty());
}

#[test]
fn slices_clip_spans() {
    let ir = parse("a **bold** b", &OPTIONS);
    let slice = ir.slice(4, 8);
    assert_eq!(slice.text, "ld b");
    assert_eq!(styles(&slice), vec![("ld", Style::Bold)]);
    assert!(ir.slice(9, 9).styles.is_empty());
}
