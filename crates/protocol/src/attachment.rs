//! Files that arrive with a chat message: what the channel received, saved on this host, and
//! handed to the run with the message text.
//!
//! The channel adapter describes an attachment as its platform does; the router downloads it
//! (within the channel's `mediaMaxMb`) into the state directory and passes it on as an
//! [`InboundAttachment`]. The runtime shows an image to the model as an image and any other
//! file as a note naming where it was saved, so the agent can open it with its tools.

use std::path::PathBuf;

/// A kind of attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachmentKind {
    /// A picture the model can look at.
    Image,
    /// A voice note (kept as a file: speech transcription is not built in yet).
    Voice,
    /// Audio.
    Audio,
    /// Video.
    Video,
    /// Any other file.
    File,
}

impl AttachmentKind {
    /// The word stored in journals and shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Voice => "voice",
            AttachmentKind::Audio => "audio",
            AttachmentKind::Video => "video",
            AttachmentKind::File => "file",
        }
    }

    /// The kind a stored word names; unknown words are files.
    pub fn parse(word: &str) -> Self {
        match word {
            "image" => AttachmentKind::Image,
            "voice" => AttachmentKind::Voice,
            "audio" => AttachmentKind::Audio,
            "video" => AttachmentKind::Video,
            _ => AttachmentKind::File,
        }
    }
}

/// An attachment of a message, saved on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundAttachment {
    /// What it is.
    pub kind: AttachmentKind,
    /// Where it was saved.
    pub path: PathBuf,
    /// Its MIME type, when known.
    pub mime_type: Option<String>,
    /// Its file name on the platform, when it had one.
    pub file_name: Option<String>,
    /// Its size in bytes.
    pub size_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_word() {
        for kind in [
            AttachmentKind::Image,
            AttachmentKind::Voice,
            AttachmentKind::Audio,
            AttachmentKind::Video,
            AttachmentKind::File,
        ] {
            assert_eq!(AttachmentKind::parse(kind.as_str()), kind);
        }
        assert_eq!(AttachmentKind::parse("sticker"), AttachmentKind::File);
    }
}
