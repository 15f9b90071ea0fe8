use pretty_assertions::assert_eq;
use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{ContentBlock, StopReason, TextContent, ToolCall};
use serde_json::{Map, json};

use super::*;
use crate::formats::fixtures::{
    self, assistant, collected, decode_sse, image, plain, user, user_blocks,
};
use crate::model::WireFormat;

const API: WireFormat = WireFormat::GoogleGenerativeAi;

fn target() -> Target {
    fixtures::target(API, "https://generativelanguage.googleapis.com/v1beta")
}

fn decoder(target: &Target) -> Decoder {
    Decoder::with_ids(target, CallIds::with_nonce("n".into()))
}

#[test]
fn a_whole_conversation_maps_onto_user_and_model_contents() {
    let wire = build(&target(), &fixtures::conversation(API)).unwrap();
    assert_eq!(
        wire.url,
        "https://generativelanguage.googleapis.com/v1beta/models/test-model:streamGenerateContent?alt=sse"
    );
    assert!(wire.headers.is_empty());
    assert_eq!(wire.framing, Framing::Sse);
    insta::assert_json_snapshot!("conversation", wire.body);
}

#[test]
fn base_urls_without_a_version_get_v1beta() {
    assert_eq!(
        api_base("https://generativelanguage.googleapis.com/"),
        "https://generativelanguage.googleapis.com/v1beta"
    );
    assert_eq!(
        api_base("http://127.0.0.1:9/v1beta/"),
        "http://127.0.0.1:9/v1beta"
    );
    assert_eq!(api_base("http://127.0.0.1:9"), "http://127.0.0.1:9/v1beta");
    let mut target = target();
    target.model.id = "models/gemini-2.5-pro".into();
    let wire = build(&target, &ModelRequest::new("s", vec![user("hi")])).unwrap();
    assert!(
        wire.url
            .ends_with("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"),
        "{}",
        wire.url
    );
}

#[test]
fn schemas_are_reduced_to_what_gemini_accepts() {
    let reduced = schema(&json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "mode": {"const": "fast", "description": "Only mode."},
            "paths": {
                "type": "array",
                "items": {"type": "string", "$comment": "x", "minLength": 1},
            },
            "limit": {"type": ["integer", "null"], "exclusiveMinimum": 0},
            "target": {"oneOf": [{"type": "string"}, {"type": "object", "patternProperties": {}}]},
        },
        "required": ["mode", "ghost"],
    }));
    assert_eq!(
        reduced,
        json!({
            "type": "object",
            "properties": {
                "mode": {"enum": ["fast"], "description": "Only mode."},
                "paths": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "limit": {"nullable": true, "type": "integer"},
                "target": {"anyOf": [{"type": "string"}, {"type": "object"}]},
            },
            "required": ["mode"],
        })
    );
    let no_args = ToolSpec {
        name: "now".into(),
        description: "The time.".into(),
        parameters: json!({"type": "object", "properties": {}}),
    };
    assert_eq!(
        declaration(&no_args),
        json!({"name": "now", "description": "The time."})
    );
}

#[test]
fn generation_config_carries_limits_and_thinking() {
    let mut request = ModelRequest::new("s", vec![user("hi")]);
    request.temperature = Some(0.5);
    let config = |target: &Target, request: &ModelRequest| {
        build(target, request).unwrap().body["generationConfig"].clone()
    };
    assert_eq!(
        config(&target(), &request),
        json!({"maxOutputTokens": 32000, "temperature": 0.5})
    );
    request.thinking = ThinkingLevel::Low;
    request.max_tokens = Some(1000);
    assert_eq!(
        config(&target(), &request),
        json!({
            "maxOutputTokens": 3048,
            "temperature": 0.5,
            "thinkingConfig": {"includeThoughts": true, "thinkingBudget": 2048},
        })
    );
    request.thinking = ThinkingLevel::Xhigh;
    request.max_tokens = None;
    assert_eq!(
        config(&target(), &request)["thinkingConfig"]["thinkingBudget"],
        -1
    );
    assert!(
        config(&plain(target()), &request)
            .get("thinkingConfig")
            .is_none()
    );
}

#[test]
fn signatures_go_back_only_to_the_model_that_made_them() {
    let signed_call = ContentBlock::ToolCall(ToolCall {
        id: "call_x_1".into(),
        name: "read".into(),
        arguments: json!({"path": "a"}),
        thought_signature: Some("c2ln".into()),
        other: Map::new(),
    });
    let signed_text = ContentBlock::Text(TextContent {
        text: "Done.".into(),
        text_signature: Some("dGV4dA==".into()),
        other: Map::new(),
    });
    let conversation = |model: Option<&str>| {
        ModelRequest::new(
            "s",
            vec![
                user("hi"),
                assistant(API, model, vec![signed_call.clone()], StopReason::ToolUse),
                fixtures::result("call_x_1", "read", vec![ContentBlock::text("ok")], false),
                assistant(API, model, vec![signed_text.clone()], StopReason::Stop),
                user("more"),
            ],
        )
    };
    let same = build(&target(), &conversation(None)).unwrap().body;
    assert_eq!(
        same["contents"][1]["parts"],
        json!([{"functionCall": {"name": "read", "args": {"path": "a"}}, "thoughtSignature": "c2ln"}])
    );
    assert_eq!(
        same["contents"][2],
        json!({"role": "user", "parts": [
            {"functionResponse": {"name": "read", "response": {"output": "ok"}}},
        ]})
    );
    assert_eq!(
        same["contents"][3]["parts"],
        json!([{"text": "Done.", "thoughtSignature": "dGV4dA=="}])
    );

    let other = build(&target(), &conversation(Some("gemini-2.0")))
        .unwrap()
        .body;
    assert_eq!(
        other["contents"][1]["parts"],
        json!([{"functionCall": {"name": "read", "args": {"path": "a"}}}])
    );
    assert_eq!(other["contents"][3]["parts"], json!([{"text": "Done."}]));

    // Gemini 3 wants a signature on every call; a foreign call gets the documented bypass.
    let mut gemini_3 = target();
    gemini_3.model.id = "gemini-3-pro-preview".into();
    let bypassed = build(&gemini_3, &conversation(Some("gemini-2.0")))
        .unwrap()
        .body;
    assert_eq!(
        bypassed["contents"][1]["parts"][0]["thoughtSignature"],
        "skip_thought_signature_validator"
    );
}

/// A response as Gemini streams it (note the CRLF event separators): thoughts, text with a
/// signature on an empty last part, and usage on every chunk.
const TEXT_STREAM: &str = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Considering\", \"thought\": true}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 120,\"totalTokenCount\": 130,\"thoughtsTokenCount\": 10},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"resp-1\"}\r\n\r\n\
data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" the question.\", \"thought\": true, \"thoughtSignature\": \"dGhvdWdodA==\"}],\"role\": \"model\"},\"index\": 0}],\"responseId\": \"resp-1\"}\r\n\r\n\
data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}],\"role\": \"model\"},\"index\": 0}],\"responseId\": \"resp-1\"}\r\n\r\n\
data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \" there!\"}, {\"text\": \"\", \"thoughtSignature\": \"dGV4dA==\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 120,\"candidatesTokenCount\": 3,\"totalTokenCount\": 153,\"cachedContentTokenCount\": 100,\"thoughtsTokenCount\": 30,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 120}]},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"resp-1\"}\r\n\r\n";

#[test]
fn a_recorded_text_stream_decodes_whatever_the_chunk_boundaries() {
    let target = target();
    let whole = decode_sse(&mut decoder(&target), TEXT_STREAM, usize::MAX).unwrap();
    assert_eq!(
        whole,
        [
            StreamEvent::ResponseId("resp-1".into()),
            StreamEvent::ThinkingDelta("Considering".into()),
            StreamEvent::Usage(TokenUsage {
                input: 120,
                output: 10,
                ..TokenUsage::default()
            }),
            StreamEvent::ThinkingDelta(" the question.".into()),
            StreamEvent::ThinkingSignature("dGhvdWdodA==".into()),
            StreamEvent::TextDelta("Hello".into()),
            StreamEvent::TextDelta(" there!".into()),
            StreamEvent::Usage(TokenUsage {
                input: 20,
                output: 33,
                cache_read: 100,
                cache_write: 0,
            }),
            StreamEvent::TextSignature("dGV4dA==".into()),
            StreamEvent::Stop(StopReason::Stop),
        ]
    );
    for every in [1, 2, 5, 33] {
        let split = decode_sse(&mut decoder(&target), TEXT_STREAM, every).unwrap();
        assert_eq!(split, whole, "split every {every} bytes");
    }
    assert_eq!(
        collected(&target, &whole),
        json!({
            "content": [
                {"type": "thinking", "thinking": "Considering the question.", "thinkingSignature": "dGhvdWdodA=="},
                {"type": "text", "text": "Hello there!", "textSignature": "dGV4dA=="},
            ],
            "usage": {"input": 20, "output": 33, "cacheRead": 100, "cacheWrite": 0, "totalTokens": 153},
            "stopReason": "stop",
            "responseId": "resp-1",
        })
    );
}

#[test]
fn function_calls_get_ids_and_make_the_stop_a_tool_use() {
    let body = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"read\",\"args\": {\"path\": \"a.txt\"}},\"thoughtSignature\": \"c2ln\"},{\"functionCall\": {\"name\": \"read\",\"args\": {\"path\": \"b.txt\"}}},{\"functionCall\": {\"name\": \"now\"}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 50,\"candidatesTokenCount\": 20,\"totalTokenCount\": 70},\"responseId\": \"r2\"}\r\n\r\n";
    let target = target();
    let events = decode_sse(&mut decoder(&target), body, usize::MAX).unwrap();
    assert_eq!(
        &events[1..4],
        [
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
                thought_signature: Some("c2ln".into())
            },
        ]
    );
    assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::ToolUse)));
    let message = collected(&target, &events);
    assert_eq!(
        message["content"],
        json!([
            {"type": "toolCall", "id": "call_n_1", "name": "read", "arguments": {"path": "a.txt"}, "thoughtSignature": "c2ln"},
            {"type": "toolCall", "id": "call_n_2", "name": "read", "arguments": {"path": "b.txt"}},
            {"type": "toolCall", "id": "call_n_3", "name": "now", "arguments": {}},
        ])
    );
}

#[test]
fn finish_reasons_map_onto_the_transcript() {
    for (reason, expected) in [
        ("MAX_TOKENS", StopReason::Length),
        ("SAFETY", StopReason::Error),
        ("RECITATION", StopReason::Error),
        ("MALFORMED_FUNCTION_CALL", StopReason::Error),
    ] {
        let body = format!(
            "data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"text\": \"x\"}}]}},\"finishReason\": \"{reason}\"}}]}}\n\n"
        );
        let events = decode_sse(&mut decoder(&target()), &body, usize::MAX).unwrap();
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Stop(expected)),
            "{reason}"
        );
    }
    let blocked = "data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"},\"usageMetadata\": {\"promptTokenCount\": 9}}\n\n";
    let events = decode_sse(&mut decoder(&target()), blocked, usize::MAX).unwrap();
    assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::Error)));
}

#[test]
fn a_stream_without_a_finish_reason_ends_without_stop() {
    let body =
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}]}}]}\r\n\r\n";
    let events = decode_sse(&mut decoder(&target()), body, 3).unwrap();
    assert_eq!(events, [StreamEvent::TextDelta("Hel".into())]);
}

#[test]
fn errors_and_garbage_fail_the_stream() {
    let error = "data: {\"error\": {\"code\": 503,\"message\": \"The model is overloaded.\",\"status\": \"UNAVAILABLE\"}}\n\n";
    let error = decode_sse(&mut decoder(&target()), error, usize::MAX).unwrap_err();
    assert!(
        matches!(&error, ProviderError::Stream { message, code, .. }
            if message == "The model is overloaded." && code.as_deref() == Some("UNAVAILABLE")),
        "{error:?}"
    );
    for garbage in ["data: {\"candidates\": [\n\n", "data: [1, 2]\n\n"] {
        let error = decode_sse(&mut decoder(&target()), garbage, usize::MAX).unwrap_err();
        assert!(
            matches!(error, ProviderError::Malformed { .. }),
            "{error:?}"
        );
    }
}

#[test]
fn unknown_parts_and_fields_are_ignored() {
    let body = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"executableCode\": {\"code\": \"1+1\"}},{\"text\": \"2\", \"brandNew\": true}]},\"safetyRatings\": [],\"citationMetadata\": {}}],\"somethingElse\": 1}\n\n";
    let events = decode_sse(&mut decoder(&target()), body, usize::MAX).unwrap();
    assert_eq!(events, [StreamEvent::TextDelta("2".into())]);
}

#[test]
fn a_user_photo_is_inline_data_or_a_notice_for_text_only_models() {
    // A photo sent without a caption: the user message is the image alone.
    let request = ModelRequest::new("s", vec![user_blocks(vec![image()])]);
    assert_eq!(
        build(&target(), &request).unwrap().body["contents"],
        json!([{"role": "user", "parts": [
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        ]}])
    );
    assert_eq!(
        build(&plain(target()), &request).unwrap().body["contents"],
        json!([{"role": "user", "parts": [{"text": IMAGE_OMITTED}]}])
    );
}
