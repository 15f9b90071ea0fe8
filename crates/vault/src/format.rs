//! The on-disk layout of `vault.json` (version 1).
//!
//! ```json
//! {
//!   "version": 1,
//!   "kdf": { "algorithm": "argon2id", "memoryKib": 19456, "iterations": 2, "parallelism": 1,
//!            "salt": "<base64>" },
//!   "keyCheck": { "nonce": "<base64>", "ciphertext": "<base64>" },
//!   "records": {
//!     "openai": { "nonce": "<base64>", "ciphertext": "<base64>",
//!                 "createdAt": "2026-01-02T03:04:05Z", "updatedAt": "2026-01-02T03:04:05Z" }
//!   }
//! }
//! ```
//!
//! A vault keyed by its key file has `"kdf": { "algorithm": "keyFile" }`: the file holds 32
//! random bytes, which need no stretching. Binary values are standard base64 with padding.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

/// The only format version this crate reads and writes.
pub(crate) const VERSION: u32 = 1;

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VaultFile {
    /// Format version.
    pub version: u32,
    /// How the encryption key is obtained.
    pub kdf: Kdf,
    /// A fixed plaintext sealed with the key, so a wrong key is recognised before any record.
    pub key_check: Sealed,
    /// Records by name.
    pub records: BTreeMap<String, Record>,
}

/// How the encryption key is obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "algorithm", deny_unknown_fields)]
pub(crate) enum Kdf {
    /// Argon2id (version 0x13) over the passphrase.
    #[serde(rename = "argon2id", rename_all = "camelCase")]
    Argon2id {
        /// Memory cost in KiB.
        memory_kib: u32,
        /// Passes over memory.
        iterations: u32,
        /// Lanes.
        parallelism: u32,
        /// Random salt (16 bytes).
        salt: Bytes,
    },
    /// The 32 bytes of `vault.key`, used as the key directly.
    #[serde(rename = "keyFile")]
    KeyFile,
}

/// A nonce and the AES-256-GCM ciphertext (with its 16-byte tag appended).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Sealed {
    /// 96-bit nonce, fresh for every encryption.
    pub nonce: Bytes,
    /// Ciphertext and tag.
    pub ciphertext: Bytes,
}

/// One stored credential.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Record {
    /// 96-bit nonce, fresh for every write of the record.
    pub nonce: Bytes,
    /// Ciphertext and tag; the record name is the associated data.
    pub ciphertext: Bytes,
    /// When the name was first stored.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the value was last replaced.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Binary data, written as base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map(Bytes)
            .map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_layout_is_camel_case_json_with_base64_and_rfc3339() {
        let at = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        let file = VaultFile {
            version: VERSION,
            kdf: Kdf::Argon2id {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1,
                salt: Bytes(vec![1, 2, 3]),
            },
            key_check: Sealed {
                nonce: Bytes(vec![0; 12]),
                ciphertext: Bytes(vec![255]),
            },
            records: BTreeMap::from([(
                "openai".to_owned(),
                Record {
                    nonce: Bytes(vec![7; 12]),
                    ciphertext: Bytes(b"xyz".to_vec()),
                    created_at: at,
                    updated_at: at,
                },
            )]),
        };
        let value = serde_json::to_value(&file).unwrap();
        pretty_assertions::assert_eq!(
            value,
            json!({
                "version": 1,
                "kdf": {"algorithm": "argon2id", "memoryKib": 19456, "iterations": 2,
                        "parallelism": 1, "salt": "AQID"},
                "keyCheck": {"nonce": "AAAAAAAAAAAAAAAA", "ciphertext": "/w=="},
                "records": {"openai": {"nonce": "BwcHBwcHBwcHBwcH", "ciphertext": "eHl6",
                    "createdAt": "2026-01-02T03:04:05Z", "updatedAt": "2026-01-02T03:04:05Z"}}
            })
        );
        let back: VaultFile = serde_json::from_value(value).unwrap();
        assert_eq!(back.records["openai"].ciphertext, Bytes(b"xyz".to_vec()));
        let key_file: Kdf = serde_json::from_value(json!({"algorithm": "keyFile"})).unwrap();
        assert_eq!(key_file, Kdf::KeyFile);
    }

    #[test]
    fn unknown_fields_and_bad_base64_are_rejected() {
        assert!(
            serde_json::from_value::<Sealed>(json!({"nonce": "AA==", "ciphertext": "!!"})).is_err()
        );
        assert!(
            serde_json::from_value::<Sealed>(
                json!({"nonce": "AA==", "ciphertext": "AA==", "plaintext": "x"})
            )
            .is_err()
        );
        assert!(serde_json::from_value::<Kdf>(json!({"algorithm": "scrypt"})).is_err());
    }
}
