//! Why the vault could not be opened or changed. No message ever contains a secret value or
//! key material; record names and paths are not secret and are named so the user can act.

use std::path::PathBuf;

use rustyclaw_config::env_vars::RUSTYCLAW_CREDENTIALS_PASSPHRASE;

/// A vault failure.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Reading, writing or locking a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A file or the directory is accessible to other users, a symlink, or not a regular file.
    #[error("{path} {reason}")]
    Unsafe {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: &'static str,
    },
    /// `vault.json` is not a vault this version understands.
    #[error("{path} is not a valid credential vault: {reason}")]
    Malformed {
        /// The vault file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The passphrase does not unlock the vault.
    #[error("wrong passphrase for {path} (check {RUSTYCLAW_CREDENTIALS_PASSPHRASE})")]
    WrongPassphrase {
        /// The vault file.
        path: PathBuf,
    },
    /// The key file does not unlock the vault.
    #[error("{key_file} is not the key of {path}")]
    WrongKeyFile {
        /// The vault file.
        path: PathBuf,
        /// The key file.
        key_file: PathBuf,
    },
    /// The vault is protected by a passphrase, and none was given.
    #[error("{path} is protected by a passphrase; set {RUSTYCLAW_CREDENTIALS_PASSPHRASE}")]
    PassphraseRequired {
        /// The vault file.
        path: PathBuf,
    },
    /// A passphrase was given, but the vault is keyed by its key file.
    #[error(
        "{path} is keyed by its key file, not a passphrase; unset {RUSTYCLAW_CREDENTIALS_PASSPHRASE}"
    )]
    PassphraseNotUsed {
        /// The vault file.
        path: PathBuf,
    },
    /// The vault is keyed by a key file that is missing.
    #[error(
        "the key file {key_file} of {path} is missing; the vault cannot be decrypted without it"
    )]
    MissingKeyFile {
        /// The vault file.
        path: PathBuf,
        /// The key file.
        key_file: PathBuf,
    },
    /// A record failed authentication: it was modified or moved from another name.
    #[error("credential {name:?} in {path} failed authentication (the file was modified)")]
    Tampered {
        /// The vault file.
        path: PathBuf,
        /// The record name.
        name: String,
    },
    /// A record name cannot be used (it must also be a valid exec SecretRef id).
    #[error("invalid credential name {name:?}: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// The stored key-derivation parameters are out of the accepted range.
    #[error("{path}: unusable key derivation parameters: {reason}")]
    Kdf {
        /// The vault file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Encryption failed (AES-GCM only refuses messages beyond 64 GiB).
    #[error("encrypting credential {name:?} failed")]
    Encrypt {
        /// The record name.
        name: String,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {message}")]
    Random {
        /// The error.
        message: String,
    },
}

impl VaultError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        VaultError::Io {
            path: path.into(),
            source,
        }
    }
}
