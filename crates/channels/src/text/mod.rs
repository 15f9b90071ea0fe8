//! The outbound text layer: a model's markdown reply turned into what a platform accepts.
//!
//! Three jobs, each a plain function:
//!
//! - **Chunking** ([`chunk_markdown`]): a reply longer than a channel's `textChunkLimit` is cut
//!   into ordered messages, as OpenClaw does: paragraph, then line, then sentence, then word
//!   boundaries, a hard cut only inside an unbroken run, never inside a character or (where a
//!   cut can avoid it) a grapheme cluster, and never inside a fenced code block unless the block
//!   alone is too long, in which case the fence is closed at the end of one chunk and reopened
//!   with its info string at the start of the next.
//! - **Rendering**: [`telegram_html`] for Telegram's HTML parse mode, [`plain_text`] for the
//!   plain fallback Telegram gets when it rejects the markup, [`irc_lines`] for IRC.
//! - **IRC lines** ([`irc_lines`]): one `PRIVMSG` payload per line of the reply, each within a
//!   byte budget ([`irc_payload_budget`]) so the relayed line stays under IRC's 512 bytes.
//!
//! Lengths are counted in UTF-16 code units, as OpenClaw counts them (JavaScript string
//! lengths) and as Telegram counts its 4096-unit message limit; IRC budgets are in bytes.
//!
//! The design decision behind the renderers is OpenClaw's: markdown is parsed once into an
//! intermediate representation (plain text plus style and link spans), chunks are cut from that
//! text and each chunk is rendered on its own ([`telegram_chunks`]). So a tag never spans two
//! messages, an open style is simply reopened in the next chunk, unbalanced markdown (`**bold`
//! without its closer) is literal text rather than a broken tag, and the limit is measured on
//! the rendered payload, escaping and tags included.

mod blocks;
mod breaks;
mod chunk;
mod fence;
mod ir;
mod ir_chunk;
mod irc;
mod plain;
mod render;
mod telegram;
mod units;

pub use blocks::{BlockBounds, BlockChunker, BreakPreference};
pub use chunk::{ChunkMode, ChunkOptions, DEFAULT_TEXT_CHUNK_LIMIT, chunk_markdown};
pub use irc::{
    IRC_MAX_LINE_BYTES, IRC_TEXT_CHUNK_LIMIT, IrcFormatting, IrcOptions, irc_lines,
    irc_payload_budget,
};
pub use plain::plain_text;
pub use telegram::{TELEGRAM_TEXT_CHUNK_LIMIT, TelegramChunk, telegram_chunks, telegram_html};

#[cfg(test)]
mod torture_tests;
