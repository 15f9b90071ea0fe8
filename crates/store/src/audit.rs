//! The append-only audit log of security-relevant actions (pairing, config changes, approvals…).

use rusqlite::params;
use serde_json::Value;

use crate::error::{SqliteContext, StoreError, corrupt};
use crate::handle::Store;

/// One audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// When it happened, Unix milliseconds.
    pub ts_ms: i64,
    /// Who did it (`cli`, `device:<id>`, `agent:main`, …).
    pub actor: String,
    /// What was done (`config.set`, `device.pair`, …).
    pub action: String,
    /// What it was done to, if anything.
    pub target: Option<String>,
    /// Action-specific details; `Value::Null` if none. Never secrets.
    pub detail: Value,
}

/// An audit record as stored, with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAuditRecord {
    /// Position in the log; increases with every append and is never reused.
    pub id: u64,
    /// The record.
    pub record: AuditRecord,
}

impl Store {
    /// Appends a record to the audit log and returns its id. Records cannot be changed or deleted
    /// afterwards; the database enforces this with triggers.
    pub async fn append_audit(&self, record: &AuditRecord) -> Result<u64, StoreError> {
        let detail =
            serde_json::to_string(&record.detail).map_err(|source| StoreError::Encode {
                what: "audit detail",
                source,
            })?;
        let record = record.clone();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO audit_log (ts_ms, actor, action, target, detail_json)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    record.ts_ms,
                    record.actor,
                    record.action,
                    record.target,
                    detail
                ],
            )
            .during("append an audit record")?;
            let id = conn.last_insert_rowid();
            u64::try_from(id).map_err(|error| corrupt("audit record id", id.to_string(), error))
        })
        .await
    }

    /// The `limit` most recent audit records, newest first.
    pub async fn list_audit(&self, limit: usize) -> Result<Vec<StoredAuditRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT id, ts_ms, actor, action, target, detail_json FROM audit_log
                     ORDER BY id DESC LIMIT ?1",
                )
                .during("list audit records")?;
            let rows = statement
                .query_map([limit], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, String>(5)?,
                    ))
                })
                .during("list audit records")?;
            let mut records = Vec::new();
            for row in rows {
                let (id, ts_ms, actor, action, target, detail) =
                    row.during("list audit records")?;
                let detail = serde_json::from_str(&detail)
                    .map_err(|error| corrupt("audit record", id.to_string(), error))?;
                let id = u64::try_from(id)
                    .map_err(|error| corrupt("audit record id", id.to_string(), error))?;
                records.push(StoredAuditRecord {
                    id,
                    record: AuditRecord {
                        ts_ms,
                        actor,
                        action,
                        target,
                        detail,
                    },
                });
            }
            Ok(records)
        })
        .await
    }
}
