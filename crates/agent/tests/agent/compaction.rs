//! Compaction when the context nears the window, and on provider overflow errors.

use rustyclaw_agent::{EventKind, RunStatus};
use rustyclaw_protocol::TranscriptLine;
use rustyclaw_protocol::transcript::EntryBody;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn, Usage};
use serde_json::json;

use super::harness::Harness;

/// A small window, without the memory flush (its own test below turns it on).
fn small_window() -> serde_json::Value {
    json!({
        "models": {"mode": "replace", "providers": {"fake": {
            "api": "openai-completions",
            "apiKey": "sk-fake-test-key-0000",
            "models": [{"id": "fake-model", "contextWindow": 4000, "maxTokens": 512}]
        }}},
        "agents": {"defaults": {"compaction": {"memoryFlush": {"enabled": false}}}}
    })
}

fn with_base(fake: &FakeLlm, mut extra: serde_json::Value) -> serde_json::Value {
    extra["models"]["providers"]["fake"]["baseUrl"] = json!(fake.base_url());
    extra
}

async fn compaction_entries(h: &Harness) -> Vec<(String, u64)> {
    h.transcript()
        .await
        .into_iter()
        .filter_map(|l| match l {
            TranscriptLine::Entry(e) => match e.body {
                EntryBody::Compaction(c) => Some((c.summary, c.tokens_before)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_full_context_is_summarised_before_the_next_turn() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("Noted the long brief.").with_usage(Usage::new(3_600, 10)));
    fake.push(Turn::text(
        "SUMMARY: the user sent a long brief about the garden.",
    ));
    fake.push(Turn::text("Short answer."));
    let mut h = Harness::start_with(&fake, with_base(&fake, small_window())).await;
    let brief = format!("Brief: {}", "the garden needs water. ".repeat(250));
    let (first, _) = h.send(&brief).await;
    assert_eq!(first.status, RunStatus::Done);
    let (second, events) = h.send("and now?").await;
    assert_eq!(second.status, RunStatus::Done, "{:?}", second.error);
    assert!(
        events.iter().any(|e| matches!(
            e,
            EventKind::Compacted {
                tokens_before: 3_610
            }
        )),
        "{events:?}"
    );
    assert_eq!(
        compaction_entries(&h).await,
        [(
            "SUMMARY: the user sent a long brief about the garden.".to_owned(),
            3_610
        )]
    );
    // The summary request carries the old turn; the next request starts from the summary.
    let requests = fake.requests();
    let summary_request = requests[1].body.clone().unwrap().to_string();
    assert!(summary_request.contains("the garden needs water"));
    let next = requests[2].body.clone().unwrap();
    let messages = next["messages"].as_array().unwrap();
    assert!(
        messages[1]["content"]
            .as_str()
            .unwrap()
            .contains("SUMMARY: the user sent a long brief")
    );
    assert!(
        !next
            .to_string()
            .contains("the garden needs water. the garden")
    );
    assert_eq!(messages.last().unwrap()["content"], "and now?");
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn an_overflow_error_compacts_and_retries() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("First reply.").with_usage(Usage::new(1_500, 5)));
    fake.push(
        Turn::error(400)
            .message("This model's maximum context length is 4000 tokens.")
            .code("context_length_exceeded"),
    );
    fake.push(Turn::text("SUMMARY: earlier chat."));
    fake.push(Turn::text("Answer after compaction."));
    let mut h = Harness::start_with(&fake, with_base(&fake, small_window())).await;
    h.send(&format!("context: {}", "lorem ipsum ".repeat(450)))
        .await;
    let (outcome, _) = h.send("question").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(
        outcome.reply_text().as_deref(),
        Some("Answer after compaction.")
    );
    assert_eq!(compaction_entries(&h).await.len(), 1);
    fake.assert_script_consumed().unwrap();
}

#[tokio::test]
async fn the_compact_directive_compacts_on_demand() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("one").with_usage(Usage::new(1_500, 5)));
    fake.push(Turn::text("two").with_usage(Usage::new(1_600, 5)));
    fake.push(Turn::text("SUMMARY: two exchanges."));
    let mut h = Harness::start_with(&fake, with_base(&fake, small_window())).await;
    h.send(&"long message ".repeat(400)).await;
    h.send("second").await;
    let (outcome, events) = h.send("/compact keep numbers").await;
    assert_eq!(outcome.status, RunStatus::Done);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EventKind::Notice { text } if text.starts_with("Compacted"))),
        "{events:?}"
    );
    let summary_request = fake.requests()[2].body.clone().unwrap().to_string();
    assert!(summary_request.contains("keep numbers"));
}

#[tokio::test]
async fn before_compacting_a_silent_turn_saves_memories_and_leaves_no_trace() {
    use rustyclaw_testkit::fake_llm::ToolCall;
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("Noted the long brief.").with_usage(Usage::new(3_600, 10)));
    // The flush: the model writes a note, then says there is nothing more.
    fake.push(Turn::tool_calls([ToolCall::new(
        "f1",
        "write",
        json!({"path": "memory/flushed.md", "content": "- garden: water every evening\n"}),
    )]));
    fake.push(Turn::text("NO_REPLY"));
    fake.push(Turn::text("SUMMARY: a long garden brief."));
    fake.push(Turn::text("Short answer."));
    let mut extra = small_window();
    extra["agents"]["defaults"]["compaction"]["memoryFlush"]["enabled"] = json!(true);
    let mut h = Harness::start_with(&fake, with_base(&fake, extra)).await;
    let brief = format!("Brief: {}", "the garden needs water. ".repeat(250));
    h.send(&brief).await;
    let (second, events) = h.send("and now?").await;
    assert_eq!(second.status, RunStatus::Done, "{:?}", second.error);
    assert_eq!(second.reply_text().as_deref(), Some("Short answer."));
    assert_eq!(
        std::fs::read_to_string(h.workspace().join("memory/flushed.md")).unwrap(),
        "- garden: water every evening\n"
    );
    let requests = fake.requests();
    let flush = requests[1].body.clone().unwrap();
    let last = flush["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["content"]
            .as_str()
            .unwrap()
            .contains("Pre-compaction memory flush"),
        "{last}"
    );
    let offered: Vec<&str> = flush["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        offered,
        ["edit", "read", "write"],
        "only file tools during the flush"
    );
    // Nothing of the flush is in the transcript, nor announced.
    let stored = serde_json::to_string(&h.transcript().await).unwrap();
    assert!(
        !stored.contains("Pre-compaction memory flush") && !stored.contains("NO_REPLY"),
        "{stored}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, EventKind::ToolStarted { .. })),
        "{events:?}"
    );
    assert_eq!(compaction_entries(&h).await.len(), 1);
    fake.assert_no_violations().unwrap();
}
