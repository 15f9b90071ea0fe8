//! Automation jobs and their run log, stored as OpenClaw's JSON (the `automation` crate owns
//! the shapes; the store keeps the text, one transaction per change).

use rusqlite::{OptionalExtension, params};

use crate::error::{SqliteContext, StoreError};
use crate::handle::Store;

/// Run-log entries kept per job.
pub const RUNS_KEPT_PER_JOB: i64 = 500;

impl Store {
    /// Every job, as stored JSON, by id.
    pub async fn automation_jobs(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.run(|conn| {
            let mut statement = conn
                .prepare("SELECT id, job FROM automation_jobs ORDER BY id")
                .during("list automation jobs")?;
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .during("list automation jobs")?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.during("list automation jobs")?);
            }
            Ok(out)
        })
        .await
    }

    /// One job's stored JSON.
    pub async fn automation_job(&self, id: &str) -> Result<Option<String>, StoreError> {
        let id = id.to_owned();
        self.run(move |conn| {
            conn.query_row(
                "SELECT job FROM automation_jobs WHERE id = ?1",
                [&id],
                |row| row.get(0),
            )
            .optional()
            .during("read an automation job")
        })
        .await
    }

    /// Writes a job (created or replaced).
    pub async fn put_automation_job(
        &self,
        id: &str,
        job_json: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let (id, job) = (id.to_owned(), job_json.to_owned());
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO automation_jobs (id, job, updated_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET job = excluded.job, updated_ms = excluded.updated_ms",
                params![id, job, now_ms],
            )
            .during("write an automation job")?;
            Ok(())
        })
        .await
    }

    /// Deletes a job and its run log; whether it existed.
    pub async fn delete_automation_job(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.run(move |conn| {
            let tx = conn
                .transaction()
                .during("begin deleting an automation job")?;
            let removed = tx
                .execute("DELETE FROM automation_jobs WHERE id = ?1", [&id])
                .during("delete an automation job")?;
            tx.execute("DELETE FROM automation_runs WHERE job_id = ?1", [&id])
                .during("delete an automation job's runs")?;
            tx.commit().during("commit deleting an automation job")?;
            Ok(removed > 0)
        })
        .await
    }

    /// Appends a run-log entry, keeping the job's newest [`RUNS_KEPT_PER_JOB`].
    pub async fn append_automation_run(
        &self,
        job_id: &str,
        ts_ms: i64,
        entry_json: &str,
    ) -> Result<(), StoreError> {
        let (job_id, entry) = (job_id.to_owned(), entry_json.to_owned());
        self.run(move |conn| {
            let tx = conn.transaction().during("begin a run-log append")?;
            tx.execute(
                "INSERT INTO automation_runs (job_id, ts_ms, entry) VALUES (?1, ?2, ?3)",
                params![job_id, ts_ms, entry],
            )
            .during("append a run-log entry")?;
            tx.execute(
                "DELETE FROM automation_runs WHERE job_id = ?1 AND seq <= (
                     SELECT seq FROM automation_runs WHERE job_id = ?1
                     ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
                params![job_id, RUNS_KEPT_PER_JOB],
            )
            .during("trim the run log")?;
            tx.commit().during("commit a run-log append")
        })
        .await
    }

    /// Run-log entries (newest first), of one job or all, after skipping `offset`.
    pub async fn automation_runs(
        &self,
        job_id: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<String>, StoreError> {
        let job_id = job_id.map(str::to_owned);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        self.run(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT entry FROM automation_runs WHERE ?1 IS NULL OR job_id = ?1
                     ORDER BY seq DESC LIMIT ?2 OFFSET ?3",
                )
                .during("list run-log entries")?;
            let rows = statement
                .query_map(params![job_id, limit, offset], |row| row.get(0))
                .during("list run-log entries")?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.during("list run-log entries")?);
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_and_their_runs_survive_a_reopen_and_the_log_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        {
            let store = Store::open(&path).await.unwrap();
            store
                .put_automation_job("a", r#"{"id":"a","v":1}"#, 1)
                .await
                .unwrap();
            store
                .put_automation_job("a", r#"{"id":"a","v":2}"#, 2)
                .await
                .unwrap();
            store
                .put_automation_job("b", r#"{"id":"b"}"#, 3)
                .await
                .unwrap();
            for i in 0..(RUNS_KEPT_PER_JOB + 3) {
                store
                    .append_automation_run("a", i, &format!(r#"{{"n":{i}}}"#))
                    .await
                    .unwrap();
            }
            store
                .append_automation_run("b", 9, r#"{"b":1}"#)
                .await
                .unwrap();
        }
        let store = Store::open(&path).await.unwrap();
        let jobs = store.automation_jobs().await.unwrap();
        assert_eq!(
            jobs,
            [
                ("a".to_owned(), r#"{"id":"a","v":2}"#.to_owned()),
                ("b".to_owned(), r#"{"id":"b"}"#.to_owned())
            ]
        );
        let newest = store.automation_runs(Some("a"), 2, 0).await.unwrap();
        assert_eq!(newest, [r#"{"n":502}"#, r#"{"n":501}"#]);
        let all_a = store.automation_runs(Some("a"), 10_000, 0).await.unwrap();
        assert_eq!(all_a.len() as i64, RUNS_KEPT_PER_JOB);
        assert_eq!(
            store.automation_runs(None, 1, 0).await.unwrap(),
            [r#"{"b":1}"#]
        );
        assert!(store.delete_automation_job("a").await.unwrap());
        assert!(!store.delete_automation_job("a").await.unwrap());
        assert!(
            store
                .automation_runs(Some("a"), 10, 0)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.automation_job("b").await.unwrap().as_deref(),
            Some(r#"{"id":"b"}"#)
        );
    }
}
