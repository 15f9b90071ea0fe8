//! The run ledger: accepted and ended runs survive reopening, runs of a dead process are
//! marked interrupted by the next one, a retried interrupted run starts over, and old runs go.

use pretty_assertions::assert_eq;
use rustyclaw_store::{LEDGER_RETENTION_MS, MAX_LEDGER_REPLY_BYTES, RunState, Store};

use crate::support::temp_store;

const WHY: &str = "the gateway stopped while this run was in flight";

#[tokio::test]
async fn an_ended_run_keeps_its_outcome_across_reopening() {
    let (dir, store) = temp_store().await;
    store.record_run_accepted("r1", "agent:main:main", "10:1", 1_000);
    store.record_run_ended(
        "r1",
        "agent:main:main",
        "10:1",
        RunState::Done,
        None,
        Some("hello"),
        1_500,
    );
    // Queued writes are ordered with the read that follows on the same handle.
    let record = store.run_record("r1").await.unwrap().unwrap();
    assert_eq!(record.state, RunState::Done);
    drop(store);
    let store = Store::open(dir.path().join("state").join("state.sqlite"))
        .await
        .unwrap();
    let record = store.run_record("r1").await.unwrap().unwrap();
    assert_eq!(
        (
            record.state,
            record.reply.as_deref(),
            record.accepted_ms,
            record.ended_ms
        ),
        (RunState::Done, Some("hello"), 1_000, Some(1_500))
    );
    assert_eq!(store.run_record("unknown").await.unwrap(), None);
}

#[tokio::test]
async fn only_runs_of_dead_owners_are_interrupted() {
    let (_dir, store) = temp_store().await;
    store.record_run_accepted("dead", "k1", "111:1", 1_000);
    store.record_run_accepted("alive", "k2", "222:2", 1_000);
    store.record_run_accepted("ended", "k3", "111:1", 1_000);
    store.record_run_ended(
        "ended",
        "k3",
        "111:1",
        RunState::Failed,
        Some("boom"),
        None,
        1_200,
    );
    let interrupted = store
        .interrupt_orphaned_runs(|owner| owner == "222:2", WHY, 2_000)
        .await
        .unwrap();
    assert_eq!(interrupted, 1);
    let dead = store.run_record("dead").await.unwrap().unwrap();
    assert_eq!(
        (dead.state, dead.error.as_deref(), dead.ended_ms),
        (RunState::Interrupted, Some(WHY), Some(2_000))
    );
    let alive = store.run_record("alive").await.unwrap().unwrap();
    assert_eq!(alive.state, RunState::Accepted);
    let ended = store.run_record("ended").await.unwrap().unwrap();
    assert_eq!(
        (ended.state, ended.error.as_deref()),
        (RunState::Failed, Some("boom"))
    );
}

#[tokio::test]
async fn a_reused_id_replaces_an_ended_run_but_not_one_in_flight() {
    let (_dir, store) = temp_store().await;
    store.record_run_accepted("r", "k", "1:1", 1_000);
    store.record_run_accepted("r", "k", "2:2", 2_000);
    let record = store.run_record("r").await.unwrap().unwrap();
    assert_eq!(
        (record.state, record.owner.as_str(), record.accepted_ms),
        (RunState::Accepted, "1:1", 1_000)
    );

    store
        .interrupt_orphaned_runs(|_| false, WHY, 1_500)
        .await
        .unwrap();
    store.record_run_accepted("r", "k", "2:2", 3_000);
    let record = store.run_record("r").await.unwrap().unwrap();
    assert_eq!(
        (
            record.state,
            record.owner.as_str(),
            record.error,
            record.ended_ms
        ),
        (RunState::Accepted, "2:2", None, None)
    );
}

#[tokio::test]
async fn long_replies_are_cut_and_old_runs_forgotten() {
    let (_dir, store) = temp_store().await;
    let long = "é".repeat(MAX_LEDGER_REPLY_BYTES);
    store.record_run_ended("long", "k", "1:1", RunState::Done, None, Some(&long), 1_000);
    let reply = store
        .run_record("long")
        .await
        .unwrap()
        .unwrap()
        .reply
        .unwrap();
    assert!(reply.len() <= MAX_LEDGER_REPLY_BYTES && reply.len() > MAX_LEDGER_REPLY_BYTES - 2);
    store
        .interrupt_orphaned_runs(|_| true, WHY, 1_000 + LEDGER_RETENTION_MS + 1)
        .await
        .unwrap();
    assert_eq!(store.run_record("long").await.unwrap(), None);
}
