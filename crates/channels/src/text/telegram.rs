//! Telegram: markdown to the HTML of parse mode `HTML`, cut into messages.
//!
//! Follows OpenClaw's Telegram formatter (rich messages off): `<b>`, `<i>`, `<s>`, `<code>`,
//! `<pre><code class="language-…">`, `<blockquote>` and `<a href>` for http(s), `tg:`,
//! `mailto:`, `tel:` and `#` links (other links keep their label only); list bullets as text;
//! everything else escaped (`&`, `<`, `>`, and `"` in attributes). One deliberate difference:
//! headings are bold, where OpenClaw's plain-HTML mode leaves them unstyled.

use super::chunk::{ChunkMode, ChunkOptions, pack_paragraphs};
use super::ir::{IrOptions, parse};
use super::ir_chunk::chunk_ir;
use super::render;
use super::units::normalize_newlines;

/// OpenClaw's default `textChunkLimit` for Telegram, in UTF-16 units of the rendered HTML; the
/// Bot API's own limit is 4096 units of the text after entity parsing, so this leaves room.
pub const TELEGRAM_TEXT_CHUNK_LIMIT: usize = 4000;

const OPTIONS: IrOptions = IrOptions {
    rule_text: "───"
};

/// One Telegram message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramChunk {
    /// The message in parse mode `HTML`: balanced tags, escaped text.
    pub html: String,
    /// The same message as plain text (a link Telegram would show as a link becomes
    /// `label (url)`), to send without a parse mode when Telegram rejects the markup ("can't
    /// parse entities"). Never longer than `html`.
    pub plain: String,
}

/// Renders a whole markdown reply as Telegram HTML, without cutting it.
pub fn telegram_html(markdown: &str) -> String {
    render::telegram_html(&parse(markdown, &OPTIONS))
}

/// Renders a markdown reply as Telegram messages whose HTML is at most `options.limit` UTF-16
/// units each (OpenClaw's `markdownToTelegramChunks`).
///
/// The reply is parsed once and cut on its visible text, then each chunk is rendered from its
/// own slice, so tags never span two messages: bold text cut in two is bold in both, and a code
/// block longer than a message continues in a new `<pre><code>` with the same language. With
/// [`ChunkMode::Newline`] the reply is first grouped into runs of whole paragraphs, as
/// OpenClaw does. A reply with nothing visible gives no chunks.
pub fn telegram_chunks(markdown: &str, options: &ChunkOptions) -> Vec<TelegramChunk> {
    let source = normalize_newlines(markdown);
    let parts = match options.mode {
        ChunkMode::Length => vec![source.as_str()],
        ChunkMode::Newline => pack_paragraphs(&source, options.limit.max(1)),
    };
    parts
        .into_iter()
        .flat_map(|part| {
            chunk_ir(
                &parse(part, &OPTIONS),
                options.limit,
                &render::telegram_html,
            )
        })
        .map(|chunk| TelegramChunk {
            // Only anchors get their target spelt out, as OpenClaw derives the fallback from
            // the HTML; so the fallback is never longer than the HTML.
            plain: render::plain(&chunk.ir, render::telegram_href_allowed),
            html: chunk.rendered,
        })
        .collect()
}

#[cfg(test)]
#[path = "telegram_tests.rs"]
pub(crate) mod tests;
