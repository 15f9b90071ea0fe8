use pretty_assertions::assert_eq;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::StopReason;
use serde_json::json;

use super::*;
use crate::formats::fixtures::{self, collected, decode_ndjson, image, plain, user, user_blocks};
use crate::model::WireFormat;

const API: WireFormat = WireFormat::Ollama;

fn target() -> Target {
    fixtures::target(API, "http://127.0.0.1:11434")
}

fn decoder(target: &Target) -> Decoder {
    Decoder::with_ids(target, CallIds::with_nonce("n".into()))
}

#[test]
fn a_whole_conversation_maps_onto_flat_messages() {
    let wire = build(&target(), &fixtures::conversation(API)).unwrap();
    assert_eq!(wire.url, "http://127.0.0.1:11434/api/chat");
    assert_eq!(wire.framing, Framing::NdJson);
    insta::assert_json_snapshot!("conversation", wire.body);
}

#[test]
fn an_openai_style_base_url_means_the_server_root() {
    for base in [
        "http://gpu-box:11434",
        "http://gpu-box:11434/",
        "http://gpu-box:11434/v1",
        "http://gpu-box:11434/v1/",
    ] {
        assert_eq!(chat_url(base), "http://gpu-box:11434/api/chat");
    }
}

#[test]
fn options_carry_limits_context_and_the_think_switch() {
    let mut request = ModelRequest::new("", vec![user("hi")]);
    let body = build(&target(), &request).unwrap().body;
    assert_eq!(body["think"], false);
    assert_eq!(
        body["options"],
        json!({"num_predict": 32000, "num_ctx": 200000})
    );
    assert_eq!(body["messages"], json!([{"role": "user", "content": "hi"}]));

    request.thinking = ThinkingLevel::Minimal;
    request.max_tokens = Some(100);
    request.temperature = Some(0.0);
    request.params.insert("keep_alive".into(), json!("10m"));
    let body = build(&target(), &request).unwrap().body;
    assert_eq!(body["think"], true);
    assert_eq!(
        body["options"],
        json!({"num_predict": 100, "temperature": 0.0, "num_ctx": 200000})
    );
    assert_eq!(body["keep_alive"], "10m");

    let body = build(&plain(target()), &request).unwrap().body;
    assert!(
        body.get("think").is_none(),
        "non-thinking models reject `think`"
    );
}

/// A response as Ollama streams it: thinking, content, a tool call, and the closing line.
const TOOL_STREAM: &str = r#"{"model":"qwen3:8b","created_at":"2025-06-01T10:00:00.1Z","message":{"role":"assistant","content":"","thinking":"Need the file."},"done":false}
{"model":"qwen3:8b","created_at":"2025-06-01T10:00:00.2Z","message":{"role":"assistant","content":"Reading"},"done":false}
{"model":"qwen3:8b","created_at":"2025-06-01T10:00:00.3Z","message":{"role":"assistant","content":" it."},"done":false}
{"model":"qwen3:8b","created_at":"2025-06-01T10:00:00.4Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"index":0,"name":"read","arguments":{"path":"a.txt"}}},{"function":{"index":1,"name":"read","arguments":{"path":"b.txt"}}}]},"done":false}
{"model":"qwen3:8b","created_at":"2025-06-01T10:00:00.5Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":123,"load_duration":4,"prompt_eval_count":310,"prompt_eval_duration":5,"eval_count":42,"eval_duration":6}
"#;

#[test]
fn a_recorded_stream_decodes_whatever_the_chunk_boundaries() {
    let target = target();
    let whole = decode_ndjson(&mut decoder(&target), TOOL_STREAM, usize::MAX).unwrap();
    assert_eq!(
        whole,
        [
            StreamEvent::ThinkingDelta("Need the file.".into()),
            StreamEvent::TextDelta("Reading".into()),
            StreamEvent::TextDelta(" it.".into()),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "call_n_1".into(),
                name: "read".into()
            },
            StreamEvent::ToolCallArgsDelta {
                index: 0,
                delta: "{\"path\":\"a.txt\"}".into()
            },
            StreamEvent::ToolCallEnd {
                index: 0,
                thought_signature: None
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: "call_n_2".into(),
                name: "read".into()
            },
            StreamEvent::ToolCallArgsDelta {
                index: 1,
                delta: "{\"path\":\"b.txt\"}".into()
            },
            StreamEvent::ToolCallEnd {
                index: 1,
                thought_signature: None
            },
            StreamEvent::Usage(TokenUsage {
                input: 310,
                output: 42,
                ..TokenUsage::default()
            }),
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    );
    for every in [1, 4, 17] {
        let split = decode_ndjson(&mut decoder(&target), TOOL_STREAM, every).unwrap();
        assert_eq!(split, whole, "split every {every} bytes");
    }
    assert_eq!(
        collected(&target, &whole)["content"],
        json!([
            {"type": "thinking", "thinking": "Need the file."},
            {"type": "text", "text": "Reading it."},
            {"type": "toolCall", "id": "call_n_1", "name": "read", "arguments": {"path": "a.txt"}},
            {"type": "toolCall", "id": "call_n_2", "name": "read", "arguments": {"path": "b.txt"}},
        ])
    );
}

#[test]
fn done_reasons_and_string_arguments() {
    let length = "{\"message\":{\"content\":\"abc\"},\"done\":false}\n{\"message\":{\"content\":\"\"},\"done\":true,\"done_reason\":\"length\",\"eval_count\":3}\n";
    let events = decode_ndjson(&mut decoder(&target()), length, usize::MAX).unwrap();
    assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::Length)));

    let text_arguments = "{\"message\":{\"content\":\"\",\"tool_calls\":[{\"id\":\"call_9\",\"function\":{\"name\":\"exec\",\"arguments\":\"{\\\"cmd\\\":\\\"ls\\\"}\"}}]},\"done\":true,\"unknown\":[1]}";
    let events = decode_ndjson(&mut decoder(&target()), text_arguments, usize::MAX).unwrap();
    assert_eq!(
        events[..2],
        [
            StreamEvent::ToolCallStart {
                index: 0,
                id: "call_9".into(),
                name: "exec".into()
            },
            StreamEvent::ToolCallArgsDelta {
                index: 0,
                delta: "{\"cmd\":\"ls\"}".into()
            },
        ]
    );
    assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::ToolUse)));
}

#[test]
fn a_stream_without_done_ends_without_stop() {
    let body = "{\"message\":{\"content\":\"Hel\"},\"done\":false}\n";
    let events = decode_ndjson(&mut decoder(&target()), body, 5).unwrap();
    assert_eq!(events, [StreamEvent::TextDelta("Hel".into())]);
}

#[test]
fn error_lines_and_garbage_fail_the_stream() {
    let body = "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"error\":\"model runner has unexpectedly stopped\"}\n";
    let error = decode_ndjson(&mut decoder(&target()), body, usize::MAX).unwrap_err();
    assert!(
        matches!(&error, ProviderError::Stream { message, code: None, .. }
            if message == "model runner has unexpectedly stopped"),
        "{error:?}"
    );
    for garbage in ["{\"message\":{\"content\":\"a", "[1]"] {
        let error = decode_ndjson(&mut decoder(&target()), garbage, usize::MAX).unwrap_err();
        assert!(
            matches!(error, ProviderError::Malformed { .. }),
            "{error:?}"
        );
    }
}

#[test]
fn a_user_photo_is_a_bare_base64_image_or_a_notice_for_text_only_models() {
    let request = ModelRequest::new(
        "",
        vec![user_blocks(vec![
            ContentBlock::text("What is this?"),
            image(),
        ])],
    );
    assert_eq!(
        build(&target(), &request).unwrap().body["messages"],
        json!([{"role": "user", "content": "What is this?", "images": ["iVBORw0KGgo="]}])
    );
    assert_eq!(
        build(&plain(target()), &request).unwrap().body["messages"],
        json!([{"role": "user", "content": format!("What is this?\n{IMAGE_OMITTED}")}])
    );
}
