//! Device identity and pairing, as OpenClaw does them: a client proves an Ed25519 key by signing
//! the connect payload (with the challenge nonce), the gateway keeps paired devices and their
//! per-role tokens in `<stateDir>/devices/*.json`, and a paired device can reconnect with its
//! device token instead of the shared secret. The files are upstream's, so `openclaw devices`
//! and `rustyclaw devices` can manage the same state directory.

pub mod bootstrap;
pub(crate) mod connect;
mod files;
pub mod identity;
mod records;
pub mod store;

use std::path::{Path, PathBuf};

pub use identity::{GatewayIdentity, load_or_create_identity};
pub use store::{DeviceRequest, DeviceStore, DeviceToken, PairedDevice, Pairing, PendingRequest};

/// Why a pairing-store or identity operation failed. Messages name the file or the id, never a
/// token.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file exists but is not what it should be; it is left untouched.
    #[error("{} is not a valid pairing file ({reason}); fix or move it away", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// No pending request has this id.
    #[error("unknown requestId")]
    UnknownRequest(String),
    /// No paired device has this id.
    #[error("unknown deviceId")]
    UnknownDevice(String),
    /// The device has no approved role (or token) of this name.
    #[error("unknown role: {0}")]
    UnknownRole(String),
    /// A background file operation did not finish.
    #[error("pairing store operation interrupted: {0}")]
    Interrupted(String),
    /// A token may not carry a scope the device was not approved for.
    #[error("scope not approved for this device: {0}")]
    ScopeNotApproved(String),
}

impl DeviceError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
