//! Pieces of response decoding several formats share: reading a frame as JSON, and inventing
//! call ids for formats whose tool calls carry none (Gemini, Ollama).

use serde_json::Value;

use crate::error::ProviderError;
use crate::framing::Frame;

/// How much of an unparsable frame an error quotes.
const QUOTED_CHARS: usize = 200;

/// The SSE event name (if any) and the JSON text of a frame.
pub(crate) fn payload(frame: &Frame) -> (Option<&str>, &str) {
    match frame {
        Frame::Sse(event) => (event.event.as_deref(), event.data.as_str()),
        Frame::Line(line) => (None, line.as_str()),
    }
}

/// Parses a frame's JSON text, reporting [`ProviderError::Malformed`] with a shortened quote.
pub(crate) fn parse(provider: &str, text: &str) -> Result<Value, ProviderError> {
    serde_json::from_str(text).map_err(|error| ProviderError::Malformed {
        provider: provider.to_owned(),
        detail: format!(
            "invalid JSON in a streamed event ({error}): {}",
            quote(text)
        ),
    })
}

/// A frame that parsed but does not have the shape the format promises.
pub(crate) fn unexpected(provider: &str, what: &str, text: &str) -> ProviderError {
    ProviderError::Malformed {
        provider: provider.to_owned(),
        detail: format!("{what}: {}", quote(text)),
    }
}

fn quote(text: &str) -> String {
    let mut quoted: String = text.chars().take(QUOTED_CHARS).collect();
    if quoted.len() < text.len() {
        quoted.push('…');
    }
    quoted
}

/// Ids for tool calls that arrive without one.
///
/// An id only has to pair a call with its result inside one conversation, but a conversation
/// spans many responses and may move to a provider that wants unique ids across all of them
/// (Anthropic), so ids carry a per-response random part besides the counter: `call_<nonce>_<n>`.
#[derive(Debug)]
pub(crate) struct CallIds {
    nonce: String,
    issued: Vec<String>,
}

impl CallIds {
    /// Ids for one response.
    pub(crate) fn new() -> Self {
        let nonce = std::iter::repeat_with(fastrand::alphanumeric)
            .take(8)
            .collect();
        Self::with_nonce(nonce)
    }

    /// Ids with a fixed nonce, for tests that compare whole event lists.
    pub(crate) fn with_nonce(nonce: String) -> Self {
        Self {
            nonce,
            issued: Vec::new(),
        }
    }

    /// The provider's id when it sent a fresh one, else a new one.
    pub(crate) fn next(&mut self, provided: Option<&str>) -> String {
        let id = match provided.filter(|id| !id.is_empty() && !self.issued.iter().any(|i| i == id))
        {
            Some(id) => id.to_owned(),
            None => format!("call_{}_{}", self.nonce, self.issued.len() + 1),
        };
        self.issued.push(id.clone());
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_generated_unless_a_fresh_one_is_provided() {
        let mut ids = CallIds::with_nonce("n0nce".into());
        assert_eq!(ids.next(None), "call_n0nce_1");
        assert_eq!(ids.next(Some("abc")), "abc");
        assert_eq!(ids.next(Some("abc")), "call_n0nce_3");
        assert_eq!(ids.next(Some("")), "call_n0nce_4");
        let random = CallIds::new().next(None);
        assert!(
            random.starts_with("call_") && random.ends_with("_1"),
            "{random}"
        );
    }

    #[test]
    fn malformed_frames_are_quoted_briefly() {
        let long = format!("{{\"a\": \"{}", "x".repeat(500));
        let Err(ProviderError::Malformed { provider, detail }) = parse("p", &long) else {
            panic!("expected a malformed error");
        };
        assert_eq!(provider, "p");
        assert!(detail.ends_with('…') && detail.len() < 400, "{detail}");
    }
}
