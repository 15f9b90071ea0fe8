//! [`Secret`]: the one type every key, token and password is held in once it is resolved.

use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// What `Debug` and `Display` print instead of a secret.
pub const REDACTED: &str = "[REDACTED]";

/// A resolved credential (API key, token, password).
///
/// It is built so that the value cannot reach a log line, an error message or a file by
/// accident:
///
/// - `Debug` and `Display` print exactly `[REDACTED]`, also inside `{:#?}` of a containing
///   struct, so `tracing` fields, `?err` and `format!` are safe;
/// - it does not implement `Serialize`, so it cannot be written into JSON, a transcript or the
///   database without a deliberate `expose_secret()`;
/// - the heap memory holding the value is overwritten with zeros when it is dropped;
/// - comparing it with a candidate (a token presented by a client) takes the same time whatever
///   the candidate is ([`Secret::eq_exposed`]).
///
/// Reading the value takes an explicit [`ExposeSecret::expose_secret`] call, which is easy to
/// find in review.
///
/// ```
/// use rustyclaw_config::{ExposeSecret, Secret};
///
/// let key = Secret::from("sk-live-123");
/// assert_eq!(format!("{key:?} {key}"), "[REDACTED] [REDACTED]");
/// assert_eq!(key.expose_secret(), "sk-live-123");
/// ```
///
/// A secret cannot be serialized:
///
/// ```compile_fail
/// let key = rustyclaw_config::Secret::from("sk-live-123");
/// let _ = serde_json::to_string(&key);
/// ```
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Compares the secret with `candidate` in constant time.
    ///
    /// Both sides are hashed (SHA-256) and the digests compared with `subtle`, so neither the
    /// position of the first differing byte nor the secret's length can be learnt by timing the
    /// comparison — the way a gateway must check a presented token.
    pub fn eq_exposed(&self, candidate: &str) -> bool {
        let ours = Sha256::digest(self.0.expose_secret().as_bytes());
        let theirs = Sha256::digest(candidate.as_bytes());
        ours.as_slice().ct_eq(theirs.as_slice()).into()
    }

    /// Whether the value is empty (or only whitespace), without exposing it.
    pub fn is_blank(&self) -> bool {
        self.0.expose_secret().trim().is_empty()
    }
}

impl ExposeSecret<str> for Secret {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(mut value: String) -> Self {
        // `into_boxed_str` reallocates when the string has spare capacity and would leave the
        // old buffer behind un-zeroed; copy instead and wipe the original.
        let boxed: Box<str> = if value.len() == value.capacity() {
            value.into_boxed_str()
        } else {
            let copy = Box::from(value.as_str());
            value.zeroize();
            copy
        };
        Secret(SecretBox::from(boxed))
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(SecretString::from(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "sk-unit-test-9f8e7d";

    #[derive(Debug)]
    #[expect(dead_code, reason = "only formatted")]
    struct Holder {
        name: &'static str,
        key: Secret,
        maybe: Option<Secret>,
    }

    #[test]
    fn every_format_prints_redacted_and_never_the_value() {
        let key = Secret::from(VALUE.to_owned());
        assert_eq!(format!("{key:?}"), "[REDACTED]");
        assert_eq!(format!("{key}"), "[REDACTED]");
        assert_eq!(format!("{key:#?}"), "[REDACTED]");
        assert_eq!(format!("{key:>20}"), "[REDACTED]");
        let holder = Holder {
            name: "openai",
            key: key.clone(),
            maybe: Some(key),
        };
        for text in [format!("{holder:?}"), format!("{holder:#?}")] {
            assert!(!text.contains(VALUE), "{text}");
            assert_eq!(text.matches("[REDACTED]").count(), 2, "{text}");
        }
    }

    #[test]
    fn the_value_is_reachable_only_through_expose_secret() {
        let mut spare = String::with_capacity(64);
        spare.push_str(VALUE);
        for key in [
            Secret::from(VALUE),
            Secret::from(VALUE.to_owned()),
            Secret::from(spare),
        ] {
            assert_eq!(key.expose_secret(), VALUE);
            assert_eq!(key.clone().expose_secret(), VALUE);
        }
    }

    #[test]
    fn comparison_is_exact() {
        let key = Secret::from(VALUE);
        assert!(key.eq_exposed(VALUE));
        assert!(!key.eq_exposed("sk-unit-test-9f8e7"));
        assert!(!key.eq_exposed("sk-unit-test-9f8e7dd"));
        assert!(!key.eq_exposed(""));
        assert!(Secret::from("").eq_exposed(""));
        assert!(Secret::from(" \n").is_blank());
        assert!(!key.is_blank());
    }
}
