//! Health check of the database for `rustyclaw doctor`.

use rusqlite::Connection;

use crate::error::{SqliteContext, StoreError};
use crate::handle::Store;
use crate::schema::{LATEST_VERSION, user_version};

/// Result of [`Store::integrity_check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityReport {
    /// The database's schema version.
    pub schema_version: u32,
    /// The newest schema version this binary knows.
    pub supported_schema_version: u32,
    /// Problems reported by SQLite's `PRAGMA integrity_check`; empty when the file is sound.
    pub sqlite_problems: Vec<String>,
    /// Session rows.
    pub sessions: u64,
    /// Distinct stored transcripts.
    pub transcripts: u64,
    /// Stored transcript lines, headers included.
    pub transcript_lines: u64,
    /// Transcripts whose seqs are not exactly 1..=n (lines lost or stored out of band).
    pub transcripts_with_gaps: u64,
    /// Entries whose `parentId` names no entry of their transcript.
    pub dangling_parents: u64,
    /// Audit log records.
    pub audit_records: u64,
}

impl IntegrityReport {
    /// Whether nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.sqlite_problems.is_empty()
            && self.transcripts_with_gaps == 0
            && self.dangling_parents == 0
            && self.schema_version == self.supported_schema_version
    }
}

impl Store {
    /// The database's schema version (`PRAGMA user_version`).
    pub async fn schema_version(&self) -> Result<u32, StoreError> {
        self.run(|conn| user_version(conn)).await
    }

    /// Checks the whole database: SQLite's page-level `integrity_check`, then the transcript
    /// invariants, plus row counts. Reads every page, so it takes time proportional to the
    /// database size; meant for `rustyclaw doctor`, not for the hot path.
    pub async fn integrity_check(&self) -> Result<IntegrityReport, StoreError> {
        self.run(|conn| {
            let schema_version = user_version(conn)?;
            let mut sqlite_problems = Vec::new();
            conn.pragma_query(None, "integrity_check", |row| {
                let message: String = row.get(0)?;
                if message != "ok" {
                    sqlite_problems.push(message);
                }
                Ok(())
            })
            .during("run integrity_check")?;
            let audit_records = if schema_version >= 2 {
                count(conn, "SELECT COUNT(*) FROM audit_log")?
            } else {
                0
            };
            Ok(IntegrityReport {
                schema_version,
                supported_schema_version: LATEST_VERSION,
                sqlite_problems,
                sessions: count(conn, "SELECT COUNT(*) FROM sessions")?,
                transcripts: count(
                    conn,
                    "SELECT COUNT(DISTINCT session_id) FROM transcript_entries",
                )?,
                transcript_lines: count(conn, "SELECT COUNT(*) FROM transcript_entries")?,
                transcripts_with_gaps: count(
                    conn,
                    "SELECT COUNT(*) FROM (
                         SELECT session_id FROM transcript_entries GROUP BY session_id
                         HAVING MIN(seq) <> 1 OR MAX(seq) <> COUNT(*)
                     )",
                )?,
                dangling_parents: count(
                    conn,
                    "SELECT COUNT(*) FROM transcript_entries AS child
                     WHERE child.parent_id IS NOT NULL AND NOT EXISTS (
                         SELECT 1 FROM transcript_entries AS parent
                         WHERE parent.session_id = child.session_id
                           AND parent.entry_id = child.parent_id
                           AND parent.seq < child.seq
                     )",
                )?,
                audit_records,
            })
        })
        .await
    }
}

fn count(conn: &Connection, sql: &str) -> Result<u64, StoreError> {
    let count: i64 = conn
        .query_row(sql, [], |row| row.get(0))
        .during("count rows")?;
    Ok(u64::try_from(count).unwrap_or_default())
}
