//! Opening a connection: pragmas and versioned migrations.
//!
//! The schema version is SQLite's `PRAGMA user_version`. Migrations are an ordered static list;
//! each runs in its own `BEGIN IMMEDIATE` transaction together with the version bump, so a crash
//! leaves the database at the previous or the next version, never in between. Several processes
//! may open the same file at once: the version is re-read inside the write transaction, so each
//! migration is applied exactly once. A database newer than this binary is refused before anything
//! is written to it.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{DatabaseError, SqliteContext, StoreError};
use crate::private_files;

/// How long a connection waits for another connection's write lock before failing.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One schema change.
pub(crate) struct Migration {
    /// The `user_version` after this migration; migrations are numbered from 1 without gaps.
    pub(crate) version: u32,
    /// Short description, for logs and errors.
    pub(crate) name: &'static str,
    /// The statements to run.
    pub(crate) sql: &'static str,
}

/// Every migration, in order. Append only: a released migration is never edited.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "sessions and transcripts",
        sql: "
            -- One row per session key; entry_json is the OpenClaw SessionEntry. The scalar
            -- columns duplicate entry fields so lists can filter and sort without JSON parsing.
            CREATE TABLE sessions (
                session_key TEXT PRIMARY KEY NOT NULL,
                agent_id    TEXT NOT NULL,
                session_id  TEXT NOT NULL UNIQUE,
                updated_at  INTEGER NOT NULL,
                entry_json  TEXT NOT NULL
            ) STRICT;
            CREATE INDEX sessions_by_update ON sessions (updated_at DESC);
            CREATE INDEX sessions_by_agent_update ON sessions (agent_id, updated_at DESC);

            -- One row per transcript line (OpenClaw JSONL), stored verbatim in line_json. seq
            -- numbers a session's lines 1, 2, 3, ... in append order; seq 1 is the `session`
            -- header, the only line without entry_id. A transcript outlives its session row
            -- (a reset starts a new session id; deleting a session may keep its transcript), so
            -- there is no foreign key to sessions. parent_id always names an earlier entry of the
            -- same session; the store checks it on append.
            CREATE TABLE transcript_entries (
                session_id TEXT NOT NULL,
                seq        INTEGER NOT NULL CHECK (seq > 0),
                entry_id   TEXT,
                parent_id  TEXT,
                entry_type TEXT NOT NULL,
                timestamp  TEXT NOT NULL,
                line_json  TEXT NOT NULL,
                PRIMARY KEY (session_id, seq),
                UNIQUE (session_id, entry_id),
                CHECK ((entry_type = 'session') = (entry_id IS NULL))
            ) STRICT;
        ",
    },
    Migration {
        version: 2,
        name: "audit log",
        sql: "
            -- Security-relevant actions. Append-only: the triggers make UPDATE and DELETE fail.
            CREATE TABLE audit_log (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                ts_ms       INTEGER NOT NULL,
                actor       TEXT NOT NULL,
                action      TEXT NOT NULL,
                target      TEXT,
                detail_json TEXT NOT NULL
            ) STRICT;
            CREATE INDEX audit_log_by_time ON audit_log (ts_ms);
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN
                SELECT RAISE(ABORT, 'audit_log is append-only');
            END;
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN
                SELECT RAISE(ABORT, 'audit_log is append-only');
            END;
        ",
    },
    Migration {
        version: 3,
        name: "auth cooldowns",
        sql: "
            -- Model-provider auth profiles resting after failures (rate limits, auth, billing),
            -- so a restart does not hammer a credential that was just refused.
            CREATE TABLE auth_cooldowns (
                profile_id TEXT PRIMARY KEY NOT NULL,
                until_ms   INTEGER NOT NULL,
                reason     TEXT NOT NULL
            ) STRICT;
        ",
    },
    Migration {
        version: 4,
        name: "quarantine",
        sql: "
            -- What a risk guard blocked (or, in audit-only mode, would have blocked): the full
            -- command or content, kept for a human to review. The audit log records the
            -- decision and points here; it never holds the payload itself. payload is capped
            -- (truncated = 1 when cut); payload_bytes is the size before the cut.
            CREATE TABLE quarantine (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                ts_ms         INTEGER NOT NULL,
                agent_id      TEXT NOT NULL,
                session_key   TEXT NOT NULL,
                run_id        TEXT,
                kind          TEXT NOT NULL CHECK (kind IN ('command', 'content')),
                tool          TEXT NOT NULL,
                source        TEXT,
                payload       TEXT NOT NULL,
                payload_bytes INTEGER NOT NULL CHECK (payload_bytes >= 0),
                truncated     INTEGER NOT NULL CHECK (truncated IN (0, 1)),
                score         INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
                decision      TEXT NOT NULL,
                findings_json TEXT NOT NULL
            ) STRICT;
            CREATE INDEX quarantine_by_session ON quarantine (session_key, id);
        ",
    },
    Migration {
        version: 5,
        name: "run ledger",
        sql: "
            -- Every accepted run and how it ended, so a client that lost its connection can
            -- ask for the outcome by run id. owner is the process that ran it (pid and start
            -- time): a run left 'accepted' by a process that is gone was interrupted.
            CREATE TABLE runs (
                run_id      TEXT PRIMARY KEY NOT NULL,
                session_key TEXT NOT NULL,
                state       TEXT NOT NULL CHECK (state IN
                    ('accepted', 'done', 'failed', 'aborted', 'timeout', 'interrupted')),
                error       TEXT,
                reply       TEXT,
                accepted_ms INTEGER NOT NULL,
                ended_ms    INTEGER,
                owner       TEXT NOT NULL
            ) STRICT;
            CREATE INDEX runs_unfinished ON runs (state) WHERE state = 'accepted';
        ",
    },
    Migration {
        version: 6,
        name: "chat channels",
        sql: "
            -- Every message a chat channel received, keyed by the platform's id so a redelivered
            -- update is recognised. state: received (stored, not yet handed to a session lane)
            -- -> dispatched (run_id is the run answering it) -> answered / failed / interrupted.
            -- Rows in a final state are pruned after a retention period; the rest are work.
            CREATE TABLE channel_inbound (
                id               INTEGER PRIMARY KEY AUTOINCREMENT,
                channel          TEXT NOT NULL,
                account_id       TEXT NOT NULL,
                message_id       TEXT NOT NULL,
                chat_kind        TEXT NOT NULL,
                chat_id          TEXT NOT NULL,
                thread_json      TEXT,
                sender_id        TEXT,
                sender_name      TEXT,
                reply_to_id      TEXT,
                text             TEXT NOT NULL,
                attachments_json TEXT NOT NULL,
                received_ms      INTEGER NOT NULL,
                state            TEXT NOT NULL CHECK (state IN
                    ('received', 'dispatched', 'answered', 'failed', 'interrupted')),
                run_id           TEXT,
                updated_ms       INTEGER NOT NULL,
                UNIQUE (channel, account_id, message_id),
                CHECK (state != 'dispatched' OR run_id IS NOT NULL),
                CHECK (sender_id IS NOT NULL OR sender_name IS NULL)
            ) STRICT;
            CREATE INDEX channel_inbound_received ON channel_inbound (channel, account_id, id)
                WHERE state = 'received';
            CREATE INDEX channel_inbound_dispatched ON channel_inbound (run_id)
                WHERE state = 'dispatched';

            -- Where each channel account resumes reading its platform (Telegram's getUpdates
            -- offset): written in the same transaction as the messages it acknowledges.
            CREATE TABLE channel_offsets (
                channel     TEXT NOT NULL,
                account_id  TEXT NOT NULL,
                next_offset INTEGER NOT NULL,
                PRIMARY KEY (channel, account_id)
            ) STRICT;

            -- Replies waiting to be sent, one row per platform message. state: pending (due at
            -- next_attempt_ms) -> sending (handed to the platform, outcome not yet recorded) ->
            -- delivered; or back to pending with attempts + 1; or expired / failed.
            CREATE TABLE channel_deliveries (
                id                  INTEGER PRIMARY KEY AUTOINCREMENT,
                channel             TEXT NOT NULL,
                account_id          TEXT NOT NULL,
                chat_id             TEXT NOT NULL,
                thread_json         TEXT,
                reply_to_id         TEXT,
                text                TEXT NOT NULL,
                media_json          TEXT NOT NULL,
                run_id              TEXT,
                session_key         TEXT,
                created_ms          INTEGER NOT NULL,
                expires_ms          INTEGER NOT NULL,
                state               TEXT NOT NULL CHECK (state IN
                    ('pending', 'sending', 'delivered', 'expired', 'failed')),
                attempts            INTEGER NOT NULL CHECK (attempts >= 0),
                next_attempt_ms     INTEGER NOT NULL,
                last_error          TEXT,
                platform_message_id TEXT,
                updated_ms          INTEGER NOT NULL,
                CHECK ((run_id IS NULL) = (session_key IS NULL))
            ) STRICT;
            CREATE INDEX channel_deliveries_due ON channel_deliveries (next_attempt_ms, id)
                WHERE state = 'pending';
            CREATE INDEX channel_deliveries_open ON channel_deliveries
                (channel, account_id, chat_id, id) WHERE state IN ('pending', 'sending');

            -- DM pairing (OpenClaw's channel_pairing_requests): an unknown sender's request for
            -- access, with the code an operator approves. One per sender and account; codes are
            -- unique within a channel so a code alone names a request.
            CREATE TABLE channel_pairing_requests (
                channel      TEXT NOT NULL,
                account_id   TEXT NOT NULL,
                sender_id    TEXT NOT NULL,
                code         TEXT NOT NULL,
                meta_json    TEXT NOT NULL,
                created_ms   INTEGER NOT NULL,
                last_seen_ms INTEGER NOT NULL,
                PRIMARY KEY (channel, account_id, sender_id),
                UNIQUE (channel, code)
            ) STRICT;

            -- Senders allowed by pairing (OpenClaw's channel_pairing_allow_entries), added to the
            -- config's allowFrom by the router. The rowid keeps the order they were added in.
            CREATE TABLE channel_pairing_allow_entries (
                channel    TEXT NOT NULL,
                account_id TEXT NOT NULL,
                sender_id  TEXT NOT NULL,
                added_ms   INTEGER NOT NULL,
                PRIMARY KEY (channel, account_id, sender_id)
            ) STRICT;
        ",
    },
    Migration {
        version: 7,
        name: "chat channels: message ids per chat, plain fallbacks",
        sql: "
            -- A platform message id is unique within its chat, not within the account (Telegram
            -- numbers each chat's messages from 1): the journal's key gains the chat. SQLite
            -- cannot change a table's constraints in place, so the table is rebuilt. It also
            -- keeps the sender's other names allowlists may match (an IRC nick!user@host), so a
            -- message dispatched after a restart is admitted as it would have been at once.
            CREATE TABLE channel_inbound_v7 (
                id               INTEGER PRIMARY KEY AUTOINCREMENT,
                channel          TEXT NOT NULL,
                account_id       TEXT NOT NULL,
                message_id       TEXT NOT NULL,
                chat_kind        TEXT NOT NULL,
                chat_id          TEXT NOT NULL,
                thread_json      TEXT,
                sender_id        TEXT,
                sender_name      TEXT,
                sender_aliases_json TEXT NOT NULL DEFAULT '[]',
                reply_to_id      TEXT,
                text             TEXT NOT NULL,
                attachments_json TEXT NOT NULL,
                received_ms      INTEGER NOT NULL,
                state            TEXT NOT NULL CHECK (state IN
                    ('received', 'dispatched', 'answered', 'failed', 'interrupted')),
                run_id           TEXT,
                updated_ms       INTEGER NOT NULL,
                UNIQUE (channel, account_id, chat_id, message_id),
                CHECK (state != 'dispatched' OR run_id IS NOT NULL),
                CHECK (sender_id IS NOT NULL OR sender_name IS NULL)
            ) STRICT;
            INSERT INTO channel_inbound_v7 (id, channel, account_id, message_id, chat_kind,
                chat_id, thread_json, sender_id, sender_name, reply_to_id, text, attachments_json,
                received_ms, state, run_id, updated_ms)
            SELECT id, channel, account_id, message_id, chat_kind, chat_id, thread_json,
                sender_id, sender_name, reply_to_id, text, attachments_json, received_ms, state,
                run_id, updated_ms
            FROM channel_inbound;
            DROP TABLE channel_inbound;
            ALTER TABLE channel_inbound_v7 RENAME TO channel_inbound;
            CREATE INDEX channel_inbound_received ON channel_inbound (channel, account_id, id)
                WHERE state = 'received';
            CREATE INDEX channel_inbound_dispatched ON channel_inbound (run_id)
                WHERE state = 'dispatched';

            -- The text to send instead when the platform rejects the markup of `text` (Telegram
            -- answers \"can't parse entities\"); NULL when `text` is plain.
            ALTER TABLE channel_deliveries ADD COLUMN fallback_text TEXT;
        ",
    },
    Migration {
        version: 8,
        name: "chat channels: how much of a run's reply was streamed in blocks",
        sql: "
            -- With block streaming a run's reply leaves in blocks while it is written. Each
            -- block is queued with the raw text of the reply's current message it covers so
            -- far, so a restart between the run's end and queueing the rest sends only the
            -- rest (the run ledger has the whole reply). One row per run, the latest block's.
            CREATE TABLE channel_streamed (
                run_id      TEXT PRIMARY KEY,
                prefix      TEXT NOT NULL,
                updated_ms  INTEGER NOT NULL
            ) STRICT;
        ",
    },
    Migration {
        version: 9,
        name: "automation: jobs and their run history",
        sql: "
            -- One row per automation job, in OpenClaw's CronJob JSON (definition and state
            -- together: a run's result and its next time are one write).
            CREATE TABLE automation_jobs (
                id          TEXT PRIMARY KEY,
                job         TEXT NOT NULL,
                updated_ms  INTEGER NOT NULL
            ) STRICT;
            -- The run log (`cron.runs`), newest last; a job keeps its last 500 entries.
            CREATE TABLE automation_runs (
                seq     INTEGER PRIMARY KEY AUTOINCREMENT,
                job_id  TEXT NOT NULL,
                ts_ms   INTEGER NOT NULL,
                entry   TEXT NOT NULL
            ) STRICT;
            CREATE INDEX automation_runs_by_job ON automation_runs (job_id, seq);
        ",
    },
];

/// The schema version this binary creates and understands.
pub(crate) const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;

/// Opens (creating if needed) the database at `path`, sets the connection's pragmas and migrates
/// the schema up to `target` (at most [`LATEST_VERSION`]).
pub(crate) fn open_connection(path: &Path, target: u32) -> Result<Connection, StoreError> {
    open_with(path, MIGRATIONS, target)
}

/// Opens the database at `path` and migrates it with `migrations` up to `target`: the state
/// database's list, or the list of another database the store owns (a memory index).
pub(crate) fn open_with(
    path: &Path,
    migrations: &'static [Migration],
    target: u32,
) -> Result<Connection, StoreError> {
    let latest = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    private_files::prepare(path)?;
    let mut conn = Connection::open(path).during("open the database")?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .during("set the busy timeout")?;

    // Refuse a newer database before changing anything in it (switching the journal mode
    // rewrites the header).
    let found = user_version(&conn)?;
    if found > latest {
        return Err(StoreError::Schema {
            path: path.to_owned(),
            found,
            supported: latest,
        });
    }

    // WAL: readers never block the writer and a commit is one append to the log. With
    // synchronous=NORMAL the log is fsynced at checkpoints, not at every commit: a committed
    // transaction survives a crash of the process (SIGKILL, panic=abort) because it is already in
    // the OS page cache, and a power loss may drop the last commits but never corrupts the file.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .during("enable WAL journaling")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::JournalMode {
            path: path.to_owned(),
            mode,
        });
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .during("set synchronous=NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .during("enable foreign keys")?;

    migrate(&mut conn, path, migrations, target.min(latest))?;
    Ok(conn)
}

/// Reads `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .during("read the schema version")
}

fn migrate(
    conn: &mut Connection,
    path: &Path,
    migrations: &'static [Migration],
    target: u32,
) -> Result<(), StoreError> {
    let latest = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    for migration in migrations
        .iter()
        .filter(|migration| migration.version <= target)
    {
        if user_version(conn)? >= migration.version {
            continue;
        }
        let failed = |error: rusqlite::Error| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source: DatabaseError::new(error),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        // Another connection may have migrated while this one waited for the write lock.
        if user_version(&tx)? >= migration.version {
            continue;
        }
        tx.execute_batch(migration.sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", migration.version)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(
            path = %path.display(),
            version = migration.version,
            name = migration.name,
            "applied database migration"
        );
    }
    // A newer binary may have migrated past us concurrently.
    let found = user_version(conn)?;
    if found > latest {
        return Err(StoreError::Schema {
            path: path.to_owned(),
            found,
            supported: latest,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_without_gaps() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, index + 1, "{}", migration.name);
        }
    }

    #[test]
    fn every_migration_applies_to_an_empty_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:"), MIGRATIONS, LATEST_VERSION).unwrap();
        assert_eq!(user_version(&conn).unwrap(), LATEST_VERSION);
    }
}
