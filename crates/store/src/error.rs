//! The store's error type.
//!
//! Variants carry the ids and numbers a caller acts on. SQLite failures are wrapped in the opaque
//! [`DatabaseError`] so that no rusqlite type is part of the public API (a PostgreSQL backend will
//! wrap its driver's errors the same way).

use std::fmt;
use std::path::PathBuf;

use rustyclaw_protocol::origin::{ChannelId, PeerId};
use rustyclaw_protocol::{EntryId, SessionId, SessionKey, TranscriptError};

/// Boxed error for the [`StoreError::Corrupt`] source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error of a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory that should hold the database could not be created.
    #[error("cannot create the database directory {path}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database file could not be created with owner-only permissions.
    #[error("cannot create the database file {path} readable by its owner only (mode 0600)")]
    CreateFile {
        /// The database file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database engine failed.
    #[error("database operation failed: {operation}")]
    Sqlite {
        /// What the store was doing.
        operation: &'static str,
        /// The engine's error.
        #[source]
        source: DatabaseError,
    },
    /// A schema migration failed; the database stays at the previous version.
    #[error("database migration {version} ({name}) failed")]
    Migration {
        /// The migration's version.
        version: u32,
        /// The migration's name.
        name: &'static str,
        /// The engine's error.
        #[source]
        source: DatabaseError,
    },
    /// The database was written by a newer rustyclaw. It is left untouched.
    #[error(
        "database {path} has schema version {found}, newer than this rustyclaw supports \
         ({supported}); upgrade rustyclaw to open it"
    )]
    Schema {
        /// The database file.
        path: PathBuf,
        /// The database's `user_version`.
        found: u32,
        /// The newest version this binary knows.
        supported: u32,
    },
    /// SQLite refused to switch the database to write-ahead logging.
    #[error("database {path} cannot use WAL journaling (journal mode is {mode:?})")]
    JournalMode {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The requested record does not exist.
    #[error("{what} {id:?} not found")]
    NotFound {
        /// The kind of record (`transcript`, …).
        what: &'static str,
        /// Its id or key.
        id: String,
    },
    /// The session id is already the current session of another session key.
    #[error("session id {session_id} already belongs to session {session_key}")]
    SessionIdInUse {
        /// The contested session id.
        session_id: SessionId,
        /// The key that holds it.
        session_key: SessionKey,
    },
    /// An import targets a session id that already has a stored transcript.
    #[error("session {session_id} already has a stored transcript")]
    TranscriptExists {
        /// The session id.
        session_id: SessionId,
    },
    /// A line could not be appended without breaking a transcript invariant. Nothing of the batch
    /// (or import) was stored.
    #[error("transcript line {line} rejected")]
    TranscriptRejected {
        /// 1-based position of the line: within the batch for appends, the line number of the
        /// file for imports.
        line: usize,
        /// The invariant the line would break.
        #[source]
        violation: TranscriptViolation,
    },
    /// An imported line is not a valid transcript line. Nothing of the import was stored.
    #[error("line {line} is not a valid transcript line")]
    InvalidLine {
        /// 1-based line number in the imported file.
        line: usize,
        /// What is wrong with it.
        #[source]
        source: TranscriptError,
    },
    /// A value could not be encoded for storage.
    #[error("cannot encode {what} for storage")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// Stored data does not decode; the database was modified outside rustyclaw or damaged.
    #[error("stored {what} {id:?} is unreadable")]
    Corrupt {
        /// The kind of record.
        what: &'static str,
        /// Its key (for transcript lines `<sessionId>#<seq>`).
        id: String,
        /// Why it does not decode.
        #[source]
        source: BoxError,
    },
    /// Reading an import or writing an export failed.
    #[error("cannot {operation}")]
    Io {
        /// What the store was doing.
        operation: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A channel record is not in the state the operation moves it from (a delivery marked
    /// delivered that was never marked sending, a message finished twice). Nothing was changed.
    #[error("{what} {id} is {found}, not {expected}")]
    WrongState {
        /// The kind of record (`inbound message`, `delivery`).
        what: &'static str,
        /// Its id.
        id: u64,
        /// The state it is in.
        found: String,
        /// The state (or states) the operation needs.
        expected: &'static str,
    },
    /// No unused pairing code was drawn in this many attempts (the code source repeats itself).
    #[error("no unused pairing code for channel {channel} after {attempts} attempts")]
    PairingCodeCollision {
        /// The channel.
        channel: ChannelId,
        /// How many codes were drawn.
        attempts: u32,
    },
    /// A sender id that may not be stored in a channel's allowlist: blank, or the wildcard `*`
    /// (which belongs in the config's `allowFrom`, never in the pairing store).
    #[error("`{sender}` cannot be added to an allowlist")]
    InvalidAllowEntry {
        /// The refused id.
        sender: PeerId,
    },
    /// The operating system's random number generator failed.
    #[error("cannot draw random bytes")]
    Random {
        /// Its error.
        #[source]
        source: std::io::Error,
    },
    /// The store's database thread could not be started.
    #[error("cannot start the database thread")]
    SpawnThread {
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The database thread has stopped (it panicked); the handle is unusable.
    #[error("the database thread has stopped")]
    Closed,
}

/// Why appending a line would break the transcript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscriptViolation {
    /// The first line of a transcript must be its `session` header.
    #[error("a transcript must start with a `session` header")]
    MissingHeader,
    /// A `session` header may only be the first line.
    #[error("a `session` header may only be the first line of a transcript")]
    UnexpectedHeader,
    /// The header names another session than the one appended to.
    #[error("the header is for session {header_id}, not {session_id}")]
    HeaderMismatch {
        /// The id in the header.
        header_id: SessionId,
        /// The session appended to.
        session_id: SessionId,
    },
    /// The entry id is already used in this transcript.
    #[error("entry id {entry_id} already exists in this transcript")]
    DuplicateEntryId {
        /// The duplicated id.
        entry_id: EntryId,
    },
    /// The entry's parent is not an earlier entry of this transcript.
    #[error(
        "entry {entry_id} has parent {parent_id}, which is not an earlier entry of this transcript"
    )]
    UnknownParent {
        /// The entry.
        entry_id: EntryId,
        /// Its missing parent.
        parent_id: EntryId,
    },
}

/// An error reported by the database engine. Opaque so the engine's types stay out of the API;
/// its message and source chain are available through `Display` and `Error::source`.
pub struct DatabaseError(rusqlite::Error);

impl fmt::Debug for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Attaches what the store was doing to an engine error.
pub(crate) trait SqliteContext<T> {
    /// Converts the engine error into [`StoreError::Sqlite`].
    fn during(self, operation: &'static str) -> Result<T, StoreError>;
}

impl<T> SqliteContext<T> for rusqlite::Result<T> {
    fn during(self, operation: &'static str) -> Result<T, StoreError> {
        self.map_err(|error| StoreError::Sqlite {
            operation,
            source: DatabaseError(error),
        })
    }
}

impl DatabaseError {
    pub(crate) fn new(error: rusqlite::Error) -> Self {
        Self(error)
    }
}

/// A [`StoreError::Corrupt`] for a value read back from the database.
pub(crate) fn corrupt(
    what: &'static str,
    id: impl Into<String>,
    source: impl Into<BoxError>,
) -> StoreError {
    StoreError::Corrupt {
        what,
        id: id.into(),
        source: source.into(),
    }
}
