//! Bad model output and bad tool calls: handled, reported, transcript stays valid.

use rustyclaw_agent::RunStatus;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::{Value, json};

use super::harness::Harness;

/// The text of every tool message in the last request.
fn tool_texts(fake: &FakeLlm) -> Vec<String> {
    let last = fake.requests().last().unwrap().body.clone().unwrap();
    last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn a_malformed_response_fails_the_run_but_not_the_session() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::malformed());
    fake.push(Turn::text("Back to normal."));
    let mut h = Harness::start(&fake).await;
    let (outcome, _) = h.send("hi").await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(
        outcome.error.unwrap().contains("fake"),
        "names the provider"
    );
    let (outcome, _) = h.send("again").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(outcome.reply_text().as_deref(), Some("Back to normal."));
    // user, assistant(error), user, assistant
    assert_eq!(h.roles().await, ["user", "assistant", "user", "assistant"]);
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn unknown_tools_and_invalid_arguments_become_error_results() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::tool_calls([
        ToolCall::new("call_1", "teleport", json!({"to": "mars"})),
        ToolCall::new("call_2", "read", json!({"path": 5})),
        ToolCall::with_raw_arguments("call_3", "write", "{\"path\": \"a.txt\", \"content\": "),
    ]));
    fake.push(Turn::text("Sorry about that."));
    let mut h = Harness::start(&fake).await;
    let (outcome, _) = h.send("do things").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let texts = tool_texts(&fake);
    assert_eq!(texts.len(), 3);
    assert!(texts[0].contains("does not exist"), "{}", texts[0]);
    assert!(
        texts[1].contains("invalid arguments for read"),
        "{}",
        texts[1]
    );
    assert!(texts[2].contains("not a valid JSON object"), "{}", texts[2]);
    assert!(!h.workspace().join("a.txt").exists());
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn oversized_tool_output_is_capped() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_big",
        "exec",
        json!({"command": "head -c 3000000 /dev/zero | tr '\\0' 'a'"}),
    )]));
    fake.push(Turn::text("That was a lot of a's."));
    let mut h = Harness::start(&fake).await;
    let (outcome, _) = h.send("flood").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let texts = tool_texts(&fake);
    assert!(
        texts[0].chars().count() < 210_000,
        "capped: {} chars",
        texts[0].len()
    );
    assert!(texts[0].contains("aaaa"));
}

#[tokio::test]
async fn a_model_repeating_the_same_call_is_told_to_stop() {
    let fake = FakeLlm::start().await.unwrap();
    for i in 0..4 {
        fake.push(Turn::tool_calls([ToolCall::new(
            &format!("call_{i}"),
            "exec",
            json!({"command": "echo same"}),
        )]));
    }
    fake.push(Turn::text("Giving up."));
    let mut h = Harness::start(&fake).await;
    let (outcome, _) = h.send("loop").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let texts = tool_texts(&fake);
    assert!(texts[0].contains("same"));
    assert!(texts[3].contains("already made 3 times"), "{}", texts[3]);
}
