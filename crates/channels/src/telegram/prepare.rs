//! A reply cut into the Telegram messages that carry it (the account's `prepare`).
//!
//! Text becomes messages in parse mode HTML ([`telegram_chunks`]), each with its plain
//! rendering as the fallback Telegram gets when it rejects the markup. `responsePrefix` goes
//! before the reply's markdown, as OpenClaw puts it (`"<prefix> <text>"`, unless the text
//! already starts with it), so it is on the first message only.
//!
//! Media follows OpenClaw's rule for a single photo: each attachment is a message of its own
//! (`sendPhoto` for an image file name, `sendDocument` for anything else), in order, before the
//! text. When the whole text fits in one caption (1024 units of rendered HTML, within the
//! chunk limit) it is the first attachment's caption and there is no separate text message;
//! otherwise the attachments go without captions and the text follows as ordinary messages.
//! Albums (`sendMediaGroup`) are not made: one message per attachment keeps every prepared
//! message a single Bot API call, so a reply that fails half-way resumes exactly.

use std::path::Path;

use rustyclaw_protocol::reply::{MediaRef, ReplyPayload};

use crate::account::{OutboundMessage, TextSettings};
use crate::text::{ChunkOptions, TelegramChunk, telegram_chunks};

/// Telegram's limit on a message's text, in UTF-16 units after entity parsing; a chunk of at
/// most this many units of HTML is never longer once parsed.
const MAX_MESSAGE_UNITS: usize = 4096;

/// Telegram's limit on a caption, in UTF-16 units after entity parsing.
pub(crate) const MAX_CAPTION_UNITS: usize = 1024;

/// The file extensions sent with `sendPhoto`; Telegram shows other files (GIF, SVG, HEIC) as
/// documents, which keeps them intact.
const PHOTO_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "webp"];

/// The messages for `reply`, in order (none for an empty reply).
pub(crate) fn prepare(reply: &ReplyPayload, settings: &TextSettings) -> Vec<OutboundMessage> {
    let text = with_prefix(&reply.text, settings.response_prefix.as_deref());
    let limit = settings.chunk_limit.clamp(1, MAX_MESSAGE_UNITS);
    let chunk = |limit: usize| {
        telegram_chunks(
            &text,
            &ChunkOptions {
                limit,
                mode: settings.chunk_mode,
            },
        )
    };
    if reply.media.is_empty() {
        return chunk(limit).into_iter().map(text_message).collect();
    }
    let mut caption = match chunk(limit.min(MAX_CAPTION_UNITS)).as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    };
    let text_follows = caption.is_none();
    let mut messages: Vec<OutboundMessage> = reply
        .media
        .iter()
        .map(|media| {
            let mut message = caption
                .take()
                .map_or_else(|| OutboundMessage::plain(String::new()), text_message);
            message.media = vec![media.clone()];
            message
        })
        .collect();
    if text_follows {
        messages.extend(chunk(limit).into_iter().map(text_message));
    }
    messages
}

/// Whether `media` is sent as a photo: by the extension of its file name (of a URL, the path
/// without query or fragment).
pub(crate) fn is_photo(media: &MediaRef) -> bool {
    let name = match media {
        MediaRef::Path(path) => path.to_string_lossy().into_owned(),
        MediaRef::Url(url) => url.split(['?', '#']).next().unwrap_or_default().to_owned(),
    };
    Path::new(&name)
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            PHOTO_EXTENSIONS
                .iter()
                .any(|photo| extension.eq_ignore_ascii_case(photo))
        })
}

fn with_prefix(text: &str, prefix: Option<&str>) -> String {
    match prefix.filter(|prefix| !prefix.is_empty()) {
        Some(prefix) if !text.trim().is_empty() && !text.starts_with(prefix) => {
            format!("{prefix} {text}")
        }
        _ => text.to_owned(),
    }
}

fn text_message(chunk: TelegramChunk) -> OutboundMessage {
    OutboundMessage {
        text: chunk.html,
        fallback_text: Some(chunk.plain),
        media: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use pretty_assertions::assert_eq;

    use super::*;
    use crate::text::ChunkMode;

    fn settings(limit: usize, prefix: Option<&str>) -> TextSettings {
        TextSettings {
            chunk_limit: limit,
            chunk_mode: ChunkMode::Length,
            response_prefix: prefix.map(str::to_owned),
        }
    }

    fn html(text: &str, plain: &str) -> OutboundMessage {
        OutboundMessage {
            text: text.to_owned(),
            fallback_text: Some(plain.to_owned()),
            media: Vec::new(),
        }
    }

    fn reply(text: &str, media: Vec<MediaRef>) -> ReplyPayload {
        ReplyPayload {
            text: text.to_owned(),
            media,
            reply_to_id: None,
        }
    }

    #[test]
    fn text_is_html_with_a_plain_fallback_and_the_prefix_on_the_first_message_only() {
        let long = format!("**Hi** {}\n\n{}", "a".repeat(40), "b".repeat(40));
        let messages = prepare(&reply(&long, Vec::new()), &settings(60, Some("[claw]")));
        assert_eq!(
            messages,
            vec![
                html(
                    &format!("[claw] <b>Hi</b> {}", "a".repeat(40)),
                    &format!("[claw] Hi {}", "a".repeat(40))
                ),
                html(&"b".repeat(40), &"b".repeat(40)),
            ]
        );
        // A text that already starts with the prefix does not get it twice.
        let again = prepare(
            &reply("[claw] done", Vec::new()),
            &settings(4000, Some("[claw]")),
        );
        assert_eq!(again, vec![html("[claw] done", "[claw] done")]);
    }

    #[test]
    fn an_empty_reply_gives_no_messages() {
        assert_eq!(
            prepare(&reply("", Vec::new()), &settings(4000, Some("p"))),
            vec![]
        );
        assert_eq!(
            prepare(&reply("  \n", Vec::new()), &settings(4000, None)),
            vec![]
        );
    }

    #[test]
    fn a_short_text_is_the_caption_of_the_first_attachment() {
        let photo = MediaRef::Path(PathBuf::from("/tmp/cat.PNG"));
        let file = MediaRef::Url("https://example.com/report.pdf?x=1".to_owned());
        let messages = prepare(
            &reply("*Look*", vec![photo.clone(), file.clone()]),
            &settings(4000, None),
        );
        assert_eq!(
            messages,
            vec![
                OutboundMessage {
                    media: vec![photo.clone()],
                    ..html("<i>Look</i>", "Look")
                },
                OutboundMessage {
                    media: vec![file.clone()],
                    ..OutboundMessage::plain("")
                },
            ]
        );
        assert!(is_photo(&photo));
        assert!(!is_photo(&file));
        assert!(is_photo(&MediaRef::Url(
            "https://example.com/a.jpg#frag".to_owned()
        )));
        assert!(!is_photo(&MediaRef::Url(
            "https://example.com/a.gif".to_owned()
        )));
    }

    #[test]
    fn a_text_too_long_for_a_caption_follows_the_attachments() {
        let photo = MediaRef::Url("https://example.com/a.jpg".to_owned());
        let text = "word ".repeat(300);
        let messages = prepare(&reply(&text, vec![photo.clone()]), &settings(4000, None));
        assert_eq!(messages.len(), 2);
        assert_eq!(
            messages[0],
            OutboundMessage {
                media: vec![photo],
                ..OutboundMessage::plain("")
            }
        );
        assert_eq!(messages[1].text, text.trim_end());
        assert!(messages[1].media.is_empty());
    }
}
