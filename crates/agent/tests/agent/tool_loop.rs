//! The model ↔ tools loop end to end.

use std::time::Duration;

use rustyclaw_agent::{EventKind, Op, RunStatus};
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn, Usage};
use serde_json::{Value, json};

use super::harness::Harness;

#[tokio::test]
async fn a_plain_reply_is_streamed_persisted_then_announced() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text_deltas(["Hel", "lo ", "there."]).with_usage(Usage::new(120, 3)));
    let mut h = Harness::start(&fake).await;
    let (outcome, events) = h.send("hi").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(outcome.reply_text().as_deref(), Some("Hello there."));
    assert_eq!(outcome.usage.input, 120);
    let deltas: String = events
        .iter()
        .filter_map(|e| match e {
            EventKind::AssistantDelta { delta } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, "Hello there.");
    // The assistant entry is announced after the last delta: it is stored by then.
    let last_delta = events
        .iter()
        .rposition(|e| matches!(e, EventKind::AssistantDelta { .. }))
        .unwrap();
    let stored = events
        .iter()
        .position(
            |e| matches!(e, EventKind::EntryAppended { role: Some(r), .. } if r == "assistant"),
        )
        .unwrap();
    assert!(stored > last_delta);
    assert_eq!(h.roles().await, ["user", "assistant"]);

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let body = requests[0].body.clone().unwrap();
    let system = body["messages"][0]["content"].as_str().unwrap().to_owned();
    assert!(system.contains("Be brief."), "workspace AGENTS.md injected");
    assert!(system.contains("- read:"), "tool list in the prompt");
    assert_eq!(body["messages"][1]["content"], "hi");
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    for name in [
        "read",
        "write",
        "edit",
        "exec",
        "process",
        "web_fetch",
        "session_status",
    ] {
        assert!(tools.contains(&name), "{name} offered: {tools:?}");
    }
    fake.assert_no_violations().unwrap();

    let entry = h
        .store
        .get_session(&Harness::main_key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.model.as_deref(), Some("fake-model"));
    assert_eq!(entry.model_provider.as_deref(), Some("fake"));
    assert_eq!(entry.input_tokens, Some(120));
}

#[tokio::test]
async fn a_tool_round_trip_writes_reads_and_runs() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_w",
        "write",
        json!({"path": "notes/todo.txt", "content": "buy milk\n"}),
    )]));
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_r",
        "read",
        json!({"path": "notes/todo.txt"}),
    )]));
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_x",
        "exec",
        json!({"command": "wc -c notes/todo.txt"}),
    )]));
    fake.push(Turn::text("Saved, checked and counted."));
    let mut h = Harness::start(&fake).await;
    let (outcome, events) = h.send("note: buy milk").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(
        std::fs::read_to_string(h.workspace().join("notes/todo.txt")).unwrap(),
        "buy milk\n"
    );
    assert_eq!(
        h.roles().await,
        [
            "user",
            "assistant",
            "toolResult",
            "assistant",
            "toolResult",
            "assistant",
            "toolResult",
            "assistant"
        ]
    );
    let finished: Vec<(String, bool, String)> = events
        .iter()
        .filter_map(|e| match e {
            EventKind::ToolFinished {
                name,
                is_error,
                output,
                ..
            } => Some((name.clone(), *is_error, output.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 3);
    assert!(finished.iter().all(|(_, err, _)| !err), "{finished:?}");
    assert!(finished[1].2.contains("buy milk"));
    assert!(finished[2].2.contains('9'), "wc output: {}", finished[2].2);
    fake.assert_no_violations().unwrap();
    fake.assert_script_consumed().unwrap();
}

#[tokio::test]
async fn parallel_calls_all_run_and_are_answered_in_order() {
    let fake = FakeLlm::start().await.unwrap();
    // Each command prints when it started and ended (ns); overlapping spans prove the calls
    // ran at the same time, however loaded the machine is.
    let span =
        |name: &str| format!("echo {name} $(date +%s%N); sleep 0.3; echo {name} $(date +%s%N)");
    fake.push(Turn::tool_calls([
        ToolCall::new("call_a", "exec", json!({"command": span("A")})),
        ToolCall::new("call_b", "exec", json!({"command": span("B")})),
    ]));
    fake.push(Turn::text("Both done."));
    let mut h = Harness::start(&fake).await;
    let (outcome, _) = h.send("run both").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let second = fake.requests()[1].body.clone().unwrap();
    let messages = second["messages"].as_array().unwrap();
    let tool_messages: Vec<&Value> = messages.iter().filter(|m| m["role"] == "tool").collect();
    let results: Vec<&str> = tool_messages
        .iter()
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["call_a", "call_b"]);
    let span_of = |message: &Value, name: &str| -> (u128, u128) {
        let text = match &message["content"] {
            Value::String(text) => text.clone(),
            blocks => blocks
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        };
        let stamps: Vec<u128> = text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|pair| pair[0] == name)
            .filter_map(|pair| pair[1].parse().ok())
            .collect();
        assert_eq!(stamps.len(), 2, "{text}");
        (stamps[0], stamps[1])
    };
    let (a_start, a_end) = span_of(tool_messages[0], "A");
    let (b_start, b_end) = span_of(tool_messages[1], "B");
    assert!(
        a_start < b_end && b_start < a_end,
        "the calls ran one after the other: A {a_start}..{a_end}, B {b_start}..{b_end}"
    );
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn an_abort_mid_stream_stops_the_run_and_keeps_the_partial_reply() {
    let fake = FakeLlm::start().await.unwrap();
    let deltas: Vec<String> = (0..50).map(|i| format!("word{i} ")).collect();
    fake.push(Turn::text_deltas(deltas).chunk_delay(Duration::from_millis(50)));
    let mut h = Harness::start(&fake).await;
    let inbound = Harness::inbound(&Harness::main_key(), "tell me a long story");
    let run_id = inbound.run_id.clone();
    h.runtime.submit(Op::Message(inbound)).unwrap();
    // Wait for the first delta, then abort.
    loop {
        let event = h.events.recv().await.unwrap();
        if matches!(event.kind, EventKind::AssistantDelta { .. }) {
            break;
        }
    }
    let aborted_at = std::time::Instant::now();
    h.runtime
        .submit(Op::Abort {
            session_key: Harness::main_key(),
            run_id: Some(run_id.clone()),
            clear_queue: false,
        })
        .unwrap();
    let (outcome, _) = h.wait(&run_id).await;
    assert_eq!(outcome.status, RunStatus::Aborted);
    assert!(aborted_at.elapsed() < Duration::from_secs(1));
    let lines = h.transcript().await;
    let last: serde_json::Value =
        serde_json::from_str(&lines.last().unwrap().to_json().unwrap()).unwrap();
    assert_eq!(last["message"]["stopReason"], "aborted");
    assert!(
        last["message"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("word0")
    );
}

#[tokio::test]
async fn a_failing_primary_fails_over_to_the_fallback() {
    let primary = FakeLlm::start().await.unwrap();
    let fallback = FakeLlm::start().await.unwrap();
    primary.push(Turn::error(500).message("upstream exploded"));
    primary.push(Turn::error(500).message("upstream exploded"));
    primary.push(Turn::error(500).message("upstream exploded"));
    fallback.push(Turn::text("From the fallback."));
    let dir_extra = json!({
        "models": {"mode": "replace", "providers": {
            "fake": {"baseUrl": primary.base_url(), "api": "openai-completions", "apiKey": "sk-a", "models": [{"id": "fake-model"}]},
            "backup": {"baseUrl": fallback.base_url(), "api": "openai-completions", "apiKey": "sk-b", "models": [{"id": "fake-model"}]}
        }},
        "agents": {"defaults": {"model": {"primary": "fake/fake-model", "fallbacks": ["backup/fake-model"]}}}
    });
    let mut h = Harness::start_with(&primary, dir_extra).await;
    let (outcome, events) = h.send("hello").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(outcome.reply_text().as_deref(), Some("From the fallback."));
    assert_eq!(outcome.model.as_deref(), Some("backup/fake-model"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EventKind::Failover { .. })),
        "{events:?}"
    );
    assert_eq!(primary.requests().len(), 3, "primary retried twice");
    assert_eq!(fallback.requests().len(), 1);
}

#[tokio::test]
async fn a_rate_limited_key_rests_in_the_store_across_restarts() {
    let primary = FakeLlm::start().await.unwrap();
    let fallback = FakeLlm::start().await.unwrap();
    // Asks for a minute: longer than the retry policy waits, so the run fails over at once.
    primary.push(Turn::error(429).retry_after(Duration::from_secs(60)));
    fallback.push(Turn::text("fallback one"));
    fallback.push(Turn::text("fallback two"));
    let extra = json!({
        "models": {"mode": "replace", "providers": {
            "fake": {"baseUrl": primary.base_url(), "api": "openai-completions", "apiKey": "sk-a", "models": [{"id": "fake-model"}]},
            "backup": {"baseUrl": fallback.base_url(), "api": "openai-completions", "apiKey": "sk-b", "models": [{"id": "fake-model"}]}
        }},
        "agents": {"defaults": {"model": {"primary": "fake/fake-model", "fallbacks": ["backup/fake-model"]}}}
    });
    let mut h = Harness::start_with(&primary, extra).await;
    let (outcome, _) = h.send("one").await;
    assert_eq!(outcome.reply_text().as_deref(), Some("fallback one"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let rows = h.store.active_cooldowns(now).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].profile_id, "fake:default");
    assert_eq!(rows[0].reason, "rate_limit");
    assert!(rows[0].until_ms > now + 30_000);

    // A new runtime on the same store skips the resting key without asking it.
    let mut again = h.reopen().await;
    let (outcome, _) = again.send("two").await;
    assert_eq!(outcome.reply_text().as_deref(), Some("fallback two"));
    assert_eq!(
        primary.requests().len(),
        1,
        "the resting key was not called again"
    );
}

#[tokio::test]
async fn denied_tools_are_neither_offered_nor_run() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_x",
        "exec",
        json!({"command": "touch pwned"}),
    )]));
    fake.push(Turn::text("Could not."));
    let mut h = Harness::start_with(&fake, json!({"tools": {"deny": ["group:runtime"]}})).await;
    let (outcome, _) = h.send("run something").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let first = fake.requests()[0].body.clone().unwrap();
    let offered: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(
        !offered.contains(&"exec") && !offered.contains(&"process"),
        "{offered:?}"
    );
    assert!(offered.contains(&"read"));
    assert!(!h.workspace().join("pwned").exists());
    let second = fake.requests()[1].body.clone().unwrap().to_string();
    assert!(second.contains("does not exist"), "{second}");
}
