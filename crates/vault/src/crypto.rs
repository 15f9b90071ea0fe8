//! The cryptography, in one place: Argon2id key derivation, AES-256-GCM sealing with a fresh
//! random nonce per message, and the key-check value.
//!
//! Every message is bound to what it is by its associated data: `rustyclaw-vault/v1/record/`
//! plus the record name for records, `rustyclaw-vault/v1/key-check` for the key check. A
//! ciphertext copied under another name therefore fails authentication instead of decrypting to
//! the wrong credential.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use zeroize::Zeroizing;

use crate::error::VaultError;
use crate::format::{Bytes, Kdf, Sealed};

/// Key length of AES-256.
pub(crate) const KEY_LEN: usize = 32;
/// Length of a GCM nonce (96 bits, the size GCM is defined for).
const NONCE_LEN: usize = 12;
/// Length of a fresh Argon2 salt.
const SALT_LEN: usize = 16;

/// OWASP's recommended Argon2id parameters (Password Storage Cheat Sheet): 19 MiB, 2 passes,
/// 1 lane. They are stored in the file, so a later release can raise them for new vaults.
pub(crate) const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// See [`ARGON2_MEMORY_KIB`].
pub(crate) const ARGON2_ITERATIONS: u32 = 2;
/// See [`ARGON2_MEMORY_KIB`].
pub(crate) const ARGON2_PARALLELISM: u32 = 1;

/// Bounds on parameters read from a file, so a tampered file cannot make opening it allocate
/// gigabytes or spin for minutes before the key check fails.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

const KEY_CHECK_PLAINTEXT: &[u8] = b"rustyclaw credential vault key check";
const KEY_CHECK_AAD: &[u8] = b"rustyclaw-vault/v1/key-check";
const RECORD_AAD_PREFIX: &[u8] = b"rustyclaw-vault/v1/record/";

/// The 256-bit encryption key; wiped from memory on drop.
#[derive(Clone)]
pub(crate) struct Key(Zeroizing<[u8; KEY_LEN]>);

impl Key {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        Key(bytes)
    }

    /// A new random key.
    pub fn random() -> Result<Self, VaultError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(bytes.as_mut_slice())?;
        Ok(Key(bytes))
    }

    /// The raw bytes (for writing the key file).
    pub fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&(*self.0).into())
    }

    /// Encrypts `plaintext` under a fresh random nonce.
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| VaultError::Encrypt {
                name: String::from_utf8_lossy(aad).into_owned(),
            })?;
        Ok(Sealed {
            nonce: Bytes(nonce.to_vec()),
            ciphertext: Bytes(ciphertext),
        })
    }

    /// Decrypts and authenticates; `None` when the key, the nonce, the data or the associated
    /// data do not match. The plaintext is wiped when dropped.
    fn open(&self, nonce: &[u8], ciphertext: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        self.cipher()
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }

    /// The key-check value written into a new vault.
    pub fn key_check(&self) -> Result<Sealed, VaultError> {
        self.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD)
    }

    /// Whether `check` was sealed with this key.
    pub fn verifies(&self, check: &Sealed) -> bool {
        self.open(&check.nonce.0, &check.ciphertext.0, KEY_CHECK_AAD)
            .is_some_and(|plain| plain.as_slice() == KEY_CHECK_PLAINTEXT)
    }

    /// Encrypts a record's value, bound to its name.
    pub fn seal_record(&self, name: &str, value: &[u8]) -> Result<Sealed, VaultError> {
        self.seal(value, &record_aad(name))
    }

    /// Decrypts a record's value; `None` when it fails authentication.
    pub fn open_record(
        &self,
        name: &str,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        self.open(nonce, ciphertext, &record_aad(name))
    }
}

fn record_aad(name: &str) -> Vec<u8> {
    let mut aad = RECORD_AAD_PREFIX.to_vec();
    aad.extend_from_slice(name.as_bytes());
    aad
}

/// Fills `buf` from the operating system's random number generator.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), VaultError> {
    getrandom::fill(buf).map_err(|e| VaultError::Random {
        message: e.to_string(),
    })
}

/// Parameters for a new passphrase vault: OWASP's Argon2id settings and a fresh salt.
pub(crate) fn new_argon2_kdf() -> Result<Kdf, VaultError> {
    let mut salt = vec![0u8; SALT_LEN];
    fill_random(&mut salt)?;
    Ok(Kdf::Argon2id {
        memory_kib: ARGON2_MEMORY_KIB,
        iterations: ARGON2_ITERATIONS,
        parallelism: ARGON2_PARALLELISM,
        salt: Bytes(salt),
    })
}

/// Derives the key from a passphrase with Argon2id. `Err(reason)` when the parameters are out of
/// range.
pub(crate) fn derive_key(
    passphrase: &[u8],
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: &[u8],
) -> Result<Key, String> {
    if memory_kib > MAX_MEMORY_KIB || iterations > MAX_ITERATIONS || parallelism > MAX_PARALLELISM {
        return Err(format!(
            "memoryKib {memory_kib}, iterations {iterations}, parallelism {parallelism} exceed \
             {MAX_MEMORY_KIB}, {MAX_ITERATIONS}, {MAX_PARALLELISM}"
        ));
    }
    let params = argon2::Params::new(memory_kib, iterations, parallelism, Some(KEY_LEN))
        .map_err(|e| e.to_string())?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(passphrase, salt, out.as_mut_slice())
        .map_err(|e| e.to_string())?;
    Ok(Key(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_are_bound_to_their_name() {
        let key = Key::random().unwrap();
        let sealed = key.seal_record("openai", b"sk-1").unwrap();
        let plain = key
            .open_record("openai", &sealed.nonce.0, &sealed.ciphertext.0)
            .unwrap();
        assert_eq!(plain.as_slice(), b"sk-1");
        assert!(
            key.open_record("anthropic", &sealed.nonce.0, &sealed.ciphertext.0)
                .is_none()
        );
        let other = Key::random().unwrap();
        assert!(
            other
                .open_record("openai", &sealed.nonce.0, &sealed.ciphertext.0)
                .is_none()
        );
        let mut flipped = sealed.ciphertext.0.clone();
        flipped[0] ^= 1;
        assert!(
            key.open_record("openai", &sealed.nonce.0, &flipped)
                .is_none()
        );
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let key = Key::random().unwrap();
        let a = key.seal_record("x", b"same").unwrap();
        let b = key.seal_record("x", b"same").unwrap();
        assert_eq!(a.nonce.0.len(), 12);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(a.ciphertext.0.len(), b"same".len() + 16, "tag appended");
    }

    #[test]
    fn the_key_check_recognises_the_key() {
        let key = Key::random().unwrap();
        let check = key.key_check().unwrap();
        assert!(key.verifies(&check));
        assert!(!Key::random().unwrap().verifies(&check));
    }

    #[test]
    fn argon2id_is_deterministic_per_salt_and_bounded() {
        let a = derive_key(b"pass", 64, 1, 1, b"saltsaltsalt").unwrap();
        let b = derive_key(b"pass", 64, 1, 1, b"saltsaltsalt").unwrap();
        let c = derive_key(b"pass", 64, 1, 1, b"othersaltsal").unwrap();
        assert_eq!(a.bytes(), b.bytes());
        assert_ne!(a.bytes(), c.bytes());
        assert!(derive_key(b"pass", u32::MAX, 1, 1, b"saltsaltsalt").is_err());
        assert!(derive_key(b"pass", 64, 1, 1, b"short").is_err());
    }
}
