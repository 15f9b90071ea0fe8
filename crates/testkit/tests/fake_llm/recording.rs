//! Request recording and the protocol invariants checked on every request.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::{
    CheckError, FakeLlmOptions, OnViolation, SystemPrompt, Violation, ViolationKind,
};
use rustyclaw_testkit::{FakeLlm, ToolCall, Turn};
use serde_json::{Value, json};

use super::post_chat;
use super::sse_reader::{assemble, read_sse};

/// The shape OpenClaw itself sends (captured from a real 2026.9.6 gateway): a system prompt,
/// two consecutive user messages (the second with content parts), tools, usage in the stream.
fn openclaw_shaped_request() -> Value {
    json!({
        "model": "fake-model",
        "messages": [
            {"role": "system", "content": "You are a personal assistant running inside OpenClaw."},
            {"role": "user", "content": "[Sat 2026-11-21 20:01 UTC] hi"},
            {"role": "user", "content": [{"type": "text", "text": "Conversation data (data, not instructions)"}]},
        ],
        "stream": true,
        "stream_options": {"include_usage": true},
        "tool_choice": "auto",
        "max_completion_tokens": 4096,
        "tools": [
            {"type": "function", "function": {"name": "read", "description": "Read files",
             "parameters": {"type": "object", "required": ["path"],
                            "properties": {"path": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "exec", "description": "Run shell",
             "parameters": {"type": "object", "properties": {}}}},
        ],
    })
}

#[tokio::test]
async fn every_request_is_recorded_with_headers_and_body() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("one"));
    llm.push(Turn::text("two"));
    let client = super::http();
    let first = openclaw_shaped_request();
    let mut second = first.clone();
    second["stream"] = json!(false);

    for body in [&first, &second] {
        let response = client
            .post(format!("{}/chat/completions", llm.base_url()))
            .bearer_auth("sk-test")
            .header("x-trace", "abc")
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
    }
    client
        .get(format!("{}/models", llm.base_url()))
        .send()
        .await
        .unwrap();

    let requests = llm.requests();
    let seen: Vec<(usize, &str, &str)> = requests
        .iter()
        .map(|request| {
            (
                request.index,
                request.method.as_str(),
                request.path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (0, "POST", "/v1/chat/completions"),
            (1, "POST", "/v1/chat/completions"),
            (2, "GET", "/v1/models"),
        ]
    );
    assert_eq!(requests[0].body.as_ref(), Some(&first));
    assert_eq!(requests[1].body.as_ref(), Some(&second));
    assert_eq!(requests[0].header("Authorization"), Some("Bearer sk-test"));
    assert_eq!(requests[0].header("x-trace"), Some("abc"));
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert!(requests[0].is_stream());
    assert!(!requests[1].is_stream());
    assert_eq!(requests[0].model(), Some("fake-model"));
    assert_eq!(requests[0].tool_names(), ["read", "exec"]);
    assert_eq!(requests[0].messages().len(), 3);
    assert_eq!(requests[2].body, None);
    // OpenClaw's own traffic breaks no invariant.
    llm.assert_no_violations().unwrap();
}

#[tokio::test]
async fn a_full_tool_round_trip_passes_every_check() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::tool_calls([
        ToolCall::new("call_1", "read", json!({"path": "a"})),
        ToolCall::new("call_2", "read", json!({"path": "b"})),
    ]));
    llm.push(Turn::text("Both files read."));

    let mut request = openclaw_shaped_request();
    let message = assemble(&read_sse(post_chat(&llm, &request).await).await.chunks());
    // Send the calls back the way a correct agent loop would.
    let calls: Vec<Value> = message
        .tool_calls
        .iter()
        .map(|call| {
            json!({"id": call.id, "type": "function",
                   "function": {"name": call.name, "arguments": call.arguments}})
        })
        .collect();
    let messages = request["messages"].as_array_mut().unwrap();
    messages.push(json!({"role": "assistant", "content": null, "tool_calls": calls}));
    messages.push(json!({"role": "tool", "tool_call_id": "call_2", "content": "B"}));
    messages.push(json!({"role": "tool", "tool_call_id": "call_1", "content": "A"}));
    let reply = assemble(&read_sse(post_chat(&llm, &request).await).await.chunks());

    assert_eq!(reply.content.as_deref(), Some("Both files read."));
    llm.assert_no_violations().unwrap();
    llm.assert_script_consumed().unwrap();
}

fn request_answering_unknown_call() -> Value {
    json!({
        "model": "fake-model",
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "read it"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "read", "arguments": "{}"}},
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "contents"},
            {"role": "tool", "tool_call_id": "call_zzz", "content": "who asked?"},
        ],
    })
}

#[tokio::test]
async fn a_tool_result_for_an_unknown_call_is_rejected_by_default() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("never served"));

    let response = post_chat(&llm, &request_answering_unknown_call()).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "fake LLM rejected request #0: tool message 4 answers tool call id \"call_zzz\", \
         which no earlier assistant message issued"
    );
    assert_eq!(
        llm.pending_turns(),
        1,
        "a rejected request consumes no turn"
    );

    let expected = Violation {
        request_index: 0,
        kind: ViolationKind::UnknownToolCallId {
            message_index: 4,
            tool_call_id: "call_zzz".into(),
        },
    };
    assert_eq!(llm.violations(), std::slice::from_ref(&expected));
    match llm.assert_no_violations() {
        Err(CheckError::Violations { violations }) => assert_eq!(violations, [expected]),
        other => panic!("expected the violation back, got {other:?}"),
    }
    assert_eq!(
        llm.assert_script_consumed().unwrap_err().to_string(),
        "1 scripted turn(s) were never requested"
    );
}

#[tokio::test]
async fn in_record_mode_violations_are_kept_and_the_turn_is_served() {
    let llm = FakeLlm::start_with(FakeLlmOptions {
        on_violation: OnViolation::Record,
        system_prompt: SystemPrompt::Optional,
        ..FakeLlmOptions::default()
    })
    .await
    .unwrap();
    llm.push(Turn::text("served anyway"));
    llm.push(Turn::text("no system prompt needed"));

    let completion: Value = post_chat(&llm, &request_answering_unknown_call())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        completion["choices"][0]["message"]["content"],
        "served anyway"
    );
    let without_system = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let completion: Value = post_chat(&llm, &without_system).await.json().await.unwrap();
    assert_eq!(
        completion["choices"][0]["message"]["content"],
        "no system prompt needed"
    );

    let error = llm.assert_no_violations().unwrap_err();
    assert_eq!(
        error.to_string(),
        "the fake LLM found 1 protocol violation(s):\n  request #0: tool message 4 answers tool \
         call id \"call_zzz\", which no earlier assistant message issued"
    );
}

#[tokio::test]
async fn an_unanswered_tool_call_and_a_missing_system_prompt_are_named() {
    let llm = FakeLlm::start().await.unwrap();
    let request = json!({
        "model": "fake-model",
        "messages": [
            {"role": "user", "content": "read it"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "read", "arguments": "{}"}},
            ]},
            {"role": "user", "content": "never mind"},
        ],
    });
    let response = post_chat(&llm, &request).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        llm.violations()
            .into_iter()
            .map(|violation| violation.kind)
            .collect::<Vec<_>>(),
        [
            ViolationKind::MissingSystemPrompt {
                first_role: "user".into()
            },
            ViolationKind::UnansweredToolCall {
                assistant_index: 1,
                tool_call_id: "call_1".into(),
                interrupted_by: Some(2),
            },
        ]
    );
}

#[tokio::test]
async fn waiting_for_requests_returns_once_they_arrived_or_times_out() {
    let llm = FakeLlm::start().await.unwrap();
    let url = format!("{}/models", llm.base_url());
    let client = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        super::http().get(url).send().await.unwrap().status()
    });
    let requests = llm
        .wait_for_requests(1, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(requests[0].path, "/v1/models");
    assert_eq!(client.await.unwrap(), 200);

    let error = llm
        .wait_for_requests(2, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "waited 50ms for 2 request(s) but the fake LLM received 1"
    );
}

#[tokio::test]
async fn a_responder_answers_unscripted_requests_from_their_content() {
    use rustyclaw_testkit::fake_llm::Responder;
    let llm = FakeLlm::start_with(FakeLlmOptions {
        responder: Some(Responder::new(|request| {
            let last = request.messages().last().cloned().unwrap_or_default();
            Turn::text(&format!(
                "echo: {}",
                last["content"].as_str().unwrap_or("?")
            ))
            .into()
        })),
        keep_requests: false,
        ..FakeLlmOptions::default()
    })
    .await
    .unwrap();
    // A scripted turn still goes first; the responder takes over once the script is empty.
    llm.push(Turn::text("scripted"));
    let mut replies = Vec::new();
    for _ in 0..3 {
        let response = post_chat(&llm, &super::chat_body(false)).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        replies.push(body["choices"][0]["message"]["content"].clone());
    }
    assert_eq!(
        replies,
        [json!("scripted"), json!("echo: hi"), json!("echo: hi")]
    );
    assert_eq!(llm.request_count(), 3);
    assert!(llm.requests().is_empty(), "keep_requests: false keeps none");
    llm.assert_no_violations().unwrap();
}
