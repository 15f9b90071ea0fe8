//! The encrypted credential store: API keys and tokens kept in `<state dir>/credentials/`
//! instead of in `openclaw.json`, and handed to the config through an `exec` SecretRef
//! (`rustyclaw credentials resolve`).
//!
//! One JSON file, `vault.json`, holds every record sealed with AES-256-GCM under a fresh random
//! 96-bit nonce per write, with the record's name as associated data so ciphertexts cannot be
//! swapped between names. The key comes from one of two places ([`KeySource`]):
//!
//! - a passphrase (`RUSTYCLAW_CREDENTIALS_PASSPHRASE`) stretched with Argon2id (OWASP's 19 MiB,
//!   2 passes, 1 lane; the parameters and salt are stored in the file). Without the passphrase
//!   the file is useless, even together with everything else in the state directory;
//! - otherwise a random 32-byte key file, `vault.key`, created on first use. This protects the
//!   credentials when `vault.json` alone leaks (a backup, a synced folder, a pasted file), but
//!   not from someone who can read the whole state directory as the same user: use a passphrase
//!   for that.
//!
//! A key-check value (a fixed text sealed with the key) tells a wrong passphrase apart from a
//! damaged record. The directory is 0700 and the files 0600; files readable by others are
//! refused. Writes hold an exclusive lock, re-read the file, and replace it atomically (temporary
//! file, fsync, rename, directory fsync).

mod crypto;
mod error;
mod format;
mod storage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rustyclaw_config::{Env, ExposeSecret, Secret, env_vars};
use time::OffsetDateTime;
use zeroize::Zeroize;

use crate::crypto::Key;
use crate::format::{Kdf, Record, VaultFile};

pub use error::VaultError;

/// Name of the encrypted records file inside the vault directory.
pub const VAULT_FILE: &str = "vault.json";
/// Name of the key file used when no passphrase is configured.
pub const KEY_FILE: &str = "vault.key";
const LOCK_FILE: &str = "vault.lock";

/// Where the vault's key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A passphrase, stretched with Argon2id.
    Passphrase(Secret),
    /// The random key in `vault.key`, created on first write.
    KeyFile,
}

impl KeySource {
    /// `RUSTYCLAW_CREDENTIALS_PASSPHRASE` when set and not empty, else the key file.
    pub fn from_env(env: &Env) -> Self {
        match env.non_empty(env_vars::RUSTYCLAW_CREDENTIALS_PASSPHRASE) {
            Some(passphrase) => KeySource::Passphrase(Secret::from(passphrase)),
            None => KeySource::KeyFile,
        }
    }
}

/// How an existing vault is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// By a passphrase (Argon2id).
    Passphrase,
    /// By the key file `vault.key`.
    KeyFile,
}

/// A stored credential's name and dates (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name (also the `id` of an exec SecretRef pointing at it).
    pub name: String,
    /// When the name was first stored.
    pub created_at: OffsetDateTime,
    /// When the value was last replaced.
    pub updated_at: OffsetDateTime,
}

/// An opened credential vault.
pub struct Vault {
    dir: PathBuf,
    source: KeySource,
    /// `None` until the first record is stored: opening never creates files.
    state: Option<Unlocked>,
}

struct Unlocked {
    key: Key,
    file: VaultFile,
}

impl Vault {
    /// Opens the vault in `dir` (normally `<state dir>/credentials`) and checks the key against
    /// it. A missing vault opens empty and nothing is created until [`Vault::set`].
    pub fn open(dir: &Path, source: KeySource) -> Result<Vault, VaultError> {
        let state = load(dir, &source, None)?;
        Ok(Vault {
            dir: dir.to_path_buf(),
            source,
            state,
        })
    }

    /// The records file, `<dir>/vault.json`.
    pub fn path(&self) -> PathBuf {
        self.dir.join(VAULT_FILE)
    }

    /// How the vault is protected; `None` while nothing has been stored.
    pub fn protection(&self) -> Option<Protection> {
        self.state.as_ref().map(|s| match s.file.kdf {
            Kdf::Argon2id { .. } => Protection::Passphrase,
            Kdf::KeyFile => Protection::KeyFile,
        })
    }

    /// The names of the stored credentials, sorted.
    pub fn names(&self) -> Vec<String> {
        self.records().keys().cloned().collect()
    }

    /// Names and dates of the stored credentials, sorted by name.
    pub fn entries(&self) -> Vec<Entry> {
        self.records()
            .iter()
            .map(|(name, r)| Entry {
                name: name.clone(),
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
            .collect()
    }

    /// Decrypts the credential `name`; `Ok(None)` when there is none.
    pub fn get(&self, name: &str) -> Result<Option<Secret>, VaultError> {
        let Some(state) = &self.state else {
            return Ok(None);
        };
        let Some(record) = state.file.records.get(name) else {
            return Ok(None);
        };
        let tampered = || VaultError::Tampered {
            path: self.path(),
            name: name.to_owned(),
        };
        let mut plain = state
            .key
            .open_record(name, &record.nonce.0, &record.ciphertext.0)
            .ok_or_else(tampered)?;
        match String::from_utf8(std::mem::take(&mut *plain)) {
            Ok(text) => Ok(Some(Secret::from(text))),
            Err(e) => {
                e.into_bytes().zeroize();
                Err(tampered())
            }
        }
    }

    /// Stores `value` under `name`, replacing any previous value (its creation date is kept).
    pub fn set(&mut self, name: &str, value: &Secret) -> Result<(), VaultError> {
        check_name(name)?;
        self.modify(|key, records| {
            let sealed = key.seal_record(name, value.expose_secret().as_bytes())?;
            // Whole seconds: the dates are for people reading `credentials list`.
            let now = OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or_else(|_| OffsetDateTime::now_utc());
            let created_at = records.get(name).map_or(now, |r| r.created_at);
            records.insert(
                name.to_owned(),
                Record {
                    nonce: sealed.nonce,
                    ciphertext: sealed.ciphertext,
                    created_at,
                    updated_at: now,
                },
            );
            Ok(())
        })
    }

    /// Deletes `name`; `Ok(false)` when it was not stored.
    pub fn remove(&mut self, name: &str) -> Result<bool, VaultError> {
        // Nothing to remove from a vault that was never written; do not create one.
        if !self.path().exists() {
            return Ok(false);
        }
        self.modify(|_, records| Ok(records.remove(name).is_some()))
    }

    fn records(&self) -> &BTreeMap<String, Record> {
        static EMPTY: BTreeMap<String, Record> = BTreeMap::new();
        self.state.as_ref().map_or(&EMPTY, |s| &s.file.records)
    }

    /// Applies `change` to the records under the writer lock, on the file as it is on disk now
    /// (another process may have written since this vault was opened), then replaces the file.
    fn modify<T>(
        &mut self,
        change: impl FnOnce(&Key, &mut BTreeMap<String, Record>) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        storage::ensure_dir(&self.dir)?;
        let _lock = storage::lock(&self.dir.join(LOCK_FILE))?;
        let mut state = match load(&self.dir, &self.source, self.state.as_ref())? {
            Some(state) => state,
            None => initialize(&self.dir, &self.source)?,
        };
        let out = change(&state.key, &mut state.file.records)?;
        let mut bytes =
            serde_json::to_vec_pretty(&state.file).map_err(|e| VaultError::Malformed {
                path: self.path(),
                reason: e.to_string(),
            })?;
        bytes.push(b'\n');
        storage::write_atomic(&self.path(), &bytes)?;
        self.state = Some(state);
        Ok(out)
    }
}

/// Reads and unlocks the vault in `dir`; `None` when it has no `vault.json` yet. `cached` is
/// the state already unlocked by this process: its key is reused when the file still uses the
/// same key derivation, which saves a second Argon2id run on every write.
fn load(
    dir: &Path,
    source: &KeySource,
    cached: Option<&Unlocked>,
) -> Result<Option<Unlocked>, VaultError> {
    if !storage::check_dir(dir)? {
        return Ok(None);
    }
    let path = dir.join(VAULT_FILE);
    let Some(bytes) = storage::read_private(&path)? else {
        return Ok(None);
    };
    let malformed = |reason: String| VaultError::Malformed {
        path: path.clone(),
        reason,
    };
    let file: VaultFile = serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
    if file.version != format::VERSION {
        return Err(malformed(format!(
            "format version {} is not supported (this release reads version {})",
            file.version,
            format::VERSION
        )));
    }
    let key = match cached.filter(|c| c.file.kdf == file.kdf) {
        Some(c) => c.key.clone(),
        None => key_for(dir, &path, &file.kdf, source)?,
    };
    if !key.verifies(&file.key_check) {
        return Err(match file.kdf {
            Kdf::Argon2id { .. } => VaultError::WrongPassphrase { path },
            Kdf::KeyFile => VaultError::WrongKeyFile {
                path,
                key_file: dir.join(KEY_FILE),
            },
        });
    }
    Ok(Some(Unlocked { key, file }))
}

/// The key of an existing vault, from the source its `kdf` says it was made with.
fn key_for(dir: &Path, path: &Path, kdf: &Kdf, source: &KeySource) -> Result<Key, VaultError> {
    match (kdf, source) {
        (
            Kdf::Argon2id {
                memory_kib,
                iterations,
                parallelism,
                salt,
            },
            KeySource::Passphrase(passphrase),
        ) => crypto::derive_key(
            passphrase.expose_secret().as_bytes(),
            *memory_kib,
            *iterations,
            *parallelism,
            &salt.0,
        )
        .map_err(|reason| VaultError::Kdf {
            path: path.to_path_buf(),
            reason,
        }),
        (Kdf::Argon2id { .. }, KeySource::KeyFile) => Err(VaultError::PassphraseRequired {
            path: path.to_path_buf(),
        }),
        (Kdf::KeyFile, KeySource::KeyFile) => {
            let key_file = dir.join(KEY_FILE);
            storage::read_key_file(&key_file)?.ok_or_else(|| VaultError::MissingKeyFile {
                path: path.to_path_buf(),
                key_file,
            })
        }
        (Kdf::KeyFile, KeySource::Passphrase(_)) => Err(VaultError::PassphraseNotUsed {
            path: path.to_path_buf(),
        }),
    }
}

/// A new, empty vault for `source` (the caller holds the writer lock).
fn initialize(dir: &Path, source: &KeySource) -> Result<Unlocked, VaultError> {
    let path = dir.join(VAULT_FILE);
    let (kdf, key) = match source {
        KeySource::Passphrase(_) => {
            let kdf = crypto::new_argon2_kdf()?;
            let key = key_for(dir, &path, &kdf, source)?;
            (kdf, key)
        }
        KeySource::KeyFile => {
            let key_file = dir.join(KEY_FILE);
            let key = match storage::read_key_file(&key_file)? {
                Some(key) => key,
                None => storage::create_key_file(&key_file)?,
            };
            (Kdf::KeyFile, key)
        }
    };
    Ok(Unlocked {
        file: VaultFile {
            version: format::VERSION,
            kdf,
            key_check: key.key_check()?,
            records: BTreeMap::new(),
        },
        key,
    })
}

/// Names follow the grammar of exec SecretRef ids, so every record can be referenced from the
/// config: `^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$` without `.` or `..` path segments.
fn check_name(name: &str) -> Result<(), VaultError> {
    let invalid = |reason| VaultError::InvalidName {
        name: name.to_owned(),
        reason,
    };
    let mut chars = name.chars();
    let grammar = name.len() <= 256
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "._:/#-".contains(c));
    if !grammar {
        return Err(invalid(
            "use letters, digits and . _ : / # - (starting with a letter or digit, at most 256)",
        ));
    }
    if name.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(invalid("must not contain . or .. path segments"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_exec_id_grammar() {
        for ok in ["openai", "providers/openai/apiKey", "a.b:c#d-e_f", "9"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "a/../b", "./a", "ä", &"x".repeat(257)] {
            assert!(
                matches!(check_name(bad), Err(VaultError::InvalidName { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_passphrase_comes_from_its_variable() {
        let env = Env::from_pairs([(env_vars::RUSTYCLAW_CREDENTIALS_PASSPHRASE, "hunter2")]);
        match KeySource::from_env(&env) {
            KeySource::Passphrase(p) => assert_eq!(p.expose_secret(), "hunter2"),
            KeySource::KeyFile => panic!("expected a passphrase"),
        }
        let env = Env::from_pairs([(env_vars::RUSTYCLAW_CREDENTIALS_PASSPHRASE, "")]);
        assert!(matches!(KeySource::from_env(&env), KeySource::KeyFile));
        assert_eq!(
            format!("{:?}", KeySource::Passphrase(Secret::from("hunter2"))),
            "Passphrase([REDACTED])"
        );
    }
}
