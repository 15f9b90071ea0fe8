//! The run ledger: every run accepted, by id, and how it ended.
//!
//! A client that started a run and lost its connection before the outcome arrived — the
//! gateway was killed, the network dropped — asks for the run again by id (`agent.wait`, or
//! the same idempotency key) and gets an answer from here instead of silence, or instead of a
//! second run. A run whose process died before it ended is marked
//! [`interrupted`](RunState::Interrupted) by the next process that opens the ledger: its
//! `owner` names a process (id and start time) that no longer exists.
//!
//! Writes are queued on the database thread without waiting ([`Store::record_run_accepted`],
//! [`Store::record_run_ended`]): they are ordered with each other and with every other
//! operation of the same handle, and a turn never waits for its own bookkeeping.

use rusqlite::{OptionalExtension, params};

use crate::error::{SqliteContext, StoreError};
use crate::handle::Store;

/// Longest reply text kept for a finished run, in bytes; longer replies are cut at a character
/// boundary (the transcript has the whole text).
pub const MAX_LEDGER_REPLY_BYTES: usize = 64 * 1024;

/// How long an ended run stays in the ledger.
pub const LEDGER_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Accepted and not ended yet (queued or running).
    Accepted,
    /// Ended with the model's answer.
    Done,
    /// Ended by a model or tool failure.
    Failed,
    /// Stopped by a client, a newer message or a reset.
    Aborted,
    /// Stopped by the run timeout.
    TimedOut,
    /// The process running it stopped before it ended (a crash, SIGKILL, power loss): no reply
    /// was sent.
    Interrupted,
}

impl RunState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Accepted => "accepted",
            RunState::Done => "done",
            RunState::Failed => "failed",
            RunState::Aborted => "aborted",
            RunState::TimedOut => "timeout",
            RunState::Interrupted => "interrupted",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "accepted" => RunState::Accepted,
            "done" => RunState::Done,
            "failed" => RunState::Failed,
            "aborted" => RunState::Aborted,
            "timeout" => RunState::TimedOut,
            "interrupted" => RunState::Interrupted,
            _ => return None,
        })
    }

    /// Whether the run has ended (any state but [`RunState::Accepted`]).
    pub fn is_final(self) -> bool {
        self != RunState::Accepted
    }
}

/// One run as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// The run id (for gateway runs, the client's idempotency key).
    pub run_id: String,
    /// The session it belongs to.
    pub session_key: String,
    /// Where it stands.
    pub state: RunState,
    /// The error shown to the user, for runs that did not end with an answer.
    pub error: Option<String>,
    /// The reply text (at most [`MAX_LEDGER_REPLY_BYTES`]), for runs that answered.
    pub reply: Option<String>,
    /// When it was accepted, Unix milliseconds.
    pub accepted_ms: i64,
    /// When it ended, Unix milliseconds.
    pub ended_ms: Option<i64>,
    /// The process that ran it: `<pid>:<start time>`, as given by the recorder.
    pub owner: String,
}

impl Store {
    /// Queues "`run_id` of `session_key` was accepted by `owner` at `now_ms`". An ended run
    /// of the same id (an id reused after its outcome was given) is replaced; a run of that id
    /// still in flight keeps its record.
    pub fn record_run_accepted(&self, run_id: &str, session_key: &str, owner: &str, now_ms: i64) {
        let (run_id, key, owner) = (run_id.to_owned(), session_key.to_owned(), owner.to_owned());
        self.submit("record an accepted run", move |conn| {
            conn.execute(
                "INSERT INTO runs (run_id, session_key, state, accepted_ms, owner)
                 VALUES (?1, ?2, 'accepted', ?3, ?4)
                 ON CONFLICT (run_id) DO UPDATE SET
                    session_key = excluded.session_key, state = 'accepted', error = NULL,
                    reply = NULL, accepted_ms = excluded.accepted_ms, ended_ms = NULL,
                    owner = excluded.owner
                 WHERE runs.state != 'accepted'",
                params![run_id, key, now_ms, owner],
            )
            .during("record an accepted run")
            .map(drop)
        });
    }

    /// Queues "`run_id` ended in `state` at `now_ms`". Creates the record if the run was never
    /// recorded as accepted (a message answered without running a turn).
    #[allow(clippy::too_many_arguments)]
    pub fn record_run_ended(
        &self,
        run_id: &str,
        session_key: &str,
        owner: &str,
        state: RunState,
        error: Option<&str>,
        reply: Option<&str>,
        now_ms: i64,
    ) {
        let (run_id, key, owner) = (run_id.to_owned(), session_key.to_owned(), owner.to_owned());
        let error = error.map(str::to_owned);
        let reply = reply.map(|text| cut(text, MAX_LEDGER_REPLY_BYTES).to_owned());
        self.submit("record a run's end", move |conn| {
            conn.execute(
                "INSERT INTO runs (run_id, session_key, state, error, reply, accepted_ms, ended_ms, owner)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
                 ON CONFLICT (run_id) DO UPDATE SET
                    state = excluded.state, error = excluded.error, reply = excluded.reply,
                    ended_ms = excluded.ended_ms",
                params![run_id, key, state.as_str(), error, reply, now_ms, owner],
            )
            .during("record a run's end")
            .map(drop)
        });
    }

    /// The ledger's record of `run_id`, if it has one.
    pub async fn run_record(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let run_id = run_id.to_owned();
        self.run(move |conn| {
            conn.query_row(
                "SELECT run_id, session_key, state, error, reply, accepted_ms, ended_ms, owner
                 FROM runs WHERE run_id = ?1",
                [run_id],
                |row| {
                    let state: String = row.get(2)?;
                    Ok(RunRecord {
                        run_id: row.get(0)?,
                        session_key: row.get(1)?,
                        // The column's CHECK admits only the known words.
                        state: RunState::parse(&state).unwrap_or(RunState::Interrupted),
                        error: row.get(3)?,
                        reply: row.get(4)?,
                        accepted_ms: row.get(5)?,
                        ended_ms: row.get(6)?,
                        owner: row.get(7)?,
                    })
                },
            )
            .optional()
            .during("read a run record")
        })
        .await
    }

    /// Marks every run still `accepted` whose owner is not alive (by `is_alive`) as
    /// interrupted at `now_ms`, and forgets runs that ended more than a day ago. Returns the
    /// number of runs interrupted.
    pub async fn interrupt_orphaned_runs(
        &self,
        is_alive: impl Fn(&str) -> bool + Send + 'static,
        why: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let why = why.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction().during("begin the run ledger sweep")?;
            tx.execute(
                "DELETE FROM runs WHERE ended_ms IS NOT NULL AND ended_ms < ?1",
                [now_ms.saturating_sub(LEDGER_RETENTION_MS)],
            )
            .during("forget old runs")?;
            let owners: Vec<String> = {
                let mut statement = tx
                    .prepare("SELECT DISTINCT owner FROM runs WHERE state = 'accepted'")
                    .during("list unfinished runs")?;
                let rows = statement
                    .query_map([], |row| row.get::<_, String>(0))
                    .during("list unfinished runs")?;
                rows.collect::<Result<_, _>>()
                    .during("list unfinished runs")?
            };
            let mut interrupted = 0;
            for owner in owners.iter().filter(|owner| !is_alive(owner)) {
                interrupted += tx
                    .execute(
                        "UPDATE runs SET state = 'interrupted', error = ?1, ended_ms = ?2
                         WHERE state = 'accepted' AND owner = ?3",
                        params![why, now_ms, owner],
                    )
                    .during("mark interrupted runs")?;
            }
            tx.commit().during("commit the run ledger sweep")?;
            Ok(u64::try_from(interrupted).unwrap_or(u64::MAX))
        })
        .await
    }
}

/// `text` cut to at most `max` bytes at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_cut_at_a_character_boundary() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("héllo", 3), "hé");
        assert_eq!(cut("short", 64), "short");
    }

    #[test]
    fn every_state_round_trips_through_its_word() {
        for state in [
            RunState::Accepted,
            RunState::Done,
            RunState::Failed,
            RunState::Aborted,
            RunState::TimedOut,
            RunState::Interrupted,
        ] {
            assert_eq!(RunState::parse(state.as_str()), Some(state));
        }
        assert_eq!(RunState::parse("bogus"), None);
    }
}
