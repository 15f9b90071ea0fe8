//! The quarantine: commands and content a risk guard blocked, kept whole for human review.
//!
//! The audit log says *that* something was blocked and why; the payload itself (a command that
//! may embed a credential, a page full of injected instructions) lives only here, where it can
//! be inspected with `rustyclaw quarantine show` without ever being replayed into a model.

use std::fmt;

use rusqlite::{Row, params};
use rustyclaw_protocol::{AgentId, SessionKey};
use serde_json::Value;

use crate::error::{SqliteContext, StoreError, corrupt};
use crate::handle::Store;

/// Largest payload kept, in bytes; longer payloads are cut (on a character boundary) and
/// flagged as truncated.
pub const MAX_QUARANTINE_PAYLOAD_BYTES: usize = 256 * 1024;

/// Characters of the payload shown in listings.
const PREVIEW_CHARS: i64 = 120;

/// What was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuarantineKind {
    /// A command the command-risk guard stopped before it ran.
    Command,
    /// Tool output or fetched content the prompt-injection guard withheld from the model.
    Content,
}

impl QuarantineKind {
    /// `command` or `content`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineKind::Command => "command",
            QuarantineKind::Content => "content",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "command" => Some(QuarantineKind::Command),
            "content" => Some(QuarantineKind::Content),
            _ => None,
        }
    }
}

impl fmt::Display for QuarantineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payload to quarantine.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineRecord {
    /// When it was blocked, Unix milliseconds.
    pub ts_ms: i64,
    /// The agent whose action it was.
    pub agent_id: AgentId,
    /// The session it happened in.
    pub session_key: SessionKey,
    /// The run, if known.
    pub run_id: Option<String>,
    /// Command or content.
    pub kind: QuarantineKind,
    /// The tool involved (`exec`, `web_fetch`, …).
    pub tool: String,
    /// Where the content came from (a URL, a file path), if anything more than the tool.
    pub source: Option<String>,
    /// The full command or content (cut to [`MAX_QUARANTINE_PAYLOAD_BYTES`] when stored).
    pub payload: String,
    /// The guard's score, 0–100.
    pub score: u8,
    /// The guard's decision label (`block`, `would-block`).
    pub decision: String,
    /// The guard's findings (rule ids, categories, weights, excerpts) as JSON.
    pub findings: Value,
}

/// A quarantined payload as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredQuarantine {
    /// Its id (`#id` in messages to the model and the user).
    pub id: u64,
    /// The record; `payload` is what was kept.
    pub record: QuarantineRecord,
    /// Size of the original payload in bytes.
    pub payload_bytes: u64,
    /// Whether the kept payload is cut short.
    pub truncated: bool,
}

/// A quarantined payload in a listing: everything but the payload, plus its start.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineSummary {
    /// Its id.
    pub id: u64,
    /// When it was blocked, Unix milliseconds.
    pub ts_ms: i64,
    /// The agent.
    pub agent_id: AgentId,
    /// The session.
    pub session_key: SessionKey,
    /// Command or content.
    pub kind: QuarantineKind,
    /// The tool.
    pub tool: String,
    /// Where the content came from, if recorded.
    pub source: Option<String>,
    /// The guard's score.
    pub score: u8,
    /// The decision label.
    pub decision: String,
    /// The first characters of the payload, for recognising it.
    pub preview: String,
    /// Size of the original payload in bytes.
    pub payload_bytes: u64,
}

/// `text` cut to at most `max` bytes on a character boundary, and whether it was cut.
fn cap(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

impl Store {
    /// Stores a blocked payload (cut to [`MAX_QUARANTINE_PAYLOAD_BYTES`]) and returns its id.
    pub async fn quarantine(&self, record: &QuarantineRecord) -> Result<u64, StoreError> {
        let findings =
            serde_json::to_string(&record.findings).map_err(|source| StoreError::Encode {
                what: "quarantine findings",
                source,
            })?;
        let (payload, truncated) = cap(&record.payload, MAX_QUARANTINE_PAYLOAD_BYTES);
        let payload = payload.to_owned();
        let payload_bytes = i64::try_from(record.payload.len()).unwrap_or(i64::MAX);
        let record = record.clone();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO quarantine (ts_ms, agent_id, session_key, run_id, kind, tool, source,
                     payload, payload_bytes, truncated, score, decision, findings_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    record.ts_ms,
                    record.agent_id.as_str(),
                    record.session_key.as_str(),
                    record.run_id,
                    record.kind.as_str(),
                    record.tool,
                    record.source,
                    payload,
                    payload_bytes,
                    truncated,
                    record.score.min(100),
                    record.decision,
                    findings,
                ],
            )
            .during("quarantine a payload")?;
            let id = conn.last_insert_rowid();
            u64::try_from(id).map_err(|error| corrupt("quarantine id", id.to_string(), error))
        })
        .await
    }

    /// Up to `limit` quarantined payloads, newest first, older than `before_id` when given
    /// (for paging).
    pub async fn list_quarantine(
        &self,
        limit: usize,
        before_id: Option<u64>,
    ) -> Result<Vec<QuarantineSummary>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let before = before_id.map_or(i64::MAX, |id| i64::try_from(id).unwrap_or(i64::MAX));
        self.run(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT id, ts_ms, agent_id, session_key, kind, tool, source, score, decision,
                            substr(payload, 1, ?3), payload_bytes
                     FROM quarantine WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
                )
                .during("list the quarantine")?;
            let rows = statement
                .query_map(params![before, limit, PREVIEW_CHARS], |row| {
                    Ok(RawSummary {
                        id: row.get(0)?,
                        ts_ms: row.get(1)?,
                        agent_id: row.get(2)?,
                        session_key: row.get(3)?,
                        kind: row.get(4)?,
                        tool: row.get(5)?,
                        source: row.get(6)?,
                        score: row.get(7)?,
                        decision: row.get(8)?,
                        preview: row.get(9)?,
                        payload_bytes: row.get(10)?,
                    })
                })
                .during("list the quarantine")?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.during("list the quarantine")?.decode()?);
            }
            Ok(out)
        })
        .await
    }

    /// The quarantined payload `id`, if there is one.
    pub async fn quarantined(&self, id: u64) -> Result<Option<StoredQuarantine>, StoreError> {
        let Ok(key) = i64::try_from(id) else {
            return Ok(None);
        };
        self.run(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT id, ts_ms, agent_id, session_key, run_id, kind, tool, source, payload,
                            payload_bytes, truncated, score, decision, findings_json
                     FROM quarantine WHERE id = ?1",
                )
                .during("read a quarantined payload")?;
            let mut rows = statement
                .query([key])
                .during("read a quarantined payload")?;
            match rows.next().during("read a quarantined payload")? {
                Some(row) => Ok(Some(
                    raw_stored(row)
                        .during("read a quarantined payload")?
                        .decode()?,
                )),
                None => Ok(None),
            }
        })
        .await
    }
}

/// Columns of a listing row, before validation.
struct RawSummary {
    id: i64,
    ts_ms: i64,
    agent_id: String,
    session_key: String,
    kind: String,
    tool: String,
    source: Option<String>,
    score: i64,
    decision: String,
    preview: String,
    payload_bytes: i64,
}

fn decode_common(
    id: i64,
    agent_id: &str,
    session_key: &str,
    kind: &str,
    score: i64,
) -> Result<(u64, AgentId, SessionKey, QuarantineKind, u8), StoreError> {
    let key = id.to_string();
    let id = u64::try_from(id).map_err(|error| corrupt("quarantine id", key.clone(), error))?;
    let agent_id = AgentId::parse(agent_id)
        .map_err(|error| corrupt("quarantine agent", key.clone(), error))?;
    let session_key = SessionKey::parse(session_key)
        .map_err(|error| corrupt("quarantine session key", key.clone(), error))?;
    let kind = QuarantineKind::parse(kind).ok_or_else(|| {
        corrupt(
            "quarantine kind",
            key.clone(),
            format!("unknown kind {kind:?}"),
        )
    })?;
    let score = u8::try_from(score).map_err(|error| corrupt("quarantine score", key, error))?;
    Ok((id, agent_id, session_key, kind, score))
}

impl RawSummary {
    fn decode(self) -> Result<QuarantineSummary, StoreError> {
        let (id, agent_id, session_key, kind, score) = decode_common(
            self.id,
            &self.agent_id,
            &self.session_key,
            &self.kind,
            self.score,
        )?;
        Ok(QuarantineSummary {
            id,
            ts_ms: self.ts_ms,
            agent_id,
            session_key,
            kind,
            tool: self.tool,
            source: self.source,
            score,
            decision: self.decision,
            preview: self.preview,
            payload_bytes: u64::try_from(self.payload_bytes).unwrap_or(0),
        })
    }
}

/// Columns of a full row, before validation.
struct RawStored {
    summary: RawSummary,
    run_id: Option<String>,
    truncated: bool,
    findings: String,
}

fn raw_stored(row: &Row<'_>) -> rusqlite::Result<RawStored> {
    Ok(RawStored {
        summary: RawSummary {
            id: row.get(0)?,
            ts_ms: row.get(1)?,
            agent_id: row.get(2)?,
            session_key: row.get(3)?,
            kind: row.get(5)?,
            tool: row.get(6)?,
            source: row.get(7)?,
            preview: row.get(8)?,
            payload_bytes: row.get(9)?,
            score: row.get(11)?,
            decision: row.get(12)?,
        },
        run_id: row.get(4)?,
        truncated: row.get(10)?,
        findings: row.get(13)?,
    })
}

impl RawStored {
    fn decode(self) -> Result<StoredQuarantine, StoreError> {
        let findings = serde_json::from_str(&self.findings)
            .map_err(|error| corrupt("quarantine findings", self.summary.id.to_string(), error))?;
        let summary = self.summary.decode()?;
        Ok(StoredQuarantine {
            id: summary.id,
            record: QuarantineRecord {
                ts_ms: summary.ts_ms,
                agent_id: summary.agent_id,
                session_key: summary.session_key,
                run_id: self.run_id,
                kind: summary.kind,
                tool: summary.tool,
                source: summary.source,
                // The full row's "preview" column is the whole kept payload.
                payload: summary.preview,
                score: summary.score,
                decision: summary.decision,
                findings,
            },
            payload_bytes: summary.payload_bytes,
            truncated: self.truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_cut_on_character_boundaries() {
        assert_eq!(cap("abc", 10), ("abc", false));
        assert_eq!(cap("aé", 2), ("a", true));
        assert_eq!(cap("€€", 4), ("€", true));
    }
}
