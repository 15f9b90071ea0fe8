use super::*;
use crate::text::ir::parse as parse_ir;
use crate::text::units::utf16_len;
use pretty_assertions::assert_eq;

/// Checks what Telegram's HTML parser insists on: only its tags, properly nested and closed,
/// `<`, `>` and `&` only as tags or entities.
pub(crate) fn assert_valid_telegram_html(html: &str) {
    const TAGS: [&str; 7] = ["b", "i", "s", "code", "pre", "a", "blockquote"];
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(['<', '>', '&']) {
        let tail = &rest[at..];
        if tail.starts_with('&') {
            let entity = ["&amp;", "&lt;", "&gt;", "&quot;"]
                .into_iter()
                .find(|e| tail.starts_with(e));
            let Some(entity) = entity else {
                panic!("bare & at {at} in {html:?}");
            };
            rest = &tail[entity.len()..];
            continue;
        }
        assert!(tail.starts_with('<'), "bare > in {html:?}");
        let end = tail
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag in {html:?}"));
        let tag = &tail[1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "misnested </{name}> in {html:?}");
        } else {
            let name = tag.split(' ').next().unwrap_or_default();
            assert!(TAGS.contains(&name), "unknown tag <{tag}> in {html:?}");
            assert!(!tag.contains('<'), "< inside a tag in {html:?}");
            stack.push(name);
        }
        rest = &tail[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed {stack:?} in {html:?}");
}

fn length(limit: usize) -> ChunkOptions {
    ChunkOptions {
        limit,
        mode: ChunkMode::Length,
    }
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn renders_the_supported_markdown() {
    let markdown = "\
# Release *notes*

Some **bold**, _italic_, ***both***, ~~struck~~ and `inline <code>` text.
A [link](https://example.com/a?b=1&c=2) and a [relative one](docs/setup.md).

- first item
- second with **bold**
  1. nested one
  2. nested two

> A quote with **bold**
> over two lines.

```python
def f(a, b):
    return a < b and b > 0
```

---

Last line & done.";
    let html = telegram_html(markdown);
    assert_valid_telegram_html(&html);
    insta::assert_snapshot!(html);
}

#[test]
fn escaping_torture() {
    let cases = [
        (
            "<script>alert(\"x\")</script>",
            "&lt;script&gt;alert(\"x\")&lt;/script&gt;",
        ),
        // An entity in markdown is the character it names; in code it is literal.
        ("&amp; is one ampersand", "&amp; is one ampersand"),
        (
            "`&amp;` is five characters",
            "<code>&amp;amp;</code> is five characters",
        ),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        (
            "`a < b && c > d`",
            "<code>a &lt; b &amp;&amp; c &gt; d</code>",
        ),
        (
            "```\na < b && c > d\n```",
            "<pre><code>a &lt; b &amp;&amp; c &gt; d\n</code></pre>",
        ),
        (
            "```x\"><b>\ncode\n```",
            "<pre><code class=\"language-x&quot;&gt;&lt;b&gt;\">code\n</code></pre>",
        ),
        (
            "[q](https://x.test/?q=\"a\"&b=<c>)",
            "<a href=\"https://x.test/?q=&quot;a&quot;&amp;b=&lt;c&gt;\">q</a>",
        ),
        ("<b>not bold</b>", "&lt;b&gt;not bold&lt;/b&gt;"),
        ("5 > 3 &lt; 4", "5 &gt; 3 &lt; 4"),
        ("\\<b\\> escaped", "&lt;b&gt; escaped"),
    ];
    for (markdown, expected) in cases {
        let html = telegram_html(markdown);
        assert_valid_telegram_html(&html);
        assert_eq!(html, expected, "{markdown}");
    }
}

#[test]
fn unbalanced_and_nested_markdown_gives_balanced_tags() {
    let cases = [
        ("**bold", "**bold"),
        ("__bold and *italic", "__bold and *italic"),
        ("**a _b_ c**", "<b>a <i>b</i> c</b>"),
        ("***x***", "<b><i>x</i></b>"),
        ("_a **b_ c**", "<i>a **b</i> c**"),
        ("**a `code` b**", "<b>a <code>code</code> b</b>"),
        (
            "[**bold link**](https://x.test)",
            "<a href=\"https://x.test\"><b>bold link</b></a>",
        ),
        ("`unclosed code", "`unclosed code"),
        (
            "```\nunclosed fence",
            "<pre><code>unclosed fence\n</code></pre>",
        ),
        ("[dangling](", "[dangling]("),
        ("> **quote", "<blockquote>**quote</blockquote>"),
    ];
    for (markdown, expected) in cases {
        let html = telegram_html(markdown);
        assert_valid_telegram_html(&html);
        assert_eq!(html, expected, "{markdown}");
    }
}

#[test]
fn links_with_parentheses_keep_their_whole_target() {
    let html = telegram_html(
        "See [Rust](https://en.wikipedia.org/wiki/Rust_(programming_language)) \
         (and [this](https://x.test/a_(b)) too).",
    );
    assert_valid_telegram_html(&html);
    assert_eq!(
        html,
        "See <a href=\"https://en.wikipedia.org/wiki/Rust_(programming_language)\">Rust</a> \
         (and <a href=\"https://x.test/a_(b)\">this</a> too)."
    );
    let chunks = telegram_chunks(
        "[Rust](https://en.wikipedia.org/wiki/Rust_(lang))",
        &length(4000),
    );
    assert_eq!(
        chunks[0].plain,
        "Rust (https://en.wikipedia.org/wiki/Rust_(lang))"
    );
}

#[test]
fn the_plain_fallback_is_the_visible_text_with_link_targets() {
    let chunks = telegram_chunks(
        "**Hi** <there> & [docs](https://x.test) or [home](#top) or [x](ftp://y)",
        &length(4000),
    );
    assert_eq!(chunks.len(), 1);
    assert_eq!(
        chunks[0].plain,
        "Hi <there> & docs (https://x.test) or home (#top) or x"
    );
    assert_eq!(
        chunks[0].html,
        "<b>Hi</b> &lt;there&gt; &amp; <a href=\"https://x.test\">docs</a> or \
         <a href=\"#top\">home</a> or x"
    );
}

#[test]
fn a_long_reply_is_cut_within_the_limit_with_balanced_tags() {
    let mut markdown = String::new();
    for i in 0..60 {
        markdown.push_str(&format!(
            "Paragraph {i} has **bold words that run on for a while**, some `code <T>` and a \
             [link](https://example.com/{i}) plus escapes like a < b && c > d.\n\n"
        ));
    }
    markdown.push_str("```rust\n");
    for i in 0..60 {
        markdown.push_str(&format!("let x{i} = a < b && c > d; // <{i}>\n"));
    }
    markdown.push_str("```\n");
    assert!(utf16_len(&markdown) > 9_000);

    let chunks = telegram_chunks(&markdown, &length(TELEGRAM_TEXT_CHUNK_LIMIT));
    assert!(chunks.len() >= 3, "{}", chunks.len());
    for chunk in &chunks {
        assert!(utf16_len(&chunk.html) <= TELEGRAM_TEXT_CHUNK_LIMIT);
        assert!(utf16_len(&chunk.plain) <= utf16_len(&chunk.html));
        assert!(!chunk.plain.trim().is_empty());
        assert_valid_telegram_html(&chunk.html);
    }
    // Nothing is lost or repeated: the chunks' text is the whole text.
    let whole = render::plain(&parse_ir(&markdown, &OPTIONS), render::every_link);
    let joined: String = chunks.iter().map(|c| c.plain.as_str()).collect();
    assert_eq!(squash(&joined), squash(&whole));
}

#[test]
fn a_code_block_longer_than_a_message_continues_in_a_new_block() {
    let code: String = (0..40).map(|i| format!("print({i})  # <{i}>\n")).collect();
    let markdown = format!("Here:\n\n```python\n{code}```\n\nDone.");
    let chunks = telegram_chunks(&markdown, &length(300));
    let html: Vec<&str> = chunks.iter().map(|c| c.html.as_str()).collect();
    insta::assert_snapshot!(html.join("\n-----\n"));
    for chunk in &chunks[1..chunks.len() - 1] {
        assert!(
            chunk
                .html
                .starts_with("<pre><code class=\"language-python\">print(")
        );
        assert!(chunk.html.ends_with("</code></pre>"));
        assert!(utf16_len(&chunk.html) <= 300);
    }
}

#[test]
fn a_style_cut_in_two_is_reopened() {
    let words = "word ".repeat(30);
    let markdown = format!("**{}**", words.trim_end());
    let chunks = telegram_chunks(&markdown, &length(80));
    assert!(chunks.len() > 2);
    for chunk in &chunks {
        assert!(chunk.html.starts_with("<b>word"), "{}", chunk.html);
        assert!(chunk.html.ends_with("word</b>"), "{}", chunk.html);
        assert!(utf16_len(&chunk.html) <= 80);
    }
}

#[test]
fn escapes_count_toward_the_limit() {
    let markdown = "<".repeat(2_000);
    let chunks = telegram_chunks(&markdown, &length(TELEGRAM_TEXT_CHUNK_LIMIT));
    assert_eq!(chunks.len(), 2);
    assert!(
        chunks
            .iter()
            .all(|c| utf16_len(&c.html) <= TELEGRAM_TEXT_CHUNK_LIMIT)
    );
    assert_eq!(chunks[0].html, "&lt;".repeat(1_000));
}

#[test]
fn emoji_and_cjk_near_a_cut_stay_whole() {
    let family = "👨‍👩‍👧‍👦";
    let markdown = format!("{}{family}{}", "a".repeat(15), "b".repeat(5));
    let chunks = telegram_chunks(&markdown, &length(20));
    let html: Vec<&str> = chunks.iter().map(|c| c.html.as_str()).collect();
    let expected_second = format!("{family}bbbbb");
    assert_eq!(
        html,
        vec!["a".repeat(15).as_str(), expected_second.as_str()]
    );

    let markdown = "日本語の文章です。".repeat(10);
    let chunks = telegram_chunks(&markdown, &length(20));
    assert!(chunks.iter().all(|c| c.html.ends_with('。')), "{chunks:?}");
    assert_eq!(
        squash(&chunks.iter().map(|c| c.html.as_str()).collect::<String>()),
        markdown
    );
}

#[test]
fn newline_mode_keeps_paragraphs_together() {
    let markdown = "**One** short.\n\nTwo is short.\n\nThree is a *much* longer paragraph here.";
    let options = ChunkOptions {
        limit: 40,
        mode: ChunkMode::Newline,
    };
    let html: Vec<String> = telegram_chunks(markdown, &options)
        .into_iter()
        .map(|c| c.html)
        .collect();
    assert_eq!(
        html,
        vec![
            "<b>One</b> short.\n\nTwo is short.",
            "Three is a <i>much</i> longer paragraph",
            "here.",
        ]
    );
}

#[test]
fn nothing_visible_gives_no_chunks() {
    assert!(telegram_chunks("", &length(100)).is_empty());
    assert!(telegram_chunks("   \n\n", &length(100)).is_empty());
    assert!(telegram_chunks("![](image.png)", &length(100)).is_empty());
    assert_eq!(telegram_html(""), "");
}
