//! Identifiers of sessions and transcript entries.
//!
//! Both are opaque strings chosen by whoever created the session or entry (OpenClaw uses UUIDs, the
//! CLI accepts `--session-id bench`). They are validated only as far as rustyclaw relies on them:
//! non-empty, bounded, free of control characters, and for session ids safe to use as a file name,
//! because OpenClaw names transcript files `<sessionId>.jsonl` and exports recreate that layout.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest accepted session or entry id, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Why a string is not a valid [`SessionId`] or [`EntryId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is the empty string.
    #[error("{kind} is empty")]
    Empty {
        /// Which kind of id was being parsed.
        kind: &'static str,
    },
    /// The id is longer than [`MAX_ID_LEN`] bytes.
    #[error("{kind} is {len} bytes long (at most {max})")]
    TooLong {
        /// Which kind of id was being parsed.
        kind: &'static str,
        /// Length of the rejected id in bytes.
        len: usize,
        /// The limit, [`MAX_ID_LEN`].
        max: usize,
    },
    /// The id contains a character it may not contain.
    #[error("{kind} contains the forbidden character {character:?}")]
    ForbiddenCharacter {
        /// Which kind of id was being parsed.
        kind: &'static str,
        /// The first offending character.
        character: char,
    },
    /// The id is `.` or `..`, which would name a directory when used as a file name.
    #[error("{kind} may not be {value:?}")]
    DotName {
        /// Which kind of id was being parsed.
        kind: &'static str,
        /// The rejected value.
        value: String,
    },
}

fn check_common(kind: &'static str, value: &str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.len() > MAX_ID_LEN {
        return Err(IdError::TooLong {
            kind,
            len: value.len(),
            max: MAX_ID_LEN,
        });
    }
    if let Some(character) = value.chars().find(|c| c.is_control()) {
        return Err(IdError::ForbiddenCharacter { kind, character });
    }
    Ok(())
}

/// Implements the string plumbing shared by the id newtypes.
macro_rules! string_id {
    ($name:ident) => {
        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the id, returning its string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(value: &str) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;

            fn try_from(value: String) -> Result<Self, IdError> {
                Self::new(value)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Self::new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The id of one session's transcript (`sessionId` in a session entry, `id` of the `session`
/// header line).
///
/// A session key (the conversation) keeps its key across resets; each reset starts a new session id
/// and so a new transcript.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(String);

impl SessionId {
    /// Validates a session id: non-empty, at most [`MAX_ID_LEN`] bytes, no control characters, no
    /// path separators (`/`, `\`), and not `.` or `..`.
    pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
        const KIND: &str = "session id";
        let value = value.into();
        check_common(KIND, &value)?;
        if let Some(character) = value.chars().find(|c| matches!(c, '/' | '\\')) {
            return Err(IdError::ForbiddenCharacter {
                kind: KIND,
                character,
            });
        }
        if value == "." || value == ".." {
            return Err(IdError::DotName { kind: KIND, value });
        }
        Ok(Self(value))
    }
}

string_id!(SessionId);

/// The id of one transcript entry (`id` and `parentId` of entry lines).
///
/// OpenClaw writes UUIDs; older pi-coding-agent transcripts use 8 hex characters. Unique within a
/// transcript, not globally.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(String);

impl EntryId {
    /// Validates an entry id: non-empty, at most [`MAX_ID_LEN`] bytes, no control characters.
    pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
        let value = value.into();
        check_common("entry id", &value)?;
        Ok(Self(value))
    }
}

string_id!(EntryId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_accept_upstream_shapes() {
        for id in [
            "bench",
            "5f0c7a1e-3b0b-4c53-9a5e-0c1f7b1d2e3f",
            "my chat",
            "a.b_c-d",
        ] {
            assert_eq!(SessionId::new(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn session_ids_reject_path_tricks() {
        assert!(matches!(SessionId::new(""), Err(IdError::Empty { .. })));
        assert!(matches!(SessionId::new(".."), Err(IdError::DotName { .. })));
        assert!(matches!(
            SessionId::new("../etc/passwd"),
            Err(IdError::ForbiddenCharacter { character: '/', .. })
        ));
        assert!(matches!(
            SessionId::new("a\\b"),
            Err(IdError::ForbiddenCharacter {
                character: '\\',
                ..
            })
        ));
        assert!(matches!(
            SessionId::new("a\nb"),
            Err(IdError::ForbiddenCharacter { .. })
        ));
        assert!(matches!(
            SessionId::new("x".repeat(257)),
            Err(IdError::TooLong { len: 257, .. })
        ));
    }

    #[test]
    fn entry_ids_deserialize_with_validation() {
        let id: EntryId = serde_json::from_str("\"7e89ddb5\"").unwrap();
        assert_eq!(id.as_str(), "7e89ddb5");
        assert!(serde_json::from_str::<EntryId>("\"\"").is_err());
    }
}
