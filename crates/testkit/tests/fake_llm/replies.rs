//! Successful replies: plain JSON, streams, tool calls, usage, and byte-level delivery.

use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::FinishReason;
use rustyclaw_testkit::{FakeLlm, ToolCall, Turn, Usage};
use serde_json::{Value, json};

use super::sse_reader::{Assembled, AssembledCall, assemble, read_sse};
use super::{chat_body, post_chat, strip_id_and_created};

#[tokio::test]
async fn a_non_streaming_request_gets_one_chat_completion_object() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("Hello there!").with_usage(Usage::new(12, 3)));

    let response = post_chat(&llm, &chat_body(false)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "a plain request gets JSON, not SSE"
    );
    assert!(
        response.headers().get("content-length").is_some(),
        "sent in one piece"
    );
    let mut completion: Value = response.json().await.unwrap();
    strip_id_and_created(&mut completion);
    assert_eq!(
        completion,
        json!({
            "object": "chat.completion",
            "model": "fake-model",
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello there!",
                    "refusal": null,
                    "annotations": [],
                },
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": 12,
                "completion_tokens": 3,
                "total_tokens": 15,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fakellm0001",
        })
    );
    llm.assert_no_violations().unwrap();
    llm.assert_script_consumed().unwrap();
}

#[tokio::test]
async fn a_non_streaming_tool_call_carries_arguments_as_a_json_string() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(
        Turn::tool_calls([ToolCall::new("call_1", "read", json!({"path": "notes.md"}))])
            .with_model("other-model"),
    );

    let completion: Value = post_chat(&llm, &chat_body(false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(completion["model"], "other-model");
    assert_eq!(
        completion["choices"][0],
        json!({
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "refusal": null,
                "annotations": [],
                "tool_calls": [{
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "read", "arguments": "{\"path\":\"notes.md\"}"},
                }],
            },
            "logprobs": null,
            "finish_reason": "tool_calls",
        })
    );
}

#[tokio::test]
async fn a_streamed_reply_reassembles_into_the_scripted_text() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("The quick brown fox jumps."));

    let response = post_chat(&llm, &chat_body(true)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let transcript = read_sse(response).await;
    assert!(transcript.saw_done(), "the stream ends with [DONE]");
    assert_eq!(transcript.error, None);
    let chunks = transcript.chunks();

    // Role first (with empty content), one delta per word, then the finish reason alone.
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "", "refusal": null})
    );
    let deltas: Vec<&str> = chunks[1..chunks.len() - 1]
        .iter()
        .map(|chunk| chunk["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, ["The", " quick", " brown", " fox", " jumps."]);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["delta"], json!({}));
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    // All chunks of one reply share id, created and model; without include_usage no chunk
    // has a `usage` key.
    for chunk in &chunks {
        assert_eq!(chunk["id"], chunks[0]["id"]);
        assert_eq!(chunk["created"], chunks[0]["created"]);
        assert_eq!(chunk["model"], "fake-model");
        assert!(chunk.get("usage").is_none());
    }
    assert_eq!(
        assemble(&chunks),
        Assembled {
            role: Some("assistant".into()),
            content: Some("The quick brown fox jumps.".into()),
            tool_calls: vec![],
            finish_reason: Some("stop".into()),
            usage: None,
        }
    );
}

#[tokio::test]
async fn parallel_tool_call_deltas_reassemble_into_full_arguments() {
    let llm = FakeLlm::start().await.unwrap();
    let long_text = "a fairly long argument value that needs many fragments";
    llm.push(
        Turn::tool_calls([
            ToolCall::new("call_a", "read", json!({"path": "src/main.rs"})),
            ToolCall::new(
                "call_b",
                "write",
                json!({"path": "out.txt", "content": long_text}),
            ),
        ])
        .with_text("Let me look."),
    );

    let transcript = read_sse(post_chat(&llm, &chat_body(true)).await).await;
    let chunks = transcript.chunks();

    // Each call opens with index, id, type and name and empty arguments; the arguments follow
    // in several fragments that carry only the index.
    let deltas: Vec<&Value> = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert_eq!(
        deltas[0],
        &json!({"index": 0, "id": "call_a", "type": "function",
                "function": {"name": "read", "arguments": ""}})
    );
    let fragments_of_b = deltas
        .iter()
        .filter(|delta| delta["index"] == 1 && delta.get("id").is_none())
        .count();
    assert!(
        fragments_of_b > 5,
        "arguments arrive in fragments, got {fragments_of_b}"
    );

    assert_eq!(
        assemble(&chunks),
        Assembled {
            role: Some("assistant".into()),
            content: Some("Let me look.".into()),
            tool_calls: vec![
                AssembledCall {
                    id: "call_a".into(),
                    name: "read".into(),
                    arguments: r#"{"path":"src/main.rs"}"#.into(),
                },
                AssembledCall {
                    id: "call_b".into(),
                    name: "write".into(),
                    arguments: json!({"path": "out.txt", "content": long_text}).to_string(),
                },
            ],
            finish_reason: Some("tool_calls".into()),
            usage: None,
        }
    );
}

#[tokio::test]
async fn include_usage_adds_a_final_usage_chunk_with_empty_choices() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(
        Turn::text("ok")
            .with_usage(
                Usage::new(100, 2)
                    .with_cached_tokens(80)
                    .with_reasoning_tokens(1),
            )
            .with_finish_reason(FinishReason::Length),
    );
    let mut body = chat_body(true);
    body["stream_options"] = json!({"include_usage": true});

    let chunks = read_sse(post_chat(&llm, &body).await).await.chunks();
    let (usage_chunk, others) = chunks.split_last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["prompt_tokens"], 100);
    assert_eq!(usage_chunk["usage"]["completion_tokens"], 2);
    assert_eq!(usage_chunk["usage"]["total_tokens"], 102);
    assert_eq!(
        usage_chunk["usage"]["prompt_tokens_details"]["cached_tokens"],
        80
    );
    assert_eq!(
        usage_chunk["usage"]["completion_tokens_details"]["reasoning_tokens"],
        1
    );
    // Every other chunk says `usage: null` explicitly, as the real API does.
    assert!(
        others
            .iter()
            .all(|chunk| chunk["usage"].is_null() && chunk.get("usage").is_some())
    );
    assert_eq!(
        others.last().unwrap()["choices"][0]["finish_reason"],
        "length"
    );
}

#[tokio::test]
async fn unscripted_usage_is_estimated_from_the_sizes() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("four four four"));
    let body = chat_body(false);
    let completion: Value = post_chat(&llm, &body).await.json().await.unwrap();
    let sent = llm.requests()[0].raw_body.len() as u64;
    assert_eq!(completion["usage"]["prompt_tokens"], sent.div_ceil(4));
    assert_eq!(completion["usage"]["completion_tokens"], 4);
}

#[tokio::test]
async fn a_stream_split_every_few_bytes_still_parses() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(
        Turn::tool_calls([ToolCall::new(
            "call_1",
            "exec",
            json!({"command": "ls -la"}),
        )])
        .with_text("Running it.")
        .split_every(7),
    );

    let transcript = read_sse(post_chat(&llm, &chat_body(true)).await).await;
    assert!(
        transcript.chunk_sizes.iter().all(|&size| size <= 7),
        "the client received pieces of at most 7 bytes: {:?}",
        transcript.chunk_sizes
    );
    assert!(
        transcript.chunk_sizes.len() > 3 * transcript.events.len(),
        "events straddle many reads"
    );
    assert!(transcript.saw_done());
    assert_eq!(transcript.trailing, "");
    let message = assemble(&transcript.chunks());
    assert_eq!(message.content.as_deref(), Some("Running it."));
    assert_eq!(
        message.tool_calls,
        [AssembledCall {
            id: "call_1".into(),
            name: "exec".into(),
            arguments: r#"{"command":"ls -la"}"#.into(),
        }]
    );
}

#[tokio::test]
async fn a_split_non_streaming_body_still_parses_as_json() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text("split json").split_every(3));
    let response = post_chat(&llm, &chat_body(false)).await;
    let completion: Value = response.json().await.unwrap();
    assert_eq!(completion["choices"][0]["message"]["content"], "split json");
}

#[tokio::test]
async fn keep_alive_comments_are_interleaved_and_ignorable() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::text_deltas(["Hel", "lo"]).keep_alive());

    let transcript = read_sse(post_chat(&llm, &chat_body(true)).await).await;
    // role, two deltas, finish: four data events each preceded by a comment, then [DONE].
    assert_eq!(transcript.comments, 4);
    assert_eq!(transcript.events.len(), 5);
    assert_eq!(
        assemble(&transcript.chunks()).content.as_deref(),
        Some("Hello")
    );
}

#[tokio::test]
async fn a_slow_stream_spaces_its_chunks_out() {
    let llm = FakeLlm::start().await.unwrap();
    let delay = Duration::from_millis(60);
    llm.push(Turn::text_deltas(["a", "b"]).chunk_delay(delay));

    let started = Instant::now();
    let mut response = post_chat(&llm, &chat_body(true)).await;
    let mut arrivals = Vec::new();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        arrivals.push(started.elapsed());
        body.extend_from_slice(&chunk);
    }
    // role, "a", "b", finish, [DONE]: five writes with a delay before each but the first.
    assert_eq!(arrivals.len(), 5, "one write per event");
    let spread = *arrivals.last().unwrap() - arrivals[0];
    assert!(
        spread >= delay * 4,
        "the last chunk came {spread:?} after the first"
    );
    let text = String::from_utf8(body).unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn a_malformed_reply_does_not_parse_in_either_mode() {
    let llm = FakeLlm::start().await.unwrap();
    llm.push(Turn::malformed());
    llm.push(Turn::malformed());
    llm.push(Turn::malformed_body("not even close"));

    let response = post_chat(&llm, &chat_body(false)).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("{\"id\":\"chatcmpl-"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());

    let transcript = read_sse(post_chat(&llm, &chat_body(true)).await).await;
    assert_eq!(transcript.events.len(), 1);
    assert!(serde_json::from_str::<Value>(&transcript.events[0]).is_err());
    assert!(!transcript.saw_done());

    let response = post_chat(&llm, &chat_body(true)).await;
    assert_eq!(response.text().await.unwrap(), "not even close");
}

#[tokio::test]
async fn the_models_endpoint_lists_the_configured_models() {
    let llm = FakeLlm::start().await.unwrap();
    let list: Value = super::http()
        .get(format!("{}/models", llm.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"][0]["id"], "fake-model");
    assert_eq!(list["data"][0]["object"], "model");
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}
