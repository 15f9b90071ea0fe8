//! The files that came with a message, as the model sees them: an image inline, as an image
//! block of the user message; anything else as a note before the text naming where the file
//! was saved, in OpenClaw's wording (`[media attached: <path> (<mime>) "<name>"]`), so the
//! agent can open it with its tools.
//!
//! The image blocks are part of the stored user message, so a later turn replays them the way
//! OpenClaw's transcripts do. Nothing here fails the run: a file that cannot be read becomes a
//! note saying so, which the model can pass on to the user.

use std::path::Path;

use base64::Engine as _;
use rustyclaw_protocol::attachment::{AttachmentKind, InboundAttachment};
use rustyclaw_protocol::transcript::{ContentBlock, ImageContent, MessageContent};
use rustyclaw_support::sniff_image_mime;
use serde_json::Map;

/// Images larger than this are not inlined (the model gets the note instead): a provider
/// refuses a request whose image is too large, and every later turn would resend it.
const MAX_INLINE_IMAGE_BYTES: u64 = 10 * 1024 * 1024;

/// The image MIME types every provider accepts inline.
const INLINE_IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Upstream keeps at most this many UTF-16 units of a file name in a note.
const MAX_NOTE_FILE_NAME: usize = 256;

/// What the attachments of one message add to it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Attached {
    /// Lines about the files the model does not see inline, to go before the message text.
    pub note: Option<String>,
    /// The images the model sees, in the order they came.
    pub images: Vec<ContentBlock>,
}

impl Attached {
    /// `text` with the note before it, joined the way OpenClaw joins a media note and a body
    /// (a newline between, the whole trimmed).
    pub fn text(&self, text: &str) -> String {
        match &self.note {
            Some(note) if !text.is_empty() => format!("{note}\n{text}").trim().to_owned(),
            Some(note) => note.trim().to_owned(),
            None => text.to_owned(),
        }
    }
}

/// Reads the attachments of one message: the images it can inline, a note for the rest.
pub(crate) async fn attach(attachments: &[InboundAttachment]) -> Attached {
    let mut noted: Vec<&InboundAttachment> = Vec::new();
    let mut images = Vec::new();
    let mut unreadable = 0usize;
    for attachment in attachments {
        match inline(attachment).await {
            // Upstream notes every attachment, images too: the model learns where the file
            // was saved and can send it on or open it with its tools.
            Inline::Image(image) => {
                images.push(ContentBlock::Image(image));
                noted.push(attachment);
            }
            Inline::Note => noted.push(attachment),
            Inline::Unreadable(error) => {
                tracing::warn!(
                    path = %attachment.path.display(),
                    %error,
                    "cannot read an image attachment; the model gets a note instead",
                );
                noted.push(attachment);
                unreadable += 1;
            }
        }
    }
    let mut lines = media_note(&noted);
    if unreadable > 0 {
        lines.push(unreadable_notice(unreadable));
    }
    Attached {
        note: (!lines.is_empty()).then(|| lines.join("\n")),
        images,
    }
}

/// The content of a user message: plain text when there are no images, else the text (when
/// there is any: providers refuse empty text blocks) followed by the images, as pi-ai builds a
/// prompt with images.
pub(crate) fn user_content(text: String, images: Vec<ContentBlock>) -> MessageContent {
    if images.is_empty() {
        return MessageContent::Text(text);
    }
    let mut blocks = Vec::with_capacity(images.len() + 1);
    if !text.is_empty() {
        blocks.push(ContentBlock::text(text));
    }
    blocks.extend(images);
    MessageContent::Blocks(blocks)
}

/// How one attachment reaches the model.
enum Inline {
    /// As an image.
    Image(ImageContent),
    /// As a line of the media note.
    Note,
    /// As a line of the media note, with a notice that it could not be read.
    Unreadable(std::io::Error),
}

async fn inline(attachment: &InboundAttachment) -> Inline {
    if attachment.kind != AttachmentKind::Image {
        return Inline::Note;
    }
    // A declared type the providers do not take (HEIC, SVG, …) is believed without reading the
    // file; an accepted or missing one is checked against the bytes, which decide.
    if attachment
        .mime_type
        .as_deref()
        .is_some_and(|declared| !inlinable(declared))
    {
        return Inline::Note;
    }
    match read_capped(&attachment.path, MAX_INLINE_IMAGE_BYTES).await {
        Ok(Some(bytes)) => match sniff_image_mime(&bytes) {
            Some(mime_type) => Inline::Image(ImageContent {
                data: base64::engine::general_purpose::STANDARD.encode(&bytes),
                mime_type: mime_type.to_owned(),
                other: Map::new(),
            }),
            None => Inline::Note,
        },
        Ok(None) => Inline::Note,
        Err(error) => Inline::Unreadable(error),
    }
}

/// The file's bytes, or `None` when it is larger than `cap`.
async fn read_capped(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    if tokio::fs::metadata(path).await?.len() > cap {
        return Ok(None);
    }
    let bytes = tokio::fs::read(path).await?;
    // The file may have grown since its size was read.
    Ok((u64::try_from(bytes.len()).unwrap_or(u64::MAX) <= cap).then_some(bytes))
}

/// Whether a declared MIME type is one the providers take inline, ignoring case and
/// parameters (`Image/JPEG; q=1`) and taking the common misspelling `image/jpg`.
fn inlinable(mime_type: &str) -> bool {
    let essence = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "image/jpg" || INLINE_IMAGE_TYPES.contains(&essence.as_str())
}

/// OpenClaw's media note (`buildInboundMediaNoteProjection`): one line for one file; for
/// several, a count line and then one numbered line each.
fn media_note(noted: &[&InboundAttachment]) -> Vec<String> {
    match noted {
        [] => Vec::new(),
        [one] => vec![media_line("[media attached: ", one)],
        many => {
            let total = many.len();
            let mut lines = vec![format!("[media attached: {total} files]")];
            lines.extend(many.iter().enumerate().map(|(i, attachment)| {
                media_line(&format!("[media attached {}/{total}: ", i + 1), attachment)
            }));
            lines
        }
    }
}

/// One line of the note (upstream's `formatMediaAttachedLine`): the path, the MIME type (or
/// the kind when the type is unknown) in parentheses, and the platform's file name quoted.
fn media_line(prefix: &str, attachment: &InboundAttachment) -> String {
    let path = sanitize(&attachment.path.display().to_string());
    let kind = sanitize(
        attachment
            .mime_type
            .as_deref()
            .unwrap_or(attachment.kind.as_str()),
    );
    let kind = if kind.is_empty() {
        String::new()
    } else {
        format!(" ({kind})")
    };
    let name = attachment
        .file_name
        .as_deref()
        .map(|name| truncate_utf16(&sanitize(base_name(name)), MAX_NOTE_FILE_NAME))
        .filter(|name| !name.is_empty())
        .map(|name| format!(" {}", serde_json::Value::String(name)))
        .unwrap_or_default();
    format!("{prefix}{path}{kind}{name}]")
}

/// Upstream's `sanitizeInlineMediaNoteValue`: control characters and `]` (which would end the
/// note early) become spaces, runs of whitespace one space, the ends trimmed.
fn sanitize(value: &str) -> String {
    let replaced: String = value
        .chars()
        .map(|c| if c.is_control() || c == ']' { ' ' } else { c })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The last component of a path written with either separator.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// At most `max` UTF-16 units of `text`, never splitting a character (JavaScript's string
/// length, which upstream's cap counts).
fn truncate_utf16(text: &str, max: usize) -> String {
    let mut units = 0;
    text.chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= max
        })
        .collect()
}

/// OpenClaw's notice for images that could not be loaded (`buildPromptImageFailureNotice`).
fn unreadable_notice(count: usize) -> String {
    let (noun, them) = if count == 1 {
        ("image attachment", "the image")
    } else {
        ("image attachments", "the images")
    };
    format!(
        "System note: {count} {noun} could not be loaded; their image contents are unavailable. \
         Tell the user and ask them to resend {them}; do not claim inspection."
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use pretty_assertions::assert_eq;

    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn attachment(
        kind: AttachmentKind,
        path: PathBuf,
        mime_type: Option<&str>,
        file_name: Option<&str>,
    ) -> InboundAttachment {
        InboundAttachment {
            kind,
            path,
            mime_type: mime_type.map(str::to_owned),
            file_name: file_name.map(str::to_owned),
            size_bytes: 0,
        }
    }

    fn image_block(bytes: &[u8], mime_type: &str) -> ContentBlock {
        ContentBlock::Image(ImageContent {
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
            mime_type: mime_type.to_owned(),
            other: Map::new(),
        })
    }

    #[tokio::test]
    async fn an_image_is_inlined_with_the_type_its_bytes_have() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.jpg");
        std::fs::write(&path, PNG).unwrap();
        // Declared JPEG, actually PNG: the bytes decide, as the providers check them.
        let attached = attach(&[attachment(
            AttachmentKind::Image,
            path.clone(),
            Some("image/jpeg"),
            None,
        )])
        .await;
        assert_eq!(
            attached,
            Attached {
                note: Some(format!("[media attached: {} (image/jpeg)]", path.display())),
                images: vec![image_block(PNG, "image/png")],
            }
        );
        // No declared type at all.
        let attached = attach(&[attachment(AttachmentKind::Image, path, None, None)]).await;
        assert_eq!(attached.images, vec![image_block(PNG, "image/png")]);
    }

    #[tokio::test]
    async fn other_files_become_upstreams_media_note() {
        let pdf = attachment(
            AttachmentKind::File,
            PathBuf::from("/state/media/inbound/a1.pdf"),
            Some("application/pdf"),
            Some("Q3 report.pdf"),
        );
        let attached = attach(std::slice::from_ref(&pdf)).await;
        assert_eq!(
            attached.note.as_deref(),
            Some(
                r#"[media attached: /state/media/inbound/a1.pdf (application/pdf) "Q3 report.pdf"]"#
            )
        );
        assert!(attached.images.is_empty());
        assert_eq!(
            attached.text("summarise this"),
            "[media attached: /state/media/inbound/a1.pdf (application/pdf) \"Q3 report.pdf\"]\nsummarise this"
        );

        // A voice note without a type: the kind stands in; names lose paths and brackets.
        let voice = attachment(
            AttachmentKind::Voice,
            PathBuf::from("/m/v.ogg"),
            None,
            Some("C:\\rec]\n.ogg"),
        );
        let attached = attach(&[pdf, voice]).await;
        assert_eq!(
            attached.note.as_deref(),
            Some(
                "[media attached: 2 files]\n\
                 [media attached 1/2: /state/media/inbound/a1.pdf (application/pdf) \"Q3 report.pdf\"]\n\
                 [media attached 2/2: /m/v.ogg (voice) \"rec .ogg\"]"
            )
        );
        assert_eq!(attached.text(""), attached.note.clone().unwrap());
    }

    #[tokio::test]
    async fn images_not_inlined_are_noted() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.png");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_INLINE_IMAGE_BYTES + 1).unwrap();
        let heic = dir.path().join("p.heic");
        std::fs::write(&heic, b"....ftypheic").unwrap();
        let fake = dir.path().join("fake.png");
        std::fs::write(&fake, b"not a png").unwrap();
        let attached = attach(&[
            attachment(AttachmentKind::Image, big.clone(), Some("image/png"), None),
            attachment(
                AttachmentKind::Image,
                heic.clone(),
                Some("image/heic"),
                None,
            ),
            attachment(AttachmentKind::Image, fake.clone(), None, None),
        ])
        .await;
        assert!(attached.images.is_empty());
        assert_eq!(
            attached.note.unwrap(),
            format!(
                "[media attached: 3 files]\n\
                 [media attached 1/3: {} (image/png)]\n\
                 [media attached 2/3: {} (image/heic)]\n\
                 [media attached 3/3: {} (image)]",
                big.display(),
                heic.display(),
                fake.display()
            )
        );
    }

    #[tokio::test]
    async fn an_unreadable_image_is_noted_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone.jpg");
        let attached = attach(&[attachment(
            AttachmentKind::Image,
            gone.clone(),
            Some("image/jpeg"),
            None,
        )])
        .await;
        assert!(attached.images.is_empty());
        assert_eq!(
            attached.note.unwrap(),
            format!(
                "[media attached: {} (image/jpeg)]\n\
                 System note: 1 image attachment could not be loaded; their image contents are \
                 unavailable. Tell the user and ask them to resend the image; do not claim \
                 inspection.",
                gone.display()
            )
        );
    }

    #[test]
    fn content_is_text_then_images_and_plain_text_without_images() {
        assert_eq!(
            user_content("hi".into(), Vec::new()),
            MessageContent::Text("hi".into())
        );
        let image = image_block(PNG, "image/png");
        assert_eq!(
            user_content("look".into(), vec![image.clone()]),
            MessageContent::Blocks(vec![ContentBlock::text("look"), image.clone()])
        );
        // A photo without a caption: no empty text block.
        assert_eq!(
            user_content(String::new(), vec![image.clone()]),
            MessageContent::Blocks(vec![image])
        );
    }

    #[test]
    fn long_names_are_cut_on_character_boundaries() {
        let name = "é".repeat(300);
        assert_eq!(truncate_utf16(&name, 256).chars().count(), 256);
        let emoji = "😀".repeat(200);
        assert_eq!(truncate_utf16(&emoji, 255).chars().count(), 127);
    }
}
