use pretty_assertions::assert_eq;
use rustyclaw_config::Secret;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, ImageContent, MessageContent, StopReason,
    TextContent, ThinkingContent, ToolCall, ToolResultMessage, Usage, UserMessage,
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
            provider: "openai".into(),
            id: id.into(),
            name: id.into(),
            api: WireFormat::OpenaiResponses,
            base_url: base_url.into(),
            reasoning,
            input: vec![Modality::Text, Modality::Image],
            context_window: 400_000,
            max_tokens: 128_000,
            cost: Pricing::default(),
            headers: Default::default(),
        },
        credential: Credential {
            profile_id: "openai:default".into(),
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
        mime_type: "image/jpeg".into(),
        other: Map::new(),
    }
}

fn text(text: &str, signature: Option<&str>) -> ContentBlock {
    ContentBlock::Text(TextContent {
        text: text.into(),
        text_signature: signature.map(Into::into),
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

fn call(id: &str, arguments: Value) -> ContentBlock {
    ContentBlock::ToolCall(ToolCall {
        id: id.into(),
        name: "read".into(),
        arguments,
        thought_signature: None,
        other: Map::new(),
    })
}

fn assistant(model: &str, content: Vec<ContentBlock>) -> AgentMessage {
    AgentMessage::Assistant(AssistantMessage::new(
        content,
        "openai-responses".into(),
        "openai".into(),
        model.into(),
        Usage::default(),
        StopReason::ToolUse,
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

const REASONING_ITEM: &str = r#"{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Plan."}],"encrypted_content":"gAAA"}"#;

#[test]
fn a_tool_round_trip_replays_reasoning_messages_and_calls_with_their_ids() {
    let target = target("https://api.openai.com/v1", "gpt-5.4", true);
    let mut request = ModelRequest::new(
        "Be helpful.",
        vec![
            AgentMessage::User(UserMessage::new(
                MessageContent::Blocks(vec![
                    text("what is this?", None),
                    ContentBlock::Image(image()),
                ]),
                1,
            )),
            assistant(
                "gpt-5.4",
                vec![
                    thinking("Plan.", Some(REASONING_ITEM)),
                    text(
                        "Looking.",
                        Some(r#"{"v":1,"id":"msg_1","phase":"commentary"}"#),
                    ),
                    call("call_1|fc_1", json!({"path": "a"})),
                    call("call_2|fc_2", json!({"path": "b"})),
                ],
            ),
            result("call_1|fc_1", vec![ContentBlock::text("A")]),
            result(
                "call_2|fc_2",
                vec![ContentBlock::text("B"), ContentBlock::Image(image())],
            ),
        ],
    );
    request.tools = vec![ToolSpec {
        name: "read".into(),
        description: "Read.".into(),
        parameters: json!({"type": "object"}),
    }];
    request.thinking = ThinkingLevel::Medium;
    request.cache_key = Some("sess".into());

    let wire = build(&target, &request).unwrap();
    assert_eq!(wire.url, "https://api.openai.com/v1/responses");
    assert_eq!(
        wire.body,
        json!({
            "model": "gpt-5.4",
            "instructions": "Be helpful.",
            "input": [
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "what is this?"},
                    {"type": "input_image", "detail": "auto", "image_url": "data:image/jpeg;base64,AAAA"},
                ]},
                serde_json::from_str::<Value>(REASONING_ITEM).unwrap(),
                {"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": "Looking.", "annotations": []}],
                 "status": "completed", "id": "msg_1", "phase": "commentary"},
                {"type": "function_call", "call_id": "call_1", "name": "read",
                 "arguments": "{\"path\":\"a\"}", "id": "fc_1"},
                {"type": "function_call", "call_id": "call_2", "name": "read",
                 "arguments": "{\"path\":\"b\"}", "id": "fc_2"},
                {"type": "function_call_output", "call_id": "call_1", "output": "A"},
                {"type": "function_call_output", "call_id": "call_2", "output": "B"},
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "Attached image(s) from tool result:"},
                    {"type": "input_image", "detail": "auto", "image_url": "data:image/jpeg;base64,AAAA"},
                ]},
            ],
            "stream": true,
            "store": false,
            "tools": [{"type": "function", "name": "read", "description": "Read.",
                       "parameters": {"type": "object"}, "strict": false}],
            "max_output_tokens": 128_000,
            "reasoning": {"effort": "medium", "summary": "auto"},
            "include": ["reasoning.encrypted_content"],
            "prompt_cache_key": "sess",
        })
    );
}

#[test]
fn another_models_reply_is_replayed_as_plain_text_without_ids() {
    let target = target("http://127.0.0.1:9/v1", "gpt-5.4", true);
    let mut request = ModelRequest::new(
        "",
        vec![
            user("hi"),
            assistant(
                "claude",
                vec![
                    thinking("I should read.", Some("anthropic-signature")),
                    text("Reading.", Some("msg_from_elsewhere")),
                    call("toolu_1", json!({})),
                ],
            ),
            result("toolu_1", vec![]),
        ],
    );
    request.cache_key = Some("not-sent-to-other-hosts".into());
    request.max_tokens = Some(0);
    let body = build(&target, &request).unwrap().body;
    assert_eq!(
        body,
        json!({
            "model": "gpt-5.4",
            "input": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "message", "role": "assistant", "content": "I should read."},
                {"type": "message", "role": "assistant", "content": "Reading."},
                {"type": "function_call", "call_id": "toolu_1", "name": "read", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "toolu_1", "output": "(no output)"},
            ],
            "stream": true,
            "store": false,
            "max_output_tokens": 128_000,
            "include": ["reasoning.encrypted_content"],
        })
    );
}

#[test]
fn call_item_ids_are_dropped_once_a_reasoning_item_cannot_be_replayed() {
    let target = target("https://api.openai.com/v1", "gpt-5.4", false);
    let request = ModelRequest::new(
        "s",
        vec![
            user("hi"),
            assistant(
                "gpt-5.4",
                vec![
                    call("call_0|fc_0", json!({})),
                    thinking("", None),
                    text("x", Some("msg_legacy_plain_id")),
                    call("call_1|fc_1", json!({})),
                ],
            ),
            result("call_0|fc_0", vec![ContentBlock::text("0")]),
            result("call_1|fc_1", vec![ContentBlock::text("1")]),
        ],
    );
    let body = build(&target, &request).unwrap().body;
    let input = body["input"].as_array().unwrap();
    assert_eq!(input[1]["id"], "fc_0");
    assert_eq!(input[2]["id"], "msg_legacy_plain_id");
    assert_eq!(input[3].get("id"), None);
    assert!(body.get("include").is_none() && body.get("reasoning").is_none());
}

fn decode(body: &str, piece: usize) -> Result<Vec<StreamEvent>, ProviderError> {
    let mut decoder = Decoder::new(&target("https://api.openai.com/v1", "gpt-5.4", true));
    decode_sse(&mut decoder, body, piece)
}

/// Builds an SSE body from `(type, fields)` pairs, numbering the events as OpenAI does.
fn stream(events: &[Value]) -> String {
    events
        .iter()
        .enumerate()
        .map(|(number, event)| {
            let mut event = event.clone();
            event["sequence_number"] = number.into();
            format!(
                "event: {}\ndata: {event}\n\n",
                event["type"].as_str().unwrap()
            )
        })
        .collect()
}

fn full_stream() -> String {
    let reasoning_done = serde_json::from_str::<Value>(
        r#"{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"First."},{"type":"summary_text","text":"Second."}],"encrypted_content":"gAAA"}"#,
    )
    .unwrap();
    stream(&[
        json!({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "output": [], "usage": null}}),
        json!({"type": "response.in_progress", "response": {"id": "resp_1", "status": "in_progress"}}),
        json!({"type": "response.output_item.added", "output_index": 0, "item": {"id": "rs_1", "type": "reasoning", "summary": []}}),
        json!({"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "output_index": 0, "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0, "summary_index": 0, "delta": "First.", "obfuscation": "q"}),
        json!({"type": "response.reasoning_summary_part.done", "item_id": "rs_1", "output_index": 0, "summary_index": 0}),
        json!({"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "output_index": 0, "summary_index": 1, "part": {"type": "summary_text", "text": ""}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0, "summary_index": 1, "delta": "Second."}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": reasoning_done}),
        json!({"type": "response.output_item.added", "output_index": 1, "item": {"id": "msg_1", "type": "message", "status": "in_progress", "content": [], "role": "assistant"}}),
        json!({"type": "response.content_part.added", "item_id": "msg_1", "output_index": 1, "content_index": 0, "part": {"type": "output_text", "annotations": [], "text": ""}}),
        json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "On ", "logprobs": []}),
        json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "it.", "logprobs": []}),
        json!({"type": "response.output_text.done", "item_id": "msg_1", "output_index": 1, "content_index": 0, "text": "On it."}),
        json!({"type": "response.output_item.done", "output_index": 1, "item": {"id": "msg_1", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": "On it.", "annotations": []}]}}),
        json!({"type": "response.output_item.added", "output_index": 2, "item": {"id": "fc_1", "type": "function_call", "status": "in_progress", "arguments": "", "call_id": "call_1", "name": "read"}}),
        json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 2, "delta": "{\"path\":"}),
        json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 2, "delta": "\"a\"}"}),
        json!({"type": "response.function_call_arguments.done", "item_id": "fc_1", "output_index": 2, "arguments": "{\"path\":\"a\"}"}),
        json!({"type": "response.output_item.done", "output_index": 2, "item": {"id": "fc_1", "type": "function_call", "status": "completed", "arguments": "{\"path\":\"a\"}", "call_id": "call_1", "name": "read"}}),
        json!({"type": "response.completed", "response": {"id": "resp_1", "status": "completed", "usage": {
            "input_tokens": 500, "input_tokens_details": {"cached_tokens": 300},
            "output_tokens": 40, "output_tokens_details": {"reasoning_tokens": 20}, "total_tokens": 540}}}),
    ])
}

fn full_stream_events() -> Vec<StreamEvent> {
    vec![
        StreamEvent::ResponseId("resp_1".into()),
        StreamEvent::ThinkingDelta("First.".into()),
        StreamEvent::ThinkingDelta("\n\n".into()),
        StreamEvent::ThinkingDelta("Second.".into()),
        StreamEvent::ThinkingSignature(
            r#"{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"First."},{"type":"summary_text","text":"Second."}],"encrypted_content":"gAAA"}"#.into(),
        ),
        StreamEvent::TextDelta("On ".into()),
        StreamEvent::TextDelta("it.".into()),
        StreamEvent::TextSignature(r#"{"v":1,"id":"msg_1"}"#.into()),
        StreamEvent::ToolCallStart {
            index: 0,
            id: "call_1|fc_1".into(),
            name: "read".into(),
        },
        StreamEvent::ToolCallArgsDelta {
            index: 0,
            delta: "{\"path\":".into(),
        },
        StreamEvent::ToolCallArgsDelta {
            index: 0,
            delta: "\"a\"}".into(),
        },
        StreamEvent::ToolCallEnd {
            index: 0,
            thought_signature: None,
        },
        StreamEvent::Usage(TokenUsage {
            input: 200,
            output: 40,
            cache_read: 300,
            cache_write: 0,
        }),
        StreamEvent::Stop(StopReason::ToolUse),
    ]
}

#[test]
fn a_recorded_stream_decodes_into_ordered_events() {
    let body = full_stream();
    assert_eq!(decode(&body, body.len()).unwrap(), full_stream_events());
}

#[test]
fn splitting_the_stream_anywhere_changes_nothing() {
    let body = full_stream();
    for piece in [1, 3, 10, 97] {
        assert_eq!(
            decode(&body, piece).unwrap(),
            full_stream_events(),
            "pieces of {piece}"
        );
    }
}

#[test]
fn a_decoded_reply_replays_as_the_items_it_came_from() {
    let target = target("https://api.openai.com/v1", "gpt-5.4", true);
    let mut collected = Collected::new();
    for event in decode(&full_stream(), 7).unwrap() {
        collected.push(&event);
    }
    let (reply, malformed) = collected.finish(&target.model, 5, None);
    assert!(malformed.is_empty());
    assert_eq!(reply.stop_reason, StopReason::ToolUse);
    assert_eq!(reply.response_id.as_deref(), Some("resp_1"));
    let Some(ContentBlock::Thinking(reasoning)) = reply.content.first() else {
        panic!("no thinking block: {:?}", reply.content)
    };
    assert_eq!(reasoning.thinking, "First.\n\nSecond.");

    let request = ModelRequest::new(
        "s",
        vec![
            user("go"),
            AgentMessage::Assistant(reply),
            result("call_1|fc_1", vec![ContentBlock::text("file a")]),
        ],
    );
    let body = build(&target, &request).unwrap().body;
    assert_eq!(
        body["input"],
        json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
            {"id": "rs_1", "type": "reasoning", "summary": [
                {"type": "summary_text", "text": "First."},
                {"type": "summary_text", "text": "Second."},
            ], "encrypted_content": "gAAA"},
            {"type": "message", "role": "assistant",
             "content": [{"type": "output_text", "text": "On it.", "annotations": []}],
             "status": "completed", "id": "msg_1"},
            {"type": "function_call", "call_id": "call_1", "name": "read",
             "arguments": "{\"path\":\"a\"}", "id": "fc_1"},
            {"type": "function_call_output", "call_id": "call_1", "output": "file a"},
        ])
    );
}

#[test]
fn reasoning_without_summary_still_keeps_its_item() {
    let body = stream(&[
        json!({"type": "response.output_item.added", "output_index": 0, "item": {"id": "rs_a", "type": "reasoning", "summary": []}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_a", "delta": "A"}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": {"id": "rs_a", "type": "reasoning", "summary": [{"type": "summary_text", "text": "A"}]}}),
        json!({"type": "response.output_item.added", "output_index": 1, "item": {"id": "rs_b", "type": "reasoning", "summary": []}}),
        json!({"type": "response.output_item.done", "output_index": 1, "item": {"id": "rs_b", "type": "reasoning", "summary": [], "encrypted_content": "x"}}),
        json!({"type": "response.completed", "response": {"id": "r", "status": "completed"}}),
    ]);
    let mut collected = Collected::new();
    for event in decode(&body, 11).unwrap() {
        collected.push(&event);
    }
    let model = target("https://api.openai.com/v1", "gpt-5.4", true).model;
    let (reply, _) = collected.finish(&model, 1, None);
    let signatures: Vec<(String, Value)> = reply
        .content
        .iter()
        .map(|block| match block {
            ContentBlock::Thinking(t) => (
                t.thinking.clone(),
                serde_json::from_str(t.thinking_signature.as_deref().unwrap()).unwrap(),
            ),
            other => panic!("unexpected block {other:?}"),
        })
        .collect();
    assert_eq!(signatures.len(), 2);
    assert_eq!(signatures[0].0, "A");
    assert_eq!(signatures[0].1["id"], "rs_a");
    assert_eq!(signatures[1].0, "");
    assert_eq!(signatures[1].1["id"], "rs_b");
    assert_eq!(reply.stop_reason, StopReason::Stop);
}

#[test]
fn items_sent_only_when_done_are_decoded_whole() {
    // Some proxies skip the deltas and send finished items only.
    let body = stream(&[
        json!({"type": "response.output_item.done", "output_index": 0, "item": {"id": "msg_9", "type": "message", "phase": "final_answer", "content": [{"type": "output_text", "text": "whole"}]}}),
        json!({"type": "response.output_item.done", "output_index": 1, "item": {"id": "fc_9", "type": "function_call", "call_id": "call_9", "name": "ls", "arguments": "{}"}}),
        json!({"type": "response.completed", "response": {"id": "r9", "status": "completed"}}),
    ]);
    assert_eq!(
        decode(&body, 1000).unwrap(),
        vec![
            StreamEvent::TextDelta("whole".into()),
            StreamEvent::TextSignature(r#"{"v":1,"id":"msg_9","phase":"final_answer"}"#.into()),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "call_9|fc_9".into(),
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
            StreamEvent::ResponseId("r9".into()),
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    );
}

#[test]
fn incomplete_responses_stop_for_their_reason() {
    let stop = |reason: &str| {
        let body = stream(&[json!({"type": "response.incomplete", "response": {
            "id": "r", "status": "incomplete", "incomplete_details": {"reason": reason},
            "usage": {"input_tokens": 10, "output_tokens": 5}}})]);
        decode(&body, 1000).unwrap().pop()
    };
    assert_eq!(
        stop("max_output_tokens"),
        Some(StreamEvent::Stop(StopReason::Length))
    );
    assert_eq!(
        stop("content_filter"),
        Some(StreamEvent::Stop(StopReason::Error))
    );
}

#[test]
fn failures_in_the_stream_are_stream_errors() {
    let failed = stream(&[
        json!({"type": "response.created", "response": {"id": "r"}}),
        json!({"type": "response.failed", "response": {"id": "r", "status": "failed",
            "error": {"code": "server_error", "message": "The model crashed."}}}),
    ]);
    let error = decode(&failed, 1000).unwrap_err();
    assert!(
        matches!(&error, ProviderError::Stream { message, code, .. }
            if message == "The model crashed." && code.as_deref() == Some("server_error")),
        "{error:?}"
    );

    let flat = stream(&[json!({"type": "error", "code": "rate_limit_exceeded",
        "message": "Slow down.", "param": null})]);
    let error = decode(&flat, 1000).unwrap_err();
    assert!(
        matches!(&error, ProviderError::Stream { message, code, .. }
            if message == "Slow down." && code.as_deref() == Some("rate_limit_exceeded")),
        "{error:?}"
    );
    assert_eq!(error.class(), crate::FailureClass::RateLimit);
}

#[test]
fn an_unparsable_event_is_malformed() {
    let body = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"ha\n\n";
    let error = decode(body, 5).unwrap_err();
    assert!(
        matches!(&error, ProviderError::Malformed { provider, detail }
            if provider == "openai" && detail.contains("response.output_text.delta")),
        "{error:?}"
    );
}

#[test]
fn the_event_name_stands_in_for_a_missing_type() {
    let body = "event: response.output_text.delta\ndata: {\"delta\":\"hi\"}\n\n: ping\n\nevent: response.mystery\ndata: {\"x\":1}\n\n";
    assert_eq!(
        decode(body, 3).unwrap(),
        vec![StreamEvent::TextDelta("hi".into())]
    );
}

#[test]
fn the_shared_conversation_maps_onto_input_items() {
    let api = WireFormat::OpenaiResponses;
    let target = fixtures::target(api, "https://api.openai.com/v1");
    let wire = build(&target, &fixtures::conversation(api)).unwrap();
    let image = json!({"type": "input_image", "detail": "auto", "image_url": "data:image/png;base64,iVBORw0KGgo="});
    assert_eq!(
        wire.body,
        json!({
            "model": "test-model",
            "instructions": "You are a test assistant.",
            "input": [
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "What is in a.txt and b.png?"},
                    image,
                ]},
                // The thinking signature is not a reasoning item, so it cannot be replayed.
                {"type": "message", "role": "assistant", "content": "Reading both."},
                {"type": "function_call", "call_id": "call_a", "name": "read",
                 "arguments": "{\"path\":\"a.txt\"}"},
                {"type": "function_call", "call_id": "call_b", "name": "read",
                 "arguments": "{\"path\":\"b.png\"}"},
                {"type": "function_call_output", "call_id": "call_a", "output": "no such file"},
                {"type": "function_call_output", "call_id": "call_b", "output": "b.png:"},
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "Attached image(s) from tool result:"},
                    image,
                ]},
                {"type": "message", "role": "assistant", "content": "It is a cat."},
                {"type": "message", "role": "assistant", "content": "a.txt is missing; b.png shows a cat."},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Thanks!"}]},
            ],
            "stream": true,
            "store": false,
            "tools": [{"type": "function", "name": "read", "description": "Read a file.",
                       "parameters": fixtures::read_tool().parameters, "strict": false}],
            "max_output_tokens": 4000,
            "reasoning": {"effort": "low", "summary": "auto"},
            "include": ["reasoning.encrypted_content"],
        })
    );
}

#[test]
fn a_user_photo_is_an_input_image_or_a_notice_for_text_only_models() {
    // A photo sent without a caption: the user message is the image alone.
    let request = ModelRequest::new(
        "s",
        vec![AgentMessage::User(UserMessage::new(
            MessageContent::Blocks(vec![ContentBlock::Image(image())]),
            1,
        ))],
    );
    let mut target = target("https://api.openai.com/v1", "gpt-5.4", false);
    assert_eq!(
        build(&target, &request).unwrap().body["input"],
        json!([{"type": "message", "role": "user", "content": [
            {"type": "input_image", "detail": "auto", "image_url": "data:image/jpeg;base64,AAAA"},
        ]}])
    );
    target.model.input = vec![Modality::Text];
    assert_eq!(
        build(&target, &request).unwrap().body["input"],
        json!([{"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": IMAGE_OMITTED},
        ]}])
    );
}
