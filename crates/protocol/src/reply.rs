//! What a run answers with: reply payloads, the messages a channel sends (upstream's
//! `ReplyPayload`: `text`, `mediaUrl`/`mediaUrls`, `replyToId`).
//!
//! A turn answers with one payload, the text of the model's final answer; `NO_REPLY` or no text
//! is no payload at all. Upstream adds payloads this runtime does not make yet (reasoning with
//! `/reasoning on`, error notices, one answer per steered message); splitting long text for a
//! platform's size limit is the delivering channel's business (`textChunkLimit`), not the run's.

use std::path::PathBuf;

use crate::origin::MessageId;

/// One message of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyPayload {
    /// The text; empty when the payload carries only media.
    pub text: String,
    /// Attachments, in order.
    pub media: Vec<MediaRef>,
    /// The platform message this payload is threaded under, when there is one. The delivering
    /// channel may drop it by its `replyToMode`.
    pub reply_to_id: Option<MessageId>,
}

/// An attachment of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaRef {
    /// A remote file.
    Url(String),
    /// A file on this host.
    Path(PathBuf),
}

impl MediaRef {
    /// The attachment as upstream's `mediaUrl` spells it: the URL, or the path.
    pub fn to_wire(&self) -> String {
        match self {
            MediaRef::Url(url) => url.clone(),
            MediaRef::Path(path) => path.display().to_string(),
        }
    }
}

impl ReplyPayload {
    /// A text-only payload threaded under `reply_to_id`.
    pub fn text(text: String, reply_to_id: Option<MessageId>) -> Self {
        Self {
            text,
            media: Vec::new(),
            reply_to_id,
        }
    }
}

/// The text of `payloads` as one string, as upstream joins a run's payloads for a caller that
/// shows one text (each trimmed, empty ones skipped, separated by a blank line); `None` when no
/// payload has text.
pub fn joined_text(payloads: &[ReplyPayload]) -> Option<String> {
    let texts: Vec<&str> = payloads
        .iter()
        .map(|p| p.text.trim())
        .filter(|t| !t.is_empty())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(text: &str) -> ReplyPayload {
        ReplyPayload::text(text.to_owned(), None)
    }

    #[test]
    fn texts_are_trimmed_and_joined_by_a_blank_line() {
        assert_eq!(joined_text(&[payload("Hello.")]).as_deref(), Some("Hello."));
        assert_eq!(
            joined_text(&[payload(" First. \n"), payload("Second.")]).as_deref(),
            Some("First.\n\nSecond.")
        );
    }

    #[test]
    fn no_payloads_or_media_only_payloads_have_no_text() {
        assert_eq!(joined_text(&[]), None);
        let media_only = ReplyPayload {
            text: String::new(),
            media: vec![MediaRef::Url("https://example.com/a.png".into())],
            reply_to_id: None,
        };
        assert_eq!(joined_text(std::slice::from_ref(&media_only)), None);
        assert_eq!(
            joined_text(&[media_only, payload("Caption.")]).as_deref(),
            Some("Caption.")
        );
    }
}
