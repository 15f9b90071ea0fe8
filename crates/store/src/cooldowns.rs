//! Auth-profile cooldowns: which provider credential rests until when, and why.

use rusqlite::params;

use crate::error::{SqliteContext, StoreError};
use crate::handle::Store;

/// One profile's cooldown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooldownRow {
    /// Auth profile id (`openai:default`), never the key itself.
    pub profile_id: String,
    /// Unix milliseconds until which the profile is skipped.
    pub until_ms: u64,
    /// Why (`rate_limit`, `auth`, …).
    pub reason: String,
}

impl Store {
    /// Records cooldowns, replacing earlier ones of the same profiles.
    pub async fn upsert_cooldowns(&self, rows: &[CooldownRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let rows = rows.to_vec();
        self.run(move |conn| {
            let tx = conn.transaction().during("begin a cooldown update")?;
            for row in &rows {
                tx.execute(
                    "INSERT INTO auth_cooldowns (profile_id, until_ms, reason) VALUES (?1, ?2, ?3)
                     ON CONFLICT (profile_id) DO UPDATE SET until_ms = excluded.until_ms, reason = excluded.reason",
                    params![row.profile_id, i64::try_from(row.until_ms).unwrap_or(i64::MAX), row.reason],
                )
                .during("record a cooldown")?;
            }
            tx.commit().during("commit a cooldown update")
        })
        .await
    }

    /// Cooldowns still running at `now_ms`; expired rows are deleted on the way.
    pub async fn active_cooldowns(&self, now_ms: u64) -> Result<Vec<CooldownRow>, StoreError> {
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        self.run(move |conn| {
            conn.execute("DELETE FROM auth_cooldowns WHERE until_ms <= ?1", [now])
                .during("expire cooldowns")?;
            let mut statement = conn
                .prepare(
                    "SELECT profile_id, until_ms, reason FROM auth_cooldowns ORDER BY profile_id",
                )
                .during("list cooldowns")?;
            let rows = statement
                .query_map([], |row| {
                    Ok(CooldownRow {
                        profile_id: row.get(0)?,
                        until_ms: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                        reason: row.get(2)?,
                    })
                })
                .during("list cooldowns")?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.during("list cooldowns")?);
            }
            Ok(out)
        })
        .await
    }
}
