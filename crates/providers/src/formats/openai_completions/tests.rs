use pretty_assertions::assert_eq;
use rustyclaw_config::Secret;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, ImageContent, MessageContent, StopReason,
    ThinkingContent, ToolCall, ToolResultMessage, Usage, UserMessage,
};
use serde_json::{Map, Value, json};

use super::*;
use crate::event::Collected;
use crate::formats::fixtures::{self, decode_sse};
use crate::model::{AuthStyle, Credential, Pricing, WireFormat};
use crate::request::ToolSpec;

fn target(base_url: &str, id: &str, reasoning: bool) -> Target {
    Target {
        model: ModelSpec {
            provider: "acme".into(),
            id: id.into(),
            name: id.into(),
            api: WireFormat::OpenaiCompletions,
            base_url: base_url.into(),
            reasoning,
            input: vec![Modality::Text, Modality::Image],
            context_window: 128_000,
            max_tokens: 4096,
            cost: Pricing::default(),
            headers: Default::default(),
        },
        credential: Credential {
            profile_id: "acme:default".into(),
            key: Some(Secret::from("sk-test")),
            auth: AuthStyle::Bearer,
        },
    }
}

fn user(text: &str) -> AgentMessage {
    AgentMessage::User(UserMessage::new(MessageContent::Text(text.into()), 1))
}

fn image() -> ImageContent {
    ImageContent {
        data: "AAAA".into(),
        mime_type: "image/png".into(),
        other: Map::new(),
    }
}

fn call(id: &str, name: &str, arguments: Value) -> ContentBlock {
    ContentBlock::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments,
        thought_signature: None,
        other: Map::new(),
    })
}

fn thinking(text: &str, signature: Option<&str>) -> ContentBlock {
    ContentBlock::Thinking(ThinkingContent {
        thinking: text.into(),
        thinking_signature: signature.map(Into::into),
        redacted: None,
        other: Map::new(),
    })
}

fn assistant(model: &str, content: Vec<ContentBlock>, stop: StopReason) -> AgentMessage {
    AgentMessage::Assistant(AssistantMessage::new(
        content,
        "openai-completions".into(),
        "acme".into(),
        model.into(),
        Usage::default(),
        stop,
        2,
    ))
}

fn result(id: &str, content: Vec<ContentBlock>) -> AgentMessage {
    AgentMessage::ToolResult(ToolResultMessage::new(
        id.into(),
        "read".into(),
        content,
        false,
        3,
    ))
}

fn read_tool() -> ToolSpec {
    ToolSpec {
        name: "read".into(),
        description: "Read a file.".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
    }
}

#[test]
fn a_tool_round_trip_conversation_maps_onto_chat_messages() {
    let target = target("http://localhost:8000/v1/", "local-model", false);
    let mut request = ModelRequest::new(
        "You are terse.",
        vec![
            user("Look at these."),
            AgentMessage::User(UserMessage::new(
                MessageContent::Blocks(vec![
                    ContentBlock::text("this one"),
                    ContentBlock::Image(image()),
                ]),
                1,
            )),
            assistant(
                "local-model",
                vec![
                    ContentBlock::text("Reading both."),
                    call("call_a", "read", json!({"path": "a.txt"})),
                    call("call_b|fc_1", "read", json!({"path": "b.png"})),
                ],
                StopReason::ToolUse,
            ),
            result("call_a", vec![ContentBlock::text("alpha")]),
            result("call_b|fc_1", vec![ContentBlock::Image(image())]),
        ],
    );
    request.tools = vec![read_tool()];
    request.temperature = Some(0.2);

    let wire = build(&target, &request).unwrap();
    assert_eq!(wire.url, "http://localhost:8000/v1/chat/completions");
    assert_eq!(wire.framing, Framing::Sse);
    assert!(wire.headers.is_empty());
    assert_eq!(
        wire.body,
        json!({
            "model": "local-model",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Look at these."},
                {"role": "user", "content": [
                    {"type": "text", "text": "this one"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ]},
                {"role": "assistant", "content": "Reading both.", "tool_calls": [
                    {"id": "call_a", "type": "function",
                     "function": {"name": "read", "arguments": "{\"path\":\"a.txt\"}"}},
                    {"id": "call_b", "type": "function",
                     "function": {"name": "read", "arguments": "{\"path\":\"b.png\"}"}},
                ]},
                {"role": "tool", "tool_call_id": "call_a", "content": "alpha"},
                {"role": "tool", "tool_call_id": "call_b", "content": "(see attached image)"},
                {"role": "user", "content": [
                    {"type": "text", "text": "Attached image(s) from tool result:"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ]},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_tokens": 4096,
            "temperature": 0.2,
            "tools": [{"type": "function", "function": {
                "name": "read",
                "description": "Read a file.",
                "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
            }}],
        })
    );
}

#[test]
fn openai_reasoning_models_get_the_developer_role_and_openai_only_fields() {
    let target = target("https://api.openai.com/v1", "gpt-5.4", true);
    let mut request = ModelRequest::new("sys", vec![user("hi")]);
    request.thinking = ThinkingLevel::Xhigh;
    request.max_tokens = Some(1000);
    request.cache_key = Some("session-1".into());
    request
        .params
        .insert("max_completion_tokens".into(), json!(50));
    request.params.insert("service_tier".into(), json!("flex"));

    let body = build(&target, &request).unwrap().body;
    assert_eq!(
        body,
        json!({
            "model": "gpt-5.4",
            "messages": [
                {"role": "developer", "content": "sys"},
                {"role": "user", "content": "hi"},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            // `params` come last and win.
            "max_completion_tokens": 50,
            "reasoning_effort": "xhigh",
            "store": false,
            "prompt_cache_key": "session-1",
            "service_tier": "flex",
        })
    );
}

#[test]
fn reasoning_effort_follows_the_thinking_level_and_the_model() {
    let effort = |id: &str, reasoning: bool, level: ThinkingLevel| {
        reasoning_effort(&target("https://x/v1", id, reasoning).model, &level)
    };
    assert_eq!(effort("gpt-5.2", true, ThinkingLevel::Xhigh), Some("xhigh"));
    assert_eq!(
        effort("gpt-5.10-mini", true, ThinkingLevel::Xhigh),
        Some("xhigh")
    );
    assert_eq!(effort("gpt-5", true, ThinkingLevel::Xhigh), Some("high"));
    assert_eq!(effort("gpt-5.1", true, ThinkingLevel::Xhigh), Some("high"));
    assert_eq!(effort("o3", true, ThinkingLevel::Minimal), Some("minimal"));
    assert_eq!(effort("o3", true, ThinkingLevel::Off), None);
    assert_eq!(effort("gpt-4.1", false, ThinkingLevel::High), None);
    assert_eq!(effort("o3", true, ThinkingLevel::from("adaptive")), None);
}

#[test]
fn thinking_is_echoed_to_its_own_model_only() {
    let target = target("http://localhost/v1", "deepseek-r", true);
    let request = ModelRequest::new(
        "",
        vec![
            user("q1"),
            assistant(
                "deepseek-r",
                vec![
                    thinking("step one", Some("reasoning_content")),
                    ContentBlock::text("a1"),
                ],
                StopReason::Stop,
            ),
            user("q2"),
            assistant(
                "other-model",
                vec![
                    thinking("their reasoning", Some("sig-from-elsewhere")),
                    thinking("   ", None),
                    ContentBlock::text("a2"),
                ],
                StopReason::Stop,
            ),
            assistant(
                "deepseek-r",
                vec![thinking("only thinking, nothing said", Some("opaque"))],
                StopReason::Stop,
            ),
        ],
    );
    let body = build(&target, &request).unwrap().body;
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": "q1"},
            {"role": "assistant", "content": "a1", "reasoning_content": "step one"},
            {"role": "user", "content": "q2"},
            {"role": "assistant", "content": "their reasoning\n\na2"},
        ])
    );
}

#[test]
fn images_are_replaced_by_a_notice_for_text_only_models() {
    let mut target = target("http://localhost/v1", "m", false);
    target.model.input = vec![Modality::Text];
    let request = ModelRequest::new(
        "s",
        vec![
            AgentMessage::User(UserMessage::new(
                MessageContent::Blocks(vec![ContentBlock::Image(image())]),
                1,
            )),
            assistant(
                "m",
                vec![call("c1", "read", json!({}))],
                StopReason::ToolUse,
            ),
            result(
                "c1",
                vec![ContentBlock::text("see"), ContentBlock::Image(image())],
            ),
        ],
    );
    let body = build(&target, &request).unwrap().body;
    assert_eq!(
        body["messages"][1]["content"],
        json!([{"type": "text", "text": IMAGE_OMITTED}])
    );
    assert_eq!(
        body["messages"][3],
        json!({"role": "tool", "tool_call_id": "c1", "content": format!("see\n{IMAGE_OMITTED}")})
    );
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(4));
}

#[test]
fn a_model_without_base_url_cannot_be_called() {
    let target = target("", "m", false);
    let error = build(&target, &ModelRequest::new("s", vec![user("x")])).unwrap_err();
    assert!(
        matches!(&error, ProviderError::InvalidRequest { detail, .. } if detail.contains("acme/m")),
        "{error}"
    );
}

#[test]
fn only_openai_itself_is_recognised_as_openai() {
    assert!(is_openai_host("https://api.openai.com/v1"));
    assert!(is_openai_host("https://API.openai.com:443/v1"));
    assert!(!is_openai_host("https://api.openai.com.evil.example/v1"));
    assert!(!is_openai_host("https://openrouter.ai/api/v1"));
    assert!(!is_openai_host("http://127.0.0.1:1234/v1"));
}

fn decode(body: &str, piece: usize) -> Result<Vec<StreamEvent>, ProviderError> {
    let mut decoder = Decoder::new(&target("https://api.openai.com/v1", "gpt", false));
    decode_sse(&mut decoder, body, piece)
}

/// A stream as OpenAI sends it, with a keep-alive comment, unknown fields and an empty-choices
/// chunk thrown in.
const TOOL_STREAM: &str = concat!(
    ": keep-alive\n\n",
    r#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt","system_fingerprint":"fp","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"xyz"}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"Let me "},"finish_reason":null}]}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"check."},"finish_reason":null}]}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"read","arguments":""}}]},"finish_reason":null}]}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"exec","arguments":"{\"cmd\""}}]},"finish_reason":null}]}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"path\":"}}]},"finish_reason":null}]}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[]}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"a.txt\"}"}},{"index":1,"function":{"arguments":":\"ls\"}"}}]},"finish_reason":null}]}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":60}}}"#,
    "\n\n",
    "data: [DONE]\n\n",
);

fn tool_stream_events() -> Vec<StreamEvent> {
    let args = |index: usize, delta: &str| StreamEvent::ToolCallArgsDelta {
        index,
        delta: delta.into(),
    };
    let end = |index: usize| StreamEvent::ToolCallEnd {
        index,
        thought_signature: None,
    };
    vec![
        StreamEvent::ResponseId("chatcmpl-1".into()),
        StreamEvent::TextDelta("Let me ".into()),
        StreamEvent::TextDelta("check.".into()),
        StreamEvent::ToolCallStart {
            index: 0,
            id: "call_a".into(),
            name: "read".into(),
        },
        StreamEvent::ToolCallStart {
            index: 1,
            id: "call_b".into(),
            name: "exec".into(),
        },
        args(1, "{\"cmd\""),
        args(0, "{\"path\":"),
        args(0, "\"a.txt\"}"),
        args(1, ":\"ls\"}"),
        StreamEvent::Usage(TokenUsage {
            input: 40,
            output: 20,
            cache_read: 60,
            cache_write: 0,
        }),
        end(0),
        end(1),
        StreamEvent::Stop(StopReason::ToolUse),
    ]
}

#[test]
fn a_recorded_tool_stream_decodes_into_ordered_events() {
    assert_eq!(
        decode(TOOL_STREAM, TOOL_STREAM.len()).unwrap(),
        tool_stream_events()
    );
}

#[test]
fn splitting_the_stream_anywhere_changes_nothing() {
    for piece in [1, 2, 3, 7, 64] {
        assert_eq!(
            decode(TOOL_STREAM, piece).unwrap(),
            tool_stream_events(),
            "pieces of {piece} bytes"
        );
    }
}

#[test]
fn the_events_collect_into_an_assistant_message_with_parsed_arguments() {
    let mut collected = Collected::new();
    for event in decode(TOOL_STREAM, 5).unwrap() {
        collected.push(&event);
    }
    let model = target("https://api.openai.com/v1", "gpt", false).model;
    let (message, malformed) = collected.finish(&model, 9, None);
    assert!(malformed.is_empty());
    assert_eq!(message.stop_reason, StopReason::ToolUse);
    assert_eq!(message.response_id.as_deref(), Some("chatcmpl-1"));
    assert_eq!(message.usage.input, 40);
    assert_eq!(message.usage.cache_read, 60);
    assert_eq!(
        serde_json::to_value(&message.content).unwrap(),
        json!([
            {"type": "text", "text": "Let me check."},
            {"type": "toolCall", "id": "call_a", "name": "read", "arguments": {"path": "a.txt"}},
            {"type": "toolCall", "id": "call_b", "name": "exec", "arguments": {"cmd": "ls"}},
        ])
    );
}

#[test]
fn reasoning_deltas_become_a_thinking_block_signed_with_their_field() {
    let body = concat!(
        r#"data: {"id":"r1","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Hmm, "}}]}"#,
        "\n\n",
        r#"data: {"id":"r1","choices":[{"index":0,"delta":{"reasoning_content":"two.","content":null}}]}"#,
        "\n\n",
        r#"data: {"id":"r1","choices":[{"index":0,"delta":{"reasoning":"","content":"2"}}]}"#,
        "\n\n",
        r#"data: {"id":"r1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        "\n\n",
    );
    // No `[DONE]` and no usage: the body's end after a finish reason completes the response.
    assert_eq!(
        decode(body, 9).unwrap(),
        vec![
            StreamEvent::ResponseId("r1".into()),
            StreamEvent::ThinkingDelta("Hmm, ".into()),
            StreamEvent::ThinkingDelta("two.".into()),
            StreamEvent::ThinkingSignature("reasoning_content".into()),
            StreamEvent::TextDelta("2".into()),
            StreamEvent::Stop(StopReason::Stop),
        ]
    );
}

#[test]
fn finish_reasons_map_onto_stop_reasons() {
    let stop = |reason: &str| {
        let body = format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"x\"}},\"finish_reason\":\"{reason}\"}}]}}\n\ndata: [DONE]\n\n"
        );
        decode(&body, 100).unwrap().pop()
    };
    assert_eq!(stop("stop"), Some(StreamEvent::Stop(StopReason::Stop)));
    assert_eq!(stop("length"), Some(StreamEvent::Stop(StopReason::Length)));
    assert_eq!(
        stop("tool_calls"),
        Some(StreamEvent::Stop(StopReason::ToolUse))
    );
    assert_eq!(
        stop("function_call"),
        Some(StreamEvent::Stop(StopReason::ToolUse))
    );
    assert_eq!(
        stop("content_filter"),
        Some(StreamEvent::Stop(StopReason::Error))
    );
    assert_eq!(stop("eos"), Some(StreamEvent::Stop(StopReason::Stop)));
}

#[test]
fn calls_reported_with_a_stop_finish_still_ask_for_tools() {
    let body = concat!(
        r#"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"id":"c9","function":{"name":"ls","arguments":"{}"}}]},"finish_reason":"stop"}]}"#,
        "\n\ndata: [DONE]\n\n",
    );
    assert_eq!(
        decode(body, 100).unwrap(),
        vec![
            StreamEvent::ToolCallStart {
                index: 0,
                id: "c9".into(),
                name: "ls".into()
            },
            StreamEvent::ToolCallArgsDelta {
                index: 0,
                delta: "{}".into()
            },
            StreamEvent::ToolCallEnd {
                index: 0,
                thought_signature: None
            },
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    );
}

#[test]
fn a_body_cut_before_the_finish_reason_produces_no_stop() {
    let body = r#"data: {"id":"x","choices":[{"index":0,"delta":{"content":"par"}}]}"#;
    let events = decode(&format!("{body}\n\n"), 4).unwrap();
    assert_eq!(
        events,
        vec![
            StreamEvent::ResponseId("x".into()),
            StreamEvent::TextDelta("par".into())
        ]
    );
}

#[test]
fn an_unparsable_event_is_malformed_and_quoted_shortly() {
    let long_tail = "x".repeat(500);
    let body = format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"half{long_tail}\n\n");
    let error = decode(&body, 100).unwrap_err();
    let ProviderError::Malformed { provider, detail } = &error else {
        panic!("not malformed: {error:?}")
    };
    assert_eq!(provider, "acme");
    assert!(detail.contains("{\"choices\":[{\"delta\""), "{detail}");
    assert!(detail.ends_with('…'), "{detail}");
    assert!(detail.len() < 400, "{detail}");
}

#[test]
fn an_error_object_in_the_stream_is_a_stream_error() {
    let body = concat!(
        r#"data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}"#,
        "\n\n",
        r#"data: {"error":{"message":"The server had an error","type":"server_error","code":null}}"#,
        "\n\n",
    );
    let error = decode(body, 100).unwrap_err();
    assert!(
        matches!(
            &error,
            ProviderError::Stream { provider, message, code }
                if provider == "acme"
                    && message == "The server had an error"
                    && code.as_deref() == Some("server_error")
        ),
        "{error:?}"
    );
}

#[test]
fn the_shared_conversation_maps_onto_chat_messages() {
    let api = WireFormat::OpenaiCompletions;
    let target = fixtures::target(api, "https://api.openai.com/v1");
    let wire = build(&target, &fixtures::conversation(api)).unwrap();
    let image =
        json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}});
    assert_eq!(
        wire.body,
        json!({
            "model": "test-model",
            "messages": [
                {"role": "developer", "content": "You are a test assistant."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in a.txt and b.png?"},
                    image,
                ]},
                // The signature is not a reasoning field name, so the thinking stays home.
                {"role": "assistant", "content": "Reading both.", "tool_calls": [
                    {"id": "call_a", "type": "function",
                     "function": {"name": "read", "arguments": "{\"path\":\"a.txt\"}"}},
                    {"id": "call_b", "type": "function",
                     "function": {"name": "read", "arguments": "{\"path\":\"b.png\"}"}},
                ]},
                {"role": "tool", "tool_call_id": "call_a", "content": "no such file"},
                {"role": "tool", "tool_call_id": "call_b", "content": "b.png:"},
                {"role": "user", "content": [
                    {"type": "text", "text": "Attached image(s) from tool result:"},
                    image,
                ]},
                {"role": "assistant", "content": "It is a cat.\n\na.txt is missing; b.png shows a cat."},
                {"role": "user", "content": "Thanks!"},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_completion_tokens": 4000,
            "tools": [{"type": "function", "function": {
                "name": "read",
                "description": "Read a file.",
                "parameters": fixtures::read_tool().parameters,
            }}],
            "reasoning_effort": "low",
            "store": false,
        })
    );
}

#[test]
fn a_user_photo_is_an_image_url_with_a_data_url() {
    // A photo sent without a caption: the user message is the image alone.
    let request = ModelRequest::new(
        "s",
        vec![AgentMessage::User(UserMessage::new(
            MessageContent::Blocks(vec![ContentBlock::Image(image())]),
            1,
        ))],
    );
    let body = build(&target("http://localhost/v1", "m", false), &request)
        .unwrap()
        .body;
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ]})
    );
}
