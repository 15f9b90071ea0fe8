use pretty_assertions::assert_eq;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{ContentBlock, StopReason, ThinkingContent};
use serde_json::{Map, json};

use super::*;
use crate::formats::fixtures::{
    self, assistant, call, collected, decode_sse, image, plain, result, thinking, user, user_blocks,
};
use crate::model::WireFormat;

const API: WireFormat = WireFormat::AnthropicMessages;

fn target() -> Target {
    fixtures::target(API, "https://api.anthropic.com")
}

fn request_body(target: &Target, request: &ModelRequest) -> Value {
    build(target, request).unwrap().body
}

#[test]
fn a_whole_conversation_maps_onto_alternating_messages() {
    let wire = build(&target(), &fixtures::conversation(API)).unwrap();
    assert_eq!(wire.url, "https://api.anthropic.com/v1/messages");
    assert_eq!(
        wire.headers,
        [("anthropic-version".to_owned(), "2023-06-01".to_owned())]
    );
    assert_eq!(wire.framing, Framing::Sse);
    insta::assert_json_snapshot!("conversation", wire.body);
}

#[test]
fn the_base_url_may_already_name_the_version() {
    for base in [
        "https://api.anthropic.com",
        "https://api.anthropic.com/",
        "https://api.anthropic.com/v1",
        "https://api.anthropic.com/v1/",
    ] {
        assert_eq!(messages_url(base), "https://api.anthropic.com/v1/messages");
    }
    assert_eq!(
        messages_url("https://proxy.example/anthropic"),
        "https://proxy.example/anthropic/v1/messages"
    );
}

#[test]
fn thinking_budgets_follow_the_level_and_fit_under_max_tokens() {
    let mut request = ModelRequest::new("s", vec![user("hi")]);
    request.temperature = Some(0.2);

    // Off: no thinking, the temperature is sent.
    let off = request_body(&target(), &request);
    assert_eq!(off["max_tokens"], 32_000);
    assert_eq!(off["temperature"], 0.2);
    assert!(off.get("thinking").is_none());

    // Medium on the model's own limit: the budget fits below the ceiling; no temperature.
    request.thinking = ThinkingLevel::Medium;
    let medium = request_body(&target(), &request);
    assert_eq!(
        medium["thinking"],
        json!({"type": "enabled", "budget_tokens": 8192})
    );
    assert_eq!(medium["max_tokens"], 32_000);
    assert!(medium.get("temperature").is_none());

    // An explicit answer limit gets the budget on top.
    request.thinking = ThinkingLevel::High;
    request.max_tokens = Some(2000);
    let high = request_body(&target(), &request);
    assert_eq!(high["thinking"]["budget_tokens"], 16384);
    assert_eq!(high["max_tokens"], 18384);

    // A small model shrinks the budget, and drops thinking below the API's minimum.
    let mut small = target();
    small.model.max_tokens = 6000;
    request.max_tokens = None;
    let shrunk = request_body(&small, &request);
    assert_eq!(shrunk["max_tokens"], 6000);
    assert_eq!(shrunk["thinking"]["budget_tokens"], 6000 - 1024);
    small.model.max_tokens = 1500;
    let none = request_body(&small, &request);
    assert!(none.get("thinking").is_none());
    assert_eq!(none["max_tokens"], 1500);

    // Models without reasoning never get thinking.
    let no_reasoning = request_body(&plain(target()), &request);
    assert!(no_reasoning.get("thinking").is_none());
}

#[test]
fn a_missing_output_limit_is_a_configuration_error() {
    let mut target = target();
    target.model.max_tokens = 0;
    let error = build(&target, &ModelRequest::new("s", vec![user("hi")])).unwrap_err();
    assert!(
        matches!(&error, ProviderError::InvalidRequest { detail, .. } if detail.contains("max_tokens")),
        "{error}"
    );
}

#[test]
fn params_are_merged_last() {
    let mut request = ModelRequest::new("s", vec![user("hi")]);
    request.params = Map::from_iter([
        ("max_tokens".to_owned(), json!(77)),
        ("top_k".to_owned(), json!(5)),
    ]);
    let body = request_body(&target(), &request);
    assert_eq!(body["max_tokens"], 77);
    assert_eq!(body["top_k"], 5);
}

#[test]
fn consecutive_roles_merge_and_the_cache_marker_follows_the_last_user_block() {
    let request = ModelRequest::new(
        "",
        vec![
            user("first"),
            user("   "),
            user("second"),
            assistant(
                API,
                None,
                vec![call("call|1", "read", json!("not an object"))],
                StopReason::ToolUse,
            ),
            result("call|1", "read", vec![ContentBlock::text("")], false),
            user("and now?"),
            assistant(
                API,
                None,
                vec![ContentBlock::text("Done.")],
                StopReason::Stop,
            ),
        ],
    );
    let body = request_body(&plain(target()), &request);
    assert!(
        body.get("system").is_none(),
        "an empty system prompt is not sent"
    );
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [
                {"type": "text", "text": "first"},
                {"type": "text", "text": "second"},
            ]},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_1", "name": "read", "input": {}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "is_error": false},
                {"type": "text", "text": "and now?"},
            ]},
            {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
        ])
    );

    // With the conversation ending on a user message, its last block is the breakpoint.
    let request = ModelRequest::new("s", vec![user("a"), user("b")]);
    let body = request_body(&target(), &request);
    assert_eq!(
        body["messages"][0]["content"][1],
        json!({"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}})
    );
    assert!(
        body["messages"][0]["content"][0]
            .get("cache_control")
            .is_none()
    );
}

#[test]
fn redacted_and_unsigned_thinking_are_replayed_safely() {
    let redacted = ContentBlock::Thinking(ThinkingContent {
        thinking: String::new(),
        thinking_signature: Some("opaque".into()),
        redacted: Some(true),
        other: Map::new(),
    });
    let request = ModelRequest::new(
        "s",
        vec![
            user("hi"),
            assistant(
                API,
                None,
                vec![
                    redacted.clone(),
                    thinking("unsigned", None),
                    ContentBlock::text("a"),
                ],
                StopReason::Stop,
            ),
            assistant(API, Some("other"), vec![redacted], StopReason::Stop),
            user("again"),
        ],
    );
    let body = request_body(&target(), &request);
    assert_eq!(
        body["messages"][1]["content"],
        json!([
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "text", "text": "unsigned"},
            {"type": "text", "text": "a"},
        ])
    );
}

/// A response as Anthropic streams it: thinking with a signature, text, a tool call whose
/// arguments arrive in fragments, keep-alive pings and unknown fields.
const TOOL_STREAM: &str = "event: message_start
data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-x\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,\"output_tokens\":2,\"service_tier\":\"standard\"}}}

event: content_block_start
data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}

event: ping
data: {\"type\": \"ping\"}

event: content_block_delta
data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me look\"}}

event: content_block_delta
data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\" at the file.\"}}

event: content_block_delta
data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIM\"}}

event: content_block_stop
data: {\"type\":\"content_block_stop\",\"index\":0}

event: content_block_start
data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}

event: content_block_delta
data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Reading \"}}

event: content_block_delta
data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"it now.\"}}

event: content_block_stop
data: {\"type\":\"content_block_stop\",\"index\":1}

event: content_block_start
data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"read\",\"input\":{}}}

event: content_block_delta
data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}

event: content_block_delta
data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\": \\\"a.\"}}

event: content_block_delta
data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"txt\\\"}\"}}

event: content_block_stop
data: {\"type\":\"content_block_stop\",\"index\":2}

event: message_delta
data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}

event: message_stop
data: {\"type\":\"message_stop\"}

";

#[test]
fn a_recorded_stream_decodes_whatever_the_chunk_boundaries() {
    let target = target();
    let whole = decode_sse(&mut Decoder::new(&target), TOOL_STREAM, usize::MAX).unwrap();
    let usage = |output| {
        StreamEvent::Usage(TokenUsage {
            input: 472,
            output,
            cache_read: 2000,
            cache_write: 100,
        })
    };
    assert_eq!(
        whole,
        [
            StreamEvent::ResponseId("msg_01".into()),
            usage(2),
            StreamEvent::ThinkingDelta("Let me look".into()),
            StreamEvent::ThinkingDelta(" at the file.".into()),
            StreamEvent::ThinkingSignature("EqQBCgIYAhIM".into()),
            StreamEvent::TextDelta("Reading ".into()),
            StreamEvent::TextDelta("it now.".into()),
            StreamEvent::ToolCallStart {
                index: 2,
                id: "toolu_01".into(),
                name: "read".into()
            },
            StreamEvent::ToolCallArgsDelta {
                index: 2,
                delta: "{\"path\": \"a.".into()
            },
            StreamEvent::ToolCallArgsDelta {
                index: 2,
                delta: "txt\"}".into()
            },
            StreamEvent::ToolCallEnd {
                index: 2,
                thought_signature: None
            },
            usage(89),
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    );
    for every in [1, 3, 7, 64] {
        let split = decode_sse(&mut Decoder::new(&target), TOOL_STREAM, every).unwrap();
        assert_eq!(split, whole, "split every {every} bytes");
    }
    assert_eq!(
        collected(&target, &whole),
        json!({
            "content": [
                {"type": "thinking", "thinking": "Let me look at the file.", "thinkingSignature": "EqQBCgIYAhIM"},
                {"type": "text", "text": "Reading it now."},
                {"type": "toolCall", "id": "toolu_01", "name": "read", "arguments": {"path": "a.txt"}},
            ],
            "usage": {"input": 472, "output": 89, "cacheRead": 2000, "cacheWrite": 100, "totalTokens": 2661},
            "stopReason": "toolUse",
            "responseId": "msg_01",
        })
    );
}

#[test]
fn stop_reasons_map_onto_the_transcript() {
    for (reason, expected) in [
        ("end_turn", StopReason::Stop),
        ("stop_sequence", StopReason::Stop),
        ("max_tokens", StopReason::Length),
        ("tool_use", StopReason::ToolUse),
        ("refusal", StopReason::Error),
        ("something_new", StopReason::Error),
    ] {
        let body = format!(
            "data: {{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"{reason}\"}},\"usage\":{{\"output_tokens\":3}}}}\n\n\
             data: {{\"type\":\"message_stop\"}}\n\n"
        );
        let events = decode_sse(&mut Decoder::new(&target()), &body, usize::MAX).unwrap();
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Stop(expected)),
            "{reason}"
        );
    }
}

#[test]
fn an_error_event_fails_the_stream_with_its_type() {
    let body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"usage\":{\"input_tokens\":5}}}\n\n\
                event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let error = decode_sse(&mut Decoder::new(&target()), body, 5).unwrap_err();
    let ProviderError::Stream {
        provider,
        message,
        code,
    } = &error
    else {
        panic!("unexpected error {error:?}");
    };
    assert_eq!(
        (provider.as_str(), message.as_str(), code.as_deref()),
        ("test", "Overloaded", Some("overloaded_error"))
    );
    assert_eq!(error.class(), crate::FailureClass::Overloaded);
}

#[test]
fn redacted_thinking_unknown_blocks_and_whole_inputs_are_handled() {
    let body = "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgB\"}}\n\n\
                data: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
                data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{}}}\n\n\
                data: {\"type\":\"content_block_stop\",\"index\":1}\n\n\
                data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"exec\",\"input\":{\"cmd\":\"ls\"}}}\n\n\
                data: {\"type\":\"content_block_stop\",\"index\":2}\n\n\
                data: {\"type\":\"brand_new_event\",\"whatever\":1}\n\n\
                data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n";
    let events = decode_sse(&mut Decoder::new(&target()), body, usize::MAX).unwrap();
    assert_eq!(
        events,
        [
            StreamEvent::RedactedThinking("EmwKAhgB".into()),
            StreamEvent::ToolCallStart {
                index: 2,
                id: "toolu_2".into(),
                name: "exec".into()
            },
            StreamEvent::ToolCallArgsDelta {
                index: 2,
                delta: "{\"cmd\":\"ls\"}".into()
            },
            StreamEvent::ToolCallEnd {
                index: 2,
                thought_signature: None
            },
            StreamEvent::Usage(TokenUsage {
                output: 9,
                ..TokenUsage::default()
            }),
            // The body ended after `message_delta`: the stop reason is all that was missing.
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    );
}

#[test]
fn a_stream_without_a_stop_reason_ends_without_stop() {
    let body = "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n";
    let events = decode_sse(&mut Decoder::new(&target()), body, 4).unwrap();
    assert_eq!(events, [StreamEvent::TextDelta("Hel".into())]);
}

#[test]
fn invalid_json_is_malformed() {
    let body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\n\n";
    let error = decode_sse(&mut Decoder::new(&target()), body, usize::MAX).unwrap_err();
    assert!(
        matches!(error, ProviderError::Malformed { .. }),
        "{error:?}"
    );
    let untyped = decode_sse(&mut Decoder::new(&target()), "data: {\"a\":1}\n\n", 3).unwrap_err();
    assert!(
        matches!(untyped, ProviderError::Malformed { .. }),
        "{untyped:?}"
    );
}

#[test]
fn a_user_photo_is_a_base64_image_block_or_a_notice_for_text_only_models() {
    // A photo sent without a caption: the user message is the image alone.
    let request = ModelRequest::new("s", vec![user_blocks(vec![image()])]);
    let cache = json!({"type": "ephemeral"});
    assert_eq!(
        request_body(&target(), &request)["messages"],
        json!([{"role": "user", "content": [{
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
            "cache_control": cache,
        }]}])
    );
    assert_eq!(
        request_body(&plain(target()), &request)["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": IMAGE_OMITTED, "cache_control": cache},
        ]}])
    );
}
