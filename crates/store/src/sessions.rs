//! Session rows: one [`SessionEntry`] per [`SessionKey`].

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rustyclaw_protocol::{AgentId, SessionEntry, SessionId, SessionKey};

use crate::error::{SqliteContext, StoreError, corrupt};
use crate::handle::Store;

/// A session as listed: its key and entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    /// The conversation's key.
    pub key: SessionKey,
    /// Its entry.
    pub entry: SessionEntry,
}

/// What [`Store::delete_session`] does with the session's current transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptRetention {
    /// Keep the transcript; it stays readable by session id.
    Keep,
    /// Delete the transcript in the same transaction.
    Delete,
}

impl Store {
    /// Creates or replaces the entry of `key`.
    ///
    /// Fails with [`StoreError::SessionIdInUse`] if another key's entry already has the same
    /// session id (a transcript belongs to one conversation).
    pub async fn upsert_session(
        &self,
        key: &SessionKey,
        entry: &SessionEntry,
    ) -> Result<(), StoreError> {
        let (key, entry) = (key.clone(), entry.clone());
        self.run(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .during("begin a session update")?;
            write_session(&tx, &key, &entry)?;
            tx.commit().during("commit a session update")
        })
        .await
    }

    /// The entry of `key`, if any.
    pub async fn get_session(&self, key: &SessionKey) -> Result<Option<SessionEntry>, StoreError> {
        let key = key.clone();
        self.run(move |conn| read_session(conn, &key)).await
    }

    /// Up to `limit` sessions, most recently updated first, optionally only those of one agent.
    /// Keys outside any agent (`cron:…`, `global`) belong to the default agent `main`, as
    /// upstream attributes them.
    pub async fn list_sessions(
        &self,
        agent: Option<&AgentId>,
        limit: usize,
    ) -> Result<Vec<StoredSession>, StoreError> {
        let agent = agent.map(|agent| agent.as_str().to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |conn| {
            // Two statements rather than `?1 IS NULL OR agent_id = ?1`, so each can use its index.
            let mut statement = match agent {
                Some(_) => conn.prepare(
                    "SELECT session_key, entry_json FROM sessions WHERE agent_id = ?1
                     ORDER BY updated_at DESC, session_key LIMIT ?2",
                ),
                None => conn.prepare(
                    // ?1 (no agent) is bound but unused.
                    "SELECT session_key, entry_json FROM sessions
                     ORDER BY updated_at DESC, session_key LIMIT ?2",
                ),
            }
            .during("list sessions")?;
            let rows = statement
                .query_map(params![agent, limit], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .during("list sessions")?;
            let mut sessions = Vec::new();
            for row in rows {
                let (key, json) = row.during("list sessions")?;
                let key =
                    SessionKey::parse(&key).map_err(|error| corrupt("session key", &key, error))?;
                let entry = decode_entry(&key, &json)?;
                sessions.push(StoredSession { key, entry });
            }
            Ok(sessions)
        })
        .await
    }

    /// The session whose entry has `session_id`, if any.
    pub async fn find_session_by_id(
        &self,
        session_id: &SessionId,
    ) -> Result<Option<StoredSession>, StoreError> {
        let session_id = session_id.as_str().to_owned();
        self.run(move |conn| {
            let row: Option<(String, String)> = conn
                .query_row(
                    "SELECT session_key, entry_json FROM sessions WHERE session_id = ?1",
                    [&session_id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .during("find a session by id")?;
            let Some((key, json)) = row else {
                return Ok(None);
            };
            let key =
                SessionKey::parse(&key).map_err(|error| corrupt("session key", &key, error))?;
            let entry = decode_entry(&key, &json)?;
            Ok(Some(StoredSession { key, entry }))
        })
        .await
    }

    /// Deletes the entry of `key` and, if asked, its current transcript. Returns whether the key
    /// existed.
    pub async fn delete_session(
        &self,
        key: &SessionKey,
        transcript: TranscriptRetention,
    ) -> Result<bool, StoreError> {
        let key = key.clone();
        self.run(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .during("begin a session delete")?;
            let session_id: Option<String> = tx
                .query_row(
                    "DELETE FROM sessions WHERE session_key = ?1 RETURNING session_id",
                    [key.as_str()],
                    |row| row.get(0),
                )
                .optional()
                .during("delete a session")?;
            let Some(session_id) = session_id else {
                return Ok(false);
            };
            if transcript == TranscriptRetention::Delete {
                tx.execute(
                    "DELETE FROM transcript_entries WHERE session_id = ?1",
                    [&session_id],
                )
                .during("delete a transcript")?;
            }
            tx.commit().during("commit a session delete")?;
            Ok(true)
        })
        .await
    }
}

/// Inserts or replaces a session row inside the caller's transaction.
pub(crate) fn write_session(
    conn: &Connection,
    key: &SessionKey,
    entry: &SessionEntry,
) -> Result<(), StoreError> {
    let holder: Option<String> = conn
        .query_row(
            "SELECT session_key FROM sessions WHERE session_id = ?1 AND session_key <> ?2",
            [entry.session_id.as_str(), key.as_str()],
            |row| row.get(0),
        )
        .optional()
        .during("look up a session id")?;
    if let Some(holder) = holder {
        let session_key =
            SessionKey::parse(&holder).map_err(|error| corrupt("session key", &holder, error))?;
        return Err(StoreError::SessionIdInUse {
            session_id: entry.session_id.clone(),
            session_key,
        });
    }
    let json = serde_json::to_string(entry).map_err(|source| StoreError::Encode {
        what: "session entry",
        source,
    })?;
    let agent = key.agent_id().unwrap_or_default();
    conn.execute(
        "INSERT INTO sessions (session_key, agent_id, session_id, updated_at, entry_json)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (session_key) DO UPDATE SET
             agent_id = excluded.agent_id,
             session_id = excluded.session_id,
             updated_at = excluded.updated_at,
             entry_json = excluded.entry_json",
        params![
            key.as_str(),
            agent.as_str(),
            entry.session_id.as_str(),
            entry.updated_at,
            json
        ],
    )
    .during("write a session")?;
    Ok(())
}

/// Reads the entry of `key`.
pub(crate) fn read_session(
    conn: &Connection,
    key: &SessionKey,
) -> Result<Option<SessionEntry>, StoreError> {
    let json: Option<String> = conn
        .query_row(
            "SELECT entry_json FROM sessions WHERE session_key = ?1",
            [key.as_str()],
            |row| row.get(0),
        )
        .optional()
        .during("read a session")?;
    json.map(|json| decode_entry(key, &json)).transpose()
}

fn decode_entry(key: &SessionKey, json: &str) -> Result<SessionEntry, StoreError> {
    serde_json::from_str(json).map_err(|error| corrupt("session entry", key.as_str(), error))
}
