//! Transcript lines: append, read, count.
//!
//! A stored transcript is exactly the JSONL file OpenClaw would have written: line 1 (seq 1) is
//! the `session` header, then entries in append order. Appends check, inside the write
//! transaction, the invariants readers rely on — header first and only first, unique entry ids,
//! every `parentId` naming an earlier entry — so a batch is stored entirely or not at all.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rustyclaw_protocol::{EntryId, SessionId, TranscriptLine};

use crate::error::{SqliteContext, StoreError, TranscriptViolation, corrupt};
use crate::handle::Store;

/// A transcript line as stored, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLine {
    /// Position in the transcript, from 1 (the header), contiguous.
    pub seq: u64,
    /// The line.
    pub line: TranscriptLine,
}

/// A line ready for insertion: the columns the store indexes plus the JSON text to keep.
pub(crate) struct PreparedLine {
    role: LineRole,
    type_name: &'static str,
    timestamp: String,
    json: String,
}

enum LineRole {
    Header(SessionId),
    Entry {
        id: EntryId,
        parent_id: Option<EntryId>,
    },
}

impl PreparedLine {
    /// Prepares `line`, to be stored as the JSON text `json` (its serialization, or for imports
    /// the original text so exports are byte-identical).
    pub(crate) fn new(line: &TranscriptLine, json: String) -> Self {
        let role = match line {
            TranscriptLine::Session(header) => LineRole::Header(header.id.clone()),
            TranscriptLine::Entry(entry) => LineRole::Entry {
                id: entry.id.clone(),
                parent_id: entry.parent_id.clone(),
            },
        };
        Self {
            role,
            type_name: line.type_name(),
            timestamp: line.timestamp().to_owned(),
            json,
        }
    }

    /// The line's ISO-8601 timestamp.
    pub(crate) fn timestamp(&self) -> &str {
        &self.timestamp
    }
}

impl Store {
    /// Appends `lines` to the transcript of `session_id` in one transaction and returns their
    /// seqs. The first line ever appended must be the `session` header of this session id; every
    /// entry id must be new to the transcript and every `parentId` must name an earlier entry
    /// (or be `null`). On any violation nothing is stored
    /// ([`StoreError::TranscriptRejected`], `line` = 1-based position in `lines`).
    ///
    /// The lines are durable when this returns (see the crate documentation).
    pub async fn append_transcript(
        &self,
        session_id: &SessionId,
        lines: &[TranscriptLine],
    ) -> Result<Vec<u64>, StoreError> {
        let mut prepared = Vec::with_capacity(lines.len());
        for line in lines {
            let json = serde_json::to_string(line).map_err(|source| StoreError::Encode {
                what: "transcript line",
                source,
            })?;
            prepared.push(PreparedLine::new(line, json));
        }
        let session_id = session_id.clone();
        self.run(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .during("begin a transcript append")?;
            let seqs = insert_lines(
                &tx,
                &session_id,
                prepared
                    .into_iter()
                    .enumerate()
                    .map(|(index, line)| (index + 1, line)),
            )?;
            tx.commit().during("commit a transcript append")?;
            Ok(seqs)
        })
        .await
    }

    /// Up to `limit` lines of the transcript of `session_id` with seq greater than `after_seq`,
    /// in order. Pass `after_seq = 0` to start at the header.
    pub async fn transcript(
        &self,
        session_id: &SessionId,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<StoredLine>, StoreError> {
        let session_id = session_id.clone();
        self.run(move |conn| {
            read_raw_lines(conn, &session_id, after_seq, limit)?
                .into_iter()
                .map(|(seq, json)| {
                    TranscriptLine::parse(&json)
                        .map(|line| StoredLine { seq, line })
                        .map_err(|error| {
                            corrupt("transcript line", format!("{session_id}#{seq}"), error)
                        })
                })
                .collect()
        })
        .await
    }

    /// Number of stored lines of the transcript of `session_id` (header included; 0 if none).
    /// Equal to the last seq, since seqs are contiguous from 1.
    pub async fn transcript_len(&self, session_id: &SessionId) -> Result<u64, StoreError> {
        let session_id = session_id.clone();
        self.run(move |conn| last_seq(conn, &session_id)).await
    }
}

/// The highest seq of a transcript, 0 if it has no lines.
pub(crate) fn last_seq(conn: &Connection, session_id: &SessionId) -> Result<u64, StoreError> {
    let last: Option<i64> = conn
        .query_row(
            "SELECT MAX(seq) FROM transcript_entries WHERE session_id = ?1",
            [session_id.as_str()],
            |row| row.get(0),
        )
        .during("read the transcript length")?;
    last.map_or(Ok(0), |seq| stored_seq(session_id, seq))
}

fn stored_seq(session_id: &SessionId, seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq)
        .map_err(|error| corrupt("transcript seq", format!("{session_id}#{seq}"), error))
}

fn sql_seq(seq: u64) -> i64 {
    // Seqs count lines; they cannot reach 2^63.
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// Reads raw stored lines (seq, JSON text).
pub(crate) fn read_raw_lines(
    conn: &Connection,
    session_id: &SessionId,
    after_seq: u64,
    limit: usize,
) -> Result<Vec<(u64, String)>, StoreError> {
    let mut statement = conn
        .prepare(
            "SELECT seq, line_json FROM transcript_entries
             WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .during("read a transcript")?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement
        .query_map(
            params![session_id.as_str(), sql_seq(after_seq), limit],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )
        .during("read a transcript")?;
    let mut lines = Vec::new();
    for row in rows {
        let (seq, json) = row.during("read a transcript")?;
        lines.push((stored_seq(session_id, seq)?, json));
    }
    Ok(lines)
}

/// Appends prepared lines inside the caller's write transaction, checking the transcript
/// invariants. Each line comes with the 1-based number used in errors.
pub(crate) fn insert_lines(
    conn: &Connection,
    session_id: &SessionId,
    lines: impl IntoIterator<Item = (usize, PreparedLine)>,
) -> Result<Vec<u64>, StoreError> {
    let first_seq = last_seq(conn, session_id)? + 1;
    // Lines inserted earlier in this transaction are visible to the lookup, so one query checks
    // both the stored transcript and the batch so far.
    let mut entry_exists = conn
        .prepare("SELECT 1 FROM transcript_entries WHERE session_id = ?1 AND entry_id = ?2")
        .during("prepare a transcript append")?;
    let mut insert = conn
        .prepare(
            "INSERT INTO transcript_entries
                 (session_id, seq, entry_id, parent_id, entry_type, timestamp, line_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .during("prepare a transcript append")?;
    let mut seqs = Vec::new();
    for (seq, (line_number, line)) in (first_seq..).zip(lines) {
        let reject = |violation| StoreError::TranscriptRejected {
            line: line_number,
            violation,
        };
        let (entry_id, parent_id) = match &line.role {
            LineRole::Header(header_id) => {
                if seq != 1 {
                    return Err(reject(TranscriptViolation::UnexpectedHeader));
                }
                if header_id != session_id {
                    return Err(reject(TranscriptViolation::HeaderMismatch {
                        header_id: header_id.clone(),
                        session_id: session_id.clone(),
                    }));
                }
                (None, None)
            }
            LineRole::Entry { id, parent_id } => {
                if seq == 1 {
                    return Err(reject(TranscriptViolation::MissingHeader));
                }
                let mut exists = |id: &EntryId| {
                    entry_exists
                        .query_row([session_id.as_str(), id.as_str()], |_| Ok(()))
                        .optional()
                        .map(|found| found.is_some())
                        .during("look up a transcript entry")
                };
                if exists(id)? {
                    return Err(reject(TranscriptViolation::DuplicateEntryId {
                        entry_id: id.clone(),
                    }));
                }
                if let Some(parent) = parent_id
                    && !exists(parent)?
                {
                    return Err(reject(TranscriptViolation::UnknownParent {
                        entry_id: id.clone(),
                        parent_id: parent.clone(),
                    }));
                }
                (Some(id.as_str()), parent_id.as_ref().map(EntryId::as_str))
            }
        };
        insert
            .execute(params![
                session_id.as_str(),
                sql_seq(seq),
                entry_id,
                parent_id,
                line.type_name,
                line.timestamp,
                line.json,
            ])
            .during("insert a transcript line")?;
        seqs.push(seq);
    }
    Ok(seqs)
}
