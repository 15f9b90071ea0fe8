//! Durability across SIGKILL: a child process appends and acknowledges each commit on stdout;
//! the parent kills it at random points, then checks that every acknowledged entry survived and
//! nothing partial was stored.
//!
//! The child is this test binary itself, re-executed with a filter selecting
//! [`child_appends_until_killed`] (or, in [`inbound`], the channel journal's child) and an
//! environment variable naming the database. Run normally (without that variable), the child
//! tests return at once.

mod inbound;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustyclaw_protocol::{SessionId, TranscriptLine};
use rustyclaw_store::Store;

use crate::support::{header, id_of, session_id, temp_db, user_message};

/// Names the database the child appends to; set only on the child.
const CHILD_DB_ENV: &str = "RUSTYCLAW_STORE_KILL9_DB";
/// libtest filter selecting the child.
const CHILD_TEST: &str = "kill9::child_appends_until_killed";
const SESSION: &str = "kill9";
const ROUNDS: usize = 6;
/// Upper bound on the wait for a child's acknowledgements.
const ACK_TIMEOUT: Duration = Duration::from_secs(60);
/// The child stops by itself after this long, should the parent have died.
const CHILD_LIFETIME: Duration = Duration::from_secs(120);

/// xorshift64*: enough randomness to vary kill points, no dependency.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as u64);
        Self((nanos ^ u64::from(std::process::id())) | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

/// `ACK <seq> <entryId>` lines printed by the child after each commit returned.
fn parse_ack(line: &str) -> Option<(u64, String)> {
    let mut parts = line.strip_prefix("ACK ")?.split(' ');
    let seq = parts.next()?.parse().ok()?;
    let id = parts.next()?.to_owned();
    Some((seq, id))
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test re-executes its own binary to kill it; no untrusted command is run"
)]
fn spawn_child(db: &Path, test: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB_ENV, db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Runs the child `test` [`ROUNDS`] times on `db`, killing each after a random number of
/// acknowledgements (lines `parse` accepts) and a random delay, and returns every acknowledgement
/// it printed, those still in the pipe when it died included.
fn kill_rounds<T>(db: &Path, test: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    let mut rng = Rng::seeded();
    let mut acked = Vec::new();
    for round in 0..ROUNDS {
        let mut child = spawn_child(db, test);
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });

        // Let the child commit a random number of batches, then kill it after a random delay so
        // the kill lands anywhere in its loop, often inside a transaction.
        let wanted = 1 + rng.below(120);
        let deadline = Instant::now() + ACK_TIMEOUT;
        let mut seen = 0;
        while seen < wanted {
            let line = lines_rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("round {round}: the child stopped acknowledging"));
            if let Some(ack) = parse(&line) {
                acked.push(ack);
                seen += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(rng.below(5_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        // Acknowledgements already in the pipe when the child died count too.
        acked.extend(lines_rx.try_iter().filter_map(|line| parse(&line)));
    }
    acked
}

#[test]
fn sigkill_loses_no_acknowledged_entry() {
    let (_dir, path) = temp_db();
    let acked = kill_rounds(&path, CHILD_TEST, parse_ack);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::open(&path).await.unwrap();
        let report = store.integrity_check().await.unwrap();
        assert!(report.is_ok(), "{report:?}");

        // Every stored line parses completely (`transcript` fails on any that does not).
        let lines = store
            .transcript(&session_id(SESSION), 0, usize::MAX)
            .await
            .unwrap();
        assert!(lines[0].line.as_header().is_some());
        for (index, line) in lines.iter().enumerate() {
            assert_eq!(line.seq, index as u64 + 1, "seqs are contiguous");
        }
        for (seq, id) in &acked {
            let stored = &lines[usize::try_from(*seq).unwrap() - 1].line;
            assert_eq!(id_of(stored), id, "acknowledged entry at seq {seq}");
        }
        assert!(acked.len() >= ROUNDS);
        assert!(lines.len() > acked.len(), "the header is stored too");
    });
}

/// The child side: appends chained entries until killed, printing `ACK <seq> <id>` for each
/// entry only after its transaction committed.
#[tokio::test]
async fn child_appends_until_killed() {
    let Some(path) = std::env::var_os(CHILD_DB_ENV) else {
        return;
    };
    let store = Store::open(&path).await.unwrap();
    let session = session_id(SESSION);
    let mut parent = last_entry_id(&store, &session).await;
    let started = Instant::now();
    let mut n: u64 = 0;
    while started.elapsed() < CHILD_LIFETIME {
        // Batches of 1-3 entries, some large enough to span several database pages.
        let mut batch = Vec::new();
        for part in 0..=(n % 3) {
            let id = uuid::Uuid::new_v4().to_string();
            let text = if (n + part).is_multiple_of(4) {
                "x".repeat(20_000)
            } else {
                format!("entry {n}")
            };
            batch.push(user_message(&id, parent.as_deref(), &text));
            parent = Some(id);
        }
        let seqs = store.append_transcript(&session, &batch).await.unwrap();
        let mut stdout = std::io::stdout().lock();
        for (seq, line) in seqs.iter().zip(&batch) {
            writeln!(stdout, "ACK {seq} {}", id_of(line)).unwrap();
        }
        stdout.flush().unwrap();
        n += 1;
    }
}

/// The id of the last entry of the transcript, creating the transcript if it does not exist.
async fn last_entry_id(store: &Store, session: &SessionId) -> Option<String> {
    let len = store.transcript_len(session).await.unwrap();
    if len == 0 {
        store
            .append_transcript(session, &[header(session)])
            .await
            .unwrap();
        return None;
    }
    let last = store.transcript(session, len - 1, 1).await.unwrap();
    match &last[0].line {
        TranscriptLine::Session(_) => None,
        TranscriptLine::Entry(entry) => Some(entry.id.to_string()),
    }
}
