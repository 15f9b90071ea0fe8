//! A chat message as it arrives (`chat.send`, `sessions.send`), made safe to store and route,
//! as upstream's `sanitizeChatSendMessageInput` does: Unicode NFC, a null byte refused (it
//! truncates strings in C-based channel libraries and terminals), and the other C0 control
//! characters and DEL dropped — tab, line feed and carriage return are kept.

use std::borrow::Cow;

use icu_normalizer::ComposingNormalizerBorrowed;

/// Upstream's error text for a message holding a null byte.
pub(crate) const NULL_BYTE: &str = "message must not contain null bytes";

/// `message` normalised, or [`NULL_BYTE`] when it holds one.
pub(crate) fn sanitize(message: &str) -> Result<String, &'static str> {
    let normalized: Cow<'_, str> = ComposingNormalizerBorrowed::new_nfc().normalize(message);
    if normalized.contains('\0') {
        return Err(NULL_BYTE);
    }
    Ok(if normalized.chars().any(disallowed) {
        normalized.chars().filter(|c| !disallowed(*c)).collect()
    } else {
        normalized.into_owned()
    })
}

/// C0 controls but tab, line feed and carriage return, and DEL.
fn disallowed(c: char) -> bool {
    matches!(c, '\u{1}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_composed_and_controls_dropped_but_whitespace_kept() {
        // "e" + combining acute accent becomes "é".
        assert_eq!(sanitize("cafe\u{301}").unwrap(), "caf\u{e9}");
        assert_eq!(
            sanitize("a\tb\nc\r\nd\u{7}e\u{1b}[31mf\u{7f}").unwrap(),
            "a\tb\nc\r\nde[31mf"
        );
        assert_eq!(sanitize("plain").unwrap(), "plain");
    }

    #[test]
    fn a_null_byte_is_refused() {
        assert_eq!(sanitize("before\0after"), Err(NULL_BYTE));
    }
}
