//! Per-session lanes and queue modes.

use std::time::Duration;

use rustyclaw_agent::{EventKind, Op, RunStatus};
use rustyclaw_protocol::session_entry::QueueMode;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::json;

use super::harness::Harness;

fn last_user_text(body: &serde_json::Value) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn collect_coalesces_messages_that_arrive_during_a_run() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text_deltas(["slow ", "reply"]).chunk_delay(Duration::from_millis(300)));
    fake.push(Turn::text("Got both."));
    let mut h = Harness::start(&fake).await;
    let key = Harness::main_key();
    let first = Harness::inbound(&key, "first");
    let second = Harness::inbound(&key, "second");
    let third = Harness::inbound(&key, "third");
    let (r1, r2, r3) = (
        first.run_id.clone(),
        second.run_id.clone(),
        third.run_id.clone(),
    );
    h.runtime.submit(Op::Message(first)).unwrap();
    fake.wait_for_requests(1, Duration::from_secs(5))
        .await
        .unwrap();
    h.runtime.submit(Op::Message(second)).unwrap();
    h.runtime.submit(Op::Message(third)).unwrap();
    let (o1, _) = h.wait(&r1).await;
    assert_eq!(o1.reply_text().as_deref(), Some("slow reply"));
    let (o2, _) = h.wait(&r2).await;
    assert_eq!(o2.reply_text().as_deref(), Some("Got both."));
    let (o3, _) = h.wait(&r3).await;
    assert_eq!(
        o3.reply_text().as_deref(),
        Some("Got both."),
        "one turn answers both"
    );
    assert_eq!(fake.requests().len(), 2);
    let text = last_user_text(&fake.requests()[1].body.clone().unwrap());
    assert!(
        text.contains("Queued #1\nsecond") && text.contains("Queued #2\nthird"),
        "{text}"
    );
}

#[tokio::test]
async fn steer_injects_at_the_next_tool_boundary() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_s",
        "exec",
        json!({"command": "sleep 0.5; echo done"}),
    )]));
    fake.push(Turn::text("Adjusted."));
    let mut h = Harness::start(&fake).await;
    let key = Harness::main_key();
    let first = Harness::inbound(&key, "start work");
    let r1 = first.run_id.clone();
    h.runtime.submit(Op::Message(first)).unwrap();
    fake.wait_for_requests(1, Duration::from_secs(5))
        .await
        .unwrap();
    let mut steer = Harness::inbound(&key, "actually, use blue");
    steer.queue_mode = Some(QueueMode::Steer);
    let steered = steer.run_id.clone();
    let steered_end = h.runtime.watch_run(&steered);
    h.runtime.submit(Op::Message(steer)).unwrap();
    let (o1, _) = h.wait(&r1).await;
    assert_eq!(o1.status, RunStatus::Done);
    assert_eq!(fake.requests().len(), 2);
    let second = fake.requests()[1].body.clone().unwrap();
    assert_eq!(last_user_text(&second), "actually, use blue");
    // The steered message's run ends with the turn that took it in, for whoever waits on it
    // and in the run ledger.
    let o2 = tokio::time::timeout(Duration::from_secs(5), steered_end)
        .await
        .expect("the steered run never ended")
        .unwrap();
    assert_eq!(
        (o2.status, o2.reply_text().as_deref()),
        (RunStatus::Done, Some("Adjusted."))
    );
    let record = h.store.run_record(&steered.0).await.unwrap().unwrap();
    assert_eq!(record.state, rustyclaw_store::RunState::Done);
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn interrupt_aborts_the_running_turn_and_runs_the_newest() {
    let fake = FakeLlm::start().await.unwrap();
    let deltas: Vec<String> = (0..40).map(|i| format!("w{i} ")).collect();
    fake.push(Turn::text_deltas(deltas).chunk_delay(Duration::from_millis(50)));
    fake.push(Turn::text("New answer."));
    let mut h = Harness::start(&fake).await;
    let key = Harness::main_key();
    let first = Harness::inbound(&key, "long one");
    let r1 = first.run_id.clone();
    h.runtime.submit(Op::Message(first)).unwrap();
    fake.wait_for_requests(1, Duration::from_secs(5))
        .await
        .unwrap();
    let mut newer = Harness::inbound(&key, "never mind");
    newer.queue_mode = Some(QueueMode::Interrupt);
    let r2 = newer.run_id.clone();
    h.runtime.submit(Op::Message(newer)).unwrap();
    let (o1, _) = h.wait(&r1).await;
    assert_eq!(o1.status, RunStatus::Aborted);
    let (o2, events) = h.wait(&r2).await;
    assert_eq!(o2.reply_text().as_deref(), Some("New answer."));
    assert!(events.iter().any(|e| matches!(e, EventKind::Queued { .. })));
}

#[tokio::test]
async fn sessions_run_concurrently() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("a").response_delay(Duration::from_millis(400)));
    fake.push(Turn::text("b").response_delay(Duration::from_millis(400)));
    let mut h = Harness::start(&fake).await;
    let one = Harness::inbound(
        &rustyclaw_protocol::SessionKey::parse("agent:main:direct:one").unwrap(),
        "x",
    );
    let two = Harness::inbound(
        &rustyclaw_protocol::SessionKey::parse("agent:main:direct:two").unwrap(),
        "y",
    );
    let (r1, r2) = (one.run_id.clone(), two.run_id.clone());
    let started = std::time::Instant::now();
    h.runtime.submit(Op::Message(one)).unwrap();
    h.runtime.submit(Op::Message(two)).unwrap();
    h.wait(&r1).await;
    h.wait(&r2).await;
    assert!(
        started.elapsed() < Duration::from_millis(750),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_reply_sent_the_moment_a_turn_finishes_starts_without_the_collect_debounce() {
    let fake = FakeLlm::start().await.unwrap();
    for i in 0..20 {
        fake.push(Turn::text(&format!("reply {i}")));
    }
    // A debounce long enough that hitting it even once would show.
    let mut h = Harness::start_with(
        &fake,
        json!({"messages": {"queue": {"mode": "collect", "debounceMs": 2000}}}),
    )
    .await;
    let key = Harness::main_key();
    let started = std::time::Instant::now();
    for i in 0..20 {
        // Submitted as soon as the previous turn's outcome is announced: the lane may still
        // be closing, which must not make this message a "burst" to collect.
        let inbound = Harness::inbound(&key, &format!("message {i}"));
        let run = inbound.run_id.clone();
        h.runtime.submit(Op::Message(inbound)).unwrap();
        let (outcome, _) = h.wait(&run).await;
        assert_eq!(outcome.status, RunStatus::Done);
        assert_eq!(
            outcome.reply_text().as_deref(),
            Some(format!("reply {i}").as_str())
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "20 back-to-back turns took {:?}: some waited for the collect debounce",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_watched_run_delivers_its_outcome_to_every_watcher() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("watched reply"));
    let h = Harness::start(&fake).await;
    let key = Harness::main_key();
    let inbound = Harness::inbound(&key, "hello");
    let run = inbound.run_id.clone();
    // Registered before the submit, as a caller must, so the end cannot be missed.
    let first = h.runtime.watch_run(&run);
    let second = h.runtime.watch_run(&run);
    let abandoned = h.runtime.watch_run(&rustyclaw_agent::RunId::random());
    drop(abandoned);
    h.runtime.submit(Op::Message(inbound)).unwrap();
    for watcher in [first, second] {
        let outcome = tokio::time::timeout(Duration::from_secs(10), watcher)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(outcome.status, RunStatus::Done);
        assert_eq!(outcome.reply_text().as_deref(), Some("watched reply"));
    }
}

#[tokio::test]
async fn a_message_queued_to_run_alone_is_never_collected_with_others() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text_deltas(["slow ", "reply"]).chunk_delay(Duration::from_millis(300)));
    fake.push(Turn::text("About before."));
    fake.push(Turn::text("About after."));
    let mut h = Harness::start(&fake).await;
    let key = Harness::main_key();
    let first = Harness::inbound(&key, "first");
    let before = Harness::inbound(&key, "before");
    // What `sessions.compact` submits: a directive for the session, queued to run alone.
    let mut compact = Harness::inbound(&key, "/compact");
    compact.queue_mode = Some(QueueMode::Followup);
    let after = Harness::inbound(&key, "after");
    let (r1, r2, r3, r4) = (
        first.run_id.clone(),
        before.run_id.clone(),
        compact.run_id.clone(),
        after.run_id.clone(),
    );
    h.runtime.submit(Op::Message(first)).unwrap();
    fake.wait_for_requests(1, Duration::from_secs(5))
        .await
        .unwrap();
    for message in [before, compact, after] {
        h.runtime.submit(Op::Message(message)).unwrap();
    }
    h.wait(&r1).await;
    let (o2, _) = h.wait(&r2).await;
    assert_eq!(o2.reply_text().as_deref(), Some("About before."));
    let (o3, _) = h.wait(&r3).await;
    assert_eq!(o3.status, RunStatus::Done, "{o3:?}");
    let (o4, _) = h.wait(&r4).await;
    assert_eq!(o4.reply_text().as_deref(), Some("About after."));
    // The directive ran as a directive: neither turn around it saw it as a queued message.
    let asked: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| last_user_text(r.body.as_ref().unwrap()))
        .collect();
    assert_eq!(asked, ["first", "before", "after"], "{asked:?}");
}

#[tokio::test]
async fn clearing_the_queue_also_drops_messages_steered_into_the_turn() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text_deltas(["slow ", "reply"]).chunk_delay(Duration::from_millis(300)));
    let mut h = Harness::start(&fake).await;
    let key = Harness::main_key();
    let first = Harness::inbound(&key, "first");
    let mut steered = Harness::inbound(&key, "steered in");
    steered.queue_mode = Some(QueueMode::Steer);
    let (r1, r2) = (first.run_id.clone(), steered.run_id.clone());
    h.runtime.submit(Op::Message(first)).unwrap();
    fake.wait_for_requests(1, Duration::from_secs(5))
        .await
        .unwrap();
    h.runtime.submit(Op::Message(steered)).unwrap();
    h.runtime
        .submit(Op::Abort {
            session_key: key.clone(),
            run_id: None,
            clear_queue: true,
        })
        .unwrap();
    let (o1, _) = h.wait(&r1).await;
    assert_eq!(o1.status, RunStatus::Aborted);
    let (o2, _) = h.wait(&r2).await;
    assert_eq!(o2.status, RunStatus::Aborted, "{o2:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        fake.requests().len(),
        1,
        "the steered message ran after all"
    );
}
