//! Directives change the session without calling the model.

use rustyclaw_agent::{EventKind, RunStatus};
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};

use super::harness::Harness;

fn notice(events: &[EventKind]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            EventKind::Notice { text } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn directive_only_messages_are_answered_locally() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("ok"));
    let mut h = Harness::start(&fake).await;
    let (outcome, events) = h.send("/think high").await;
    assert_eq!(outcome.status, RunStatus::Done);
    assert_eq!(notice(&events), "Thinking level set to high.");
    let (_, events) = h.send("/queue followup").await;
    assert_eq!(notice(&events), "Queue mode set to followup.");
    let (_, events) = h.send("/think sideways").await;
    assert!(notice(&events).contains("unknown thinking level"));
    let (_, events) = h.send("/model nope/nothing").await;
    assert!(
        notice(&events).starts_with("Cannot use model"),
        "{}",
        notice(&events)
    );
    assert!(fake.requests().is_empty(), "no model call for directives");

    let (outcome, _) = h.send("hello").await;
    assert_eq!(outcome.status, RunStatus::Done);
    let entry = h
        .store
        .get_session(&Harness::main_key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        entry.thinking_level.as_ref().map(|t| t.as_str()),
        Some("high")
    );
    let (_, events) = h.send("/status").await;
    let status = notice(&events);
    assert!(status.contains("Session: agent:main:main"), "{status}");
    assert!(status.contains("Model: fake/fake-model"), "{status}");
    assert!(status.contains("Queue: followup"), "{status}");
}

#[tokio::test]
async fn new_starts_a_fresh_session_and_runs_the_rest() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("first"));
    fake.push(Turn::text("fresh"));
    let mut h = Harness::start(&fake).await;
    let (first, _) = h.send("remember 42").await;
    let (second, _) = h.send("/new what did I say?").await;
    assert_eq!(second.status, RunStatus::Done);
    assert_ne!(first.session_id, second.session_id);
    let request = fake.requests()[1].body.clone().unwrap();
    let messages = request["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "system + the new question only");
    assert_eq!(messages[1]["content"], "what did I say?");
}

#[tokio::test]
async fn reset_keeps_the_session_id_but_clears_the_context() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("first"));
    fake.push(Turn::text("after reset"));
    let mut h = Harness::start(&fake).await;
    let (first, _) = h.send("remember 42").await;
    let (_, events) = h.send("/reset").await;
    assert!(notice(&events).contains("reset"));
    let (third, _) = h.send("hello again").await;
    assert_eq!(first.session_id, third.session_id);
    let messages = fake.requests()[1].body.clone().unwrap()["messages"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(messages, 2);
}
