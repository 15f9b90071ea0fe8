//! [`Scrubber`]: cutting known secret values out of text that came from somewhere else.
//!
//! A [`Secret`] cannot leak through our own formatting, but text written by someone else can
//! quote it back: some OpenAI-compatible proxies put the API key they received into their 401,
//! 403, 429 or 500 bodies. Such text is passed through a `Scrubber` holding every secret that
//! could have been sent, before it is shown, stored or logged.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use secrecy::ExposeSecret;

use super::value::{REDACTED, Secret};

/// Secrets shorter than this are not searched for: they would match ordinary words, and no
/// provider issues keys that short.
pub const MIN_SCRUBBED_CHARS: usize = 8;

/// Replaces every occurrence of a set of secrets in a text with [`REDACTED`].
///
/// Besides the plain value it finds the forms a value travels in: percent-encoded (in a URL
/// quoted back), JSON-escaped, and Base64 — also inside the Base64 of `user:secret` (an HTTP
/// Basic credential), whatever the user part is, by searching for the characters that depend
/// on the secret alone.
///
/// The forms are derived once, when the scrubber is built, and kept as [`Secret`]s, so they
/// are wiped from memory with it and never printed (`Debug` shows only how many there are).
/// Cloning is cheap.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Every form of every secret, longest first, so a longer form is replaced before a
    /// shorter one inside it.
    needles: Arc<[Secret]>,
}

impl Scrubber {
    /// A scrubber for `secrets`. Blank secrets and those shorter than
    /// [`MIN_SCRUBBED_CHARS`] are left out.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut needles: Vec<Secret> = Vec::new();
        for secret in secrets {
            let value = secret.expose_secret();
            if value.chars().count() < MIN_SCRUBBED_CHARS {
                continue;
            }
            for form in forms(value) {
                if !needles.iter().any(|n| n.expose_secret() == form) {
                    needles.push(Secret::from(form));
                }
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.expose_secret().len()));
        Self {
            needles: needles.into(),
        }
    }

    /// Whether there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every secret replaced by [`REDACTED`]; borrowed when none occurs.
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for needle in self.needles.iter() {
            let needle = needle.expose_secret();
            if out.contains(needle) {
                out = Cow::Owned(out.replace(needle, REDACTED));
            }
        }
        out
    }

    /// Scrubs `text` in place.
    pub fn scrub_in_place(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.scrub(text) {
            *text = clean;
        }
    }
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrubber")
            .field("forms", &self.needles.len())
            .finish()
    }
}

/// The forms `value` may appear in.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_owned()];
    let encoded = percent_encode(value);
    if encoded != value {
        out.push(encoded.to_ascii_lowercase());
        out.push(encoded);
    }
    if let Ok(json) = serde_json::to_string(value)
        && let Some(inner) = json.get(1..json.len().saturating_sub(1))
        && inner != value
    {
        out.push(inner.to_owned());
    }
    for offset in 0..3 {
        for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
            out.push(base64_core(&engine, value.as_bytes(), offset));
        }
    }
    out.retain(|form| form.len() >= MIN_SCRUBBED_CHARS);
    out
}

/// The Base64 characters that depend on `bytes` alone when they are encoded `offset` bytes
/// (0–2) after the start of a group of three, as in the Base64 of `user:secret`: the first
/// and last characters also carry bits of the neighbouring bytes and are left out.
fn base64_core(engine: &base64::engine::GeneralPurpose, bytes: &[u8], offset: usize) -> String {
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(bytes);
    let encoded = engine.encode(&padded);
    // Character i covers bits 6i..6i+6; the secret occupies bits 8·offset..8·(offset+len).
    let first = (8 * offset).div_ceil(6);
    let end = (8 * (offset + bytes.len())) / 6;
    encoded.get(first..end).unwrap_or_default().to_owned()
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    const KEY: &str = "sk-proj-Ab3+/x=Q9_z";

    fn scrubber() -> Scrubber {
        Scrubber::new([&Secret::from(KEY), &Secret::from("short")])
    }

    #[test]
    fn plain_values_are_replaced_with_the_marker() {
        let text = format!("Incorrect API key provided: {KEY}. You can find your key at …");
        assert_eq!(
            scrubber().scrub(&text),
            "Incorrect API key provided: [REDACTED]. You can find your key at …"
        );
        assert!(matches!(scrubber().scrub("nothing here"), Cow::Borrowed(_)));
        // Too short to search for without mangling ordinary words.
        assert_eq!(scrubber().scrub("a short text"), "a short text");
    }

    #[test]
    fn encoded_forms_are_found() {
        let scrubber = scrubber();
        let url = format!("https://proxy/v1?key={}", percent_encode(KEY));
        assert_eq!(scrubber.scrub(&url), "https://proxy/v1?key=[REDACTED]");
        let lower = percent_encode(KEY).to_ascii_lowercase();
        assert!(!scrubber.scrub(&lower).contains("2bx"), "{lower}");
        let json = serde_json::json!({"error": {"message": format!("bad key \"{KEY}\\\"")}});
        let out = scrubber.scrub(&json.to_string()).into_owned();
        assert!(!out.contains("Ab3+"), "{out}");
        for user in ["", "u", "us", "user", "api"] {
            for engine in [STANDARD, base64::engine::general_purpose::URL_SAFE] {
                let basic = engine.encode(format!("{user}:{KEY}"));
                let out = scrubber.scrub(&basic).into_owned();
                assert!(out.contains(REDACTED), "{user:?}: {basic} → {out}");
                // At most the characters shared with the user part and the padding remain.
                assert!(out.len() <= REDACTED.len() + 8, "{user:?}: {out}");
            }
        }
    }

    #[test]
    fn debug_names_no_value() {
        let shown = format!("{:?}", scrubber());
        assert!(
            !shown.contains("sk-proj") && shown.starts_with("Scrubber"),
            "{shown}"
        );
        assert!(Scrubber::default().is_empty());
        let mut text = format!("x{KEY}x");
        scrubber().scrub_in_place(&mut text);
        assert_eq!(text, "x[REDACTED]x");
    }
}
