//! OpenClaw JSONL import and export.
//!
//! Import validates every line with the protocol parser and the transcript invariants, then
//! stores each line's original text, so an export reproduces the file byte for byte (modulo blank
//! lines and `\r\n` endings, which are dropped). The file is read completely before the write
//! transaction starts, so a slow reader never holds the database's write lock, and a bad line
//! aborts the import with nothing written. Export pages through the transcript, so memory stays
//! bounded and the database thread is never blocked on a slow writer.

use rusqlite::TransactionBehavior;
use rustyclaw_protocol::transcript::TranscriptVersion;
use rustyclaw_protocol::{SessionEntry, SessionId, SessionKey, TranscriptError, TranscriptLine};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{SqliteContext, StoreError, TranscriptViolation};
use crate::handle::Store;
use crate::sessions::{read_session, write_session};
use crate::transcripts::{PreparedLine, insert_lines, last_seq, read_raw_lines};

/// Lines fetched per page while exporting.
const EXPORT_PAGE: usize = 256;

/// What [`Store::import_jsonl`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The session id from the file's header.
    pub session_id: SessionId,
    /// The header's format version.
    pub version: TranscriptVersion,
    /// Lines stored, header included.
    pub lines: u64,
    /// Whether the session key had no entry before (one was created).
    pub created_session: bool,
}

impl Store {
    /// Imports an OpenClaw transcript (`<sessionId>.jsonl`, header version 3 or 4) as the current
    /// transcript of `session_key`, in one transaction.
    ///
    /// The session id comes from the header. The key's entry is created (or, if it exists, its
    /// `sessionId` is set to the imported one); `updatedAt` becomes the time of the last line.
    /// Any invalid line aborts the import with its line number ([`StoreError::InvalidLine`] or
    /// [`StoreError::TranscriptRejected`]) and nothing is stored. Blank lines are skipped.
    pub async fn import_jsonl<R>(
        &self,
        session_key: &SessionKey,
        mut reader: R,
    ) -> Result<ImportReport, StoreError>
    where
        R: AsyncBufRead + Unpin,
    {
        let mut lines = Vec::new();
        let mut buffer = Vec::new();
        let mut line_number = 0;
        loop {
            buffer.clear();
            let read = reader
                .read_until(b'\n', &mut buffer)
                .await
                .map_err(|source| StoreError::Io {
                    operation: "read the transcript",
                    source,
                })?;
            if read == 0 {
                break;
            }
            line_number += 1;
            let text = std::str::from_utf8(&buffer).map_err(|error| StoreError::InvalidLine {
                line: line_number,
                source: TranscriptError::NotUtf8 {
                    valid_up_to: error.valid_up_to(),
                },
            })?;
            let text = text.trim_end_matches(['\n', '\r']);
            if !text.trim().is_empty() {
                lines.push((line_number, text.to_owned()));
            }
        }
        let session_key = session_key.clone();
        self.run(move |conn| import_lines(conn, &session_key, lines))
            .await
    }

    /// Writes the transcript of `session_id` to `writer` as JSONL, one stored line per line, and
    /// returns the number of lines written. Lines appended while the export runs are not included.
    pub async fn export_jsonl<W>(
        &self,
        session_id: &SessionId,
        writer: &mut W,
    ) -> Result<u64, StoreError>
    where
        W: AsyncWrite + Unpin,
    {
        let total = self.transcript_len(session_id).await?;
        if total == 0 {
            return Err(StoreError::NotFound {
                what: "transcript",
                id: session_id.to_string(),
            });
        }
        let write_failed = |source| StoreError::Io {
            operation: "write the transcript",
            source,
        };
        let mut written = 0;
        while written < total {
            let page_len = usize::try_from(total - written)
                .unwrap_or(usize::MAX)
                .min(EXPORT_PAGE);
            let id = session_id.clone();
            let page = self
                .run(move |conn| read_raw_lines(conn, &id, written, page_len))
                .await?;
            if page.is_empty() {
                // The transcript was deleted while we were exporting it.
                return Err(StoreError::NotFound {
                    what: "transcript",
                    id: session_id.to_string(),
                });
            }
            for (seq, json) in page {
                writer
                    .write_all(json.as_bytes())
                    .await
                    .map_err(write_failed)?;
                writer.write_all(b"\n").await.map_err(write_failed)?;
                written = seq;
            }
        }
        writer.flush().await.map_err(write_failed)?;
        Ok(written)
    }
}

/// Validates and stores an import (runs on the database thread).
fn import_lines(
    conn: &mut rusqlite::Connection,
    session_key: &SessionKey,
    raw_lines: Vec<(usize, String)>,
) -> Result<ImportReport, StoreError> {
    // Parse everything before taking the write lock. Errors come in line order: a first line
    // that is not a header is reported before a broken line further down.
    let mut prepared = Vec::with_capacity(raw_lines.len());
    let mut header = None;
    for (line, text) in raw_lines {
        let parsed = TranscriptLine::parse(&text)
            .map_err(|source| StoreError::InvalidLine { line, source })?;
        if prepared.is_empty() {
            let TranscriptLine::Session(first) = &parsed else {
                return Err(StoreError::TranscriptRejected {
                    line,
                    violation: TranscriptViolation::MissingHeader,
                });
            };
            header = Some((
                first.id.clone(),
                first.version,
                parse_unix_ms(&first.timestamp),
            ));
        }
        prepared.push((line, PreparedLine::new(&parsed, text)));
    }
    let Some((session_id, version, started_at)) = header else {
        return Err(StoreError::TranscriptRejected {
            line: 1,
            violation: TranscriptViolation::MissingHeader,
        });
    };
    let last_at = prepared
        .last()
        .and_then(|(_, line)| parse_unix_ms(line.timestamp()));

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .during("begin an import")?;
    if last_seq(&tx, &session_id)? > 0 {
        return Err(StoreError::TranscriptExists { session_id });
    }
    let lines = insert_lines(&tx, &session_id, prepared)?.len() as u64;

    let updated_at = last_at
        .or(started_at)
        .unwrap_or_else(rustyclaw_support::now_ms_i64);
    let existing = read_session(&tx, session_key)?;
    let created_session = existing.is_none();
    let entry = match existing {
        Some(mut entry) => {
            entry.session_id = session_id.clone();
            entry.updated_at = entry.updated_at.max(updated_at);
            entry
        }
        None => {
            let mut entry = SessionEntry::new(session_id.clone(), updated_at);
            entry.session_started_at = started_at;
            entry
        }
    };
    write_session(&tx, session_key, &entry)?;
    tx.commit().during("commit an import")?;
    Ok(ImportReport {
        session_id,
        version,
        lines,
        created_session,
    })
}

/// Parses an ISO-8601 transcript timestamp into Unix milliseconds.
fn parse_unix_ms(timestamp: &str) -> Option<i64> {
    let parsed =
        time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
            .ok()?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()
}
