//! Markdown to plain text: what a reader sees, for channels without markup.

use super::ir::{IrOptions, parse};
use super::render;

const OPTIONS: IrOptions = IrOptions { rule_text: "" };

/// The plain text of a markdown reply (OpenClaw's `stripMarkdown`): emphasis markers dropped,
/// code kept as written, list bullets as `• ` and `1. `, links as `label (url)` (only the url
/// when the label is the url), images as their alt text, thematic breaks dropped, trimmed.
pub fn plain_text(markdown: &str) -> String {
    render::plain(&parse(markdown, &OPTIONS), render::every_link)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn strips_markup_and_keeps_link_targets() {
        let markdown = "# Title\n\nSome **bold**, _italic_ and ~~gone~~ text with \
                        [a link](https://example.com) and <https://bare.example>.\n\n\
                        - one\n- two\n  1. nested\n\n---\n\n> quoted\n\n```js\nlet a = 1 < 2;\n```";
        insta::assert_snapshot!(plain_text(markdown), @r"
        Title

        Some bold, italic and gone text with a link (https://example.com) and https://bare.example.

        • one
        • two
          1. nested

        quoted

        let a = 1 < 2;
        ");
    }

    #[test]
    fn mailto_labels_are_not_repeated() {
        assert_eq!(
            plain_text("[me@example.com](mailto:me@example.com)"),
            "me@example.com"
        );
        assert_eq!(plain_text("![a cat](cat.png)"), "a cat");
    }
}
