//! The one way to wait for a run: a waiter registered with `follow_run` or `watch_run` gets
//! its run's events and outcome even when a flood of other runs' events has left a broadcast
//! subscriber behind (it lost events, the end of the run among them).

use std::time::Duration;

use rustyclaw_agent::{EventKind, Op, RunStatus};
use rustyclaw_protocol::SessionKey;
use rustyclaw_testkit::fake_llm::{FakeLlm, FakeLlmOptions, Responder, Turn};
use tokio::sync::broadcast::error::TryRecvError;

use super::harness::Harness;

/// Deltas each flooding run streams; five runs are well past the broadcast's 8,192 events.
const DELTAS: usize = 2_500;

#[tokio::test]
async fn per_run_waiters_get_their_run_under_a_flood_that_lags_the_broadcast() {
    let deltas: Vec<String> = (0..DELTAS).map(|i| format!("{i} ")).collect();
    let fake = FakeLlm::start_with(FakeLlmOptions {
        responder: Some(Responder::always(Turn::text_deltas(deltas))),
        ..FakeLlmOptions::default()
    })
    .await
    .unwrap();
    let h = Harness::start(&fake).await;
    // Subscribed like the old waiters, and not read until the flood is over.
    let mut broadcast = h.runtime.subscribe();

    let mine = Harness::inbound(&Harness::main_key(), "follow me");
    let mut followed = h.runtime.follow_run(&mine.run_id);
    let mut others = Vec::new();
    for i in 0..5 {
        let key = SessionKey::parse(&format!("agent:main:flood-{i}")).unwrap();
        let inbound = Harness::inbound(&key, "flood");
        others.push(h.runtime.watch_run(&inbound.run_id));
        h.runtime.submit(Op::Message(inbound)).unwrap();
    }
    h.runtime.submit(Op::Message(mine)).unwrap();
    for ended in others {
        let outcome = tokio::time::timeout(Duration::from_secs(60), ended)
            .await
            .expect("a watched run never ended")
            .unwrap();
        assert_eq!(outcome.status, RunStatus::Done);
    }

    // Only now is the followed run read: every delta of it, in order, then its end.
    let mut text = String::new();
    let outcome = loop {
        match tokio::time::timeout(Duration::from_secs(60), followed.next())
            .await
            .expect("the followed run never ended")
        {
            Some(EventKind::AssistantDelta { delta }) => text.push_str(&delta),
            Some(EventKind::Finished(outcome)) => break outcome,
            Some(_) => {}
            None => panic!("the runtime went away"),
        }
    };
    assert_eq!(outcome.status, RunStatus::Done);
    assert_eq!(text.split_whitespace().count(), DELTAS);
    assert!(followed.next().await.is_none());

    // The broadcast subscriber did fall behind: what the per-run waiters replace.
    assert!(
        matches!(broadcast.try_recv(), Err(TryRecvError::Lagged(_))),
        "the flood was too small to lag a broadcast subscriber"
    );
}
