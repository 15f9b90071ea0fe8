//! Test fixtures for the format modules: targets, transcript messages, a conversation that
//! exercises every message shape, and a way to run recorded bodies through the real framing.

use std::collections::BTreeMap;

use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, ImageContent, MessageContent, StopReason,
    ThinkingContent, ToolCall, ToolResultMessage, Usage, UserMessage,
};
use serde_json::{Map, Value, json};

use crate::error::ProviderError;
use crate::event::{Collected, StreamEvent};
use crate::formats::WireDecoder;
use crate::framing::{Frame, NdJsonParser, SseParser};
use crate::model::{AuthStyle, Credential, Modality, ModelSpec, Pricing, Target, WireFormat};
use crate::request::{ModelRequest, ToolSpec};

/// The provider every fixture target belongs to.
pub(crate) const PROVIDER: &str = "test";
/// The model every fixture target names.
pub(crate) const MODEL: &str = "test-model";

/// A reasoning, image-capable model of `api` at `base_url`.
pub(crate) fn target(api: WireFormat, base_url: &str) -> Target {
    Target {
        model: ModelSpec {
            provider: PROVIDER.into(),
            id: MODEL.into(),
            name: "Test model".into(),
            api,
            base_url: base_url.into(),
            reasoning: true,
            input: vec![Modality::Text, Modality::Image],
            context_window: 200_000,
            max_tokens: 32_000,
            cost: Pricing::default(),
            headers: BTreeMap::new(),
        },
        credential: Credential {
            profile_id: "test:default".into(),
            key: None,
            auth: api.default_auth(),
        },
    }
}

/// The same target as a text-only model without reasoning.
pub(crate) fn plain(mut target: Target) -> Target {
    target.model.reasoning = false;
    target.model.input = vec![Modality::Text];
    target.credential.auth = AuthStyle::Bearer;
    target
}

pub(crate) fn user(text: &str) -> AgentMessage {
    AgentMessage::User(UserMessage::new(MessageContent::Text(text.into()), 1))
}

pub(crate) fn user_blocks(blocks: Vec<ContentBlock>) -> AgentMessage {
    AgentMessage::User(UserMessage::new(MessageContent::Blocks(blocks), 1))
}

pub(crate) fn image() -> ContentBlock {
    ContentBlock::Image(ImageContent {
        data: "iVBORw0KGgo=".into(),
        mime_type: "image/png".into(),
        other: Map::new(),
    })
}

pub(crate) fn thinking(text: &str, signature: Option<&str>) -> ContentBlock {
    ContentBlock::Thinking(ThinkingContent {
        thinking: text.into(),
        thinking_signature: signature.map(Into::into),
        redacted: None,
        other: Map::new(),
    })
}

pub(crate) fn call(id: &str, name: &str, arguments: Value) -> ContentBlock {
    ContentBlock::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments,
        thought_signature: None,
        other: Map::new(),
    })
}

/// A reply of `api`'s fixture model (or of `model` when given).
pub(crate) fn assistant(
    api: WireFormat,
    model: Option<&str>,
    content: Vec<ContentBlock>,
    stop: StopReason,
) -> AgentMessage {
    AgentMessage::Assistant(AssistantMessage::new(
        content,
        api.as_str().into(),
        PROVIDER.into(),
        model.unwrap_or(MODEL).into(),
        Usage::default(),
        stop,
        2,
    ))
}

pub(crate) fn result(
    id: &str,
    name: &str,
    content: Vec<ContentBlock>,
    is_error: bool,
) -> AgentMessage {
    AgentMessage::ToolResult(ToolResultMessage::new(
        id.into(),
        name.into(),
        content,
        is_error,
        3,
    ))
}

pub(crate) fn read_tool() -> ToolSpec {
    ToolSpec {
        name: "read".into(),
        description: "Read a file.".into(),
        parameters: json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File to read."},
                "limit": {"type": ["integer", "null"], "minimum": 1},
            },
            "required": ["path"],
            "additionalProperties": false,
        }),
    }
}

/// A conversation with every shape a format must map: a user message with an image, a signed
/// thinking block, parallel tool calls, an error result and an image result, a reply by another
/// model (whose reasoning must not be sent as reasoning), and a closing user message.
pub(crate) fn conversation(api: WireFormat) -> ModelRequest {
    let mut request = ModelRequest::new(
        "You are a test assistant.",
        vec![
            user_blocks(vec![
                ContentBlock::text("What is in a.txt and b.png?"),
                image(),
            ]),
            assistant(
                api,
                None,
                vec![
                    thinking("Two files to read.", Some("c2lnLTE=")),
                    ContentBlock::text("Reading both."),
                    call("call_a", "read", json!({"path": "a.txt"})),
                    call("call_b", "read", json!({"path": "b.png"})),
                ],
                StopReason::ToolUse,
            ),
            result(
                "call_a",
                "read",
                vec![ContentBlock::text("no such file")],
                true,
            ),
            result(
                "call_b",
                "read",
                vec![ContentBlock::text("b.png:"), image()],
                false,
            ),
            assistant(
                api,
                Some("older-model"),
                vec![
                    thinking("It is a cat.", Some("c2lnLTI=")),
                    ContentBlock::text("a.txt is missing; b.png shows a cat."),
                ],
                StopReason::Stop,
            ),
            user("Thanks!"),
        ],
    );
    request.tools = vec![read_tool()];
    request.thinking = ThinkingLevel::Low;
    request.max_tokens = Some(4000);
    request
}

/// Runs `body` through the SSE parser in pieces of `every` bytes and `decoder` over the frames,
/// the way the client does.
pub(crate) fn decode_sse(
    decoder: &mut dyn WireDecoder,
    body: &str,
    every: usize,
) -> Result<Vec<StreamEvent>, ProviderError> {
    let mut parser = SseParser::default();
    let mut frames = Vec::new();
    for piece in body.as_bytes().chunks(every.max(1)) {
        frames.extend(
            parser
                .feed(piece)
                .map_err(too_big)?
                .into_iter()
                .map(Frame::Sse),
        );
    }
    frames.extend(parser.finish().into_iter().map(Frame::Sse));
    run(decoder, frames)
}

/// Like [`decode_sse`] for newline-delimited JSON.
pub(crate) fn decode_ndjson(
    decoder: &mut dyn WireDecoder,
    body: &str,
    every: usize,
) -> Result<Vec<StreamEvent>, ProviderError> {
    let mut parser = NdJsonParser::default();
    let mut frames = Vec::new();
    for piece in body.as_bytes().chunks(every.max(1)) {
        frames.extend(
            parser
                .feed(piece)
                .map_err(too_big)?
                .into_iter()
                .map(Frame::Line),
        );
    }
    frames.extend(parser.finish().into_iter().map(Frame::Line));
    run(decoder, frames)
}

fn too_big(size: usize) -> ProviderError {
    ProviderError::Malformed {
        provider: PROVIDER.into(),
        detail: format!("frame of {size} bytes"),
    }
}

fn run(
    decoder: &mut dyn WireDecoder,
    frames: Vec<Frame>,
) -> Result<Vec<StreamEvent>, ProviderError> {
    let mut events = Vec::new();
    for frame in frames {
        events.extend(decoder.frame(frame)?);
    }
    events.extend(decoder.end()?);
    Ok(events)
}

/// The assistant message `events` add up to, as JSON (without the fixed-width fields that do
/// not depend on the events).
pub(crate) fn collected(target: &Target, events: &[StreamEvent]) -> Value {
    let mut collected = Collected::new();
    for event in events {
        collected.push(event);
    }
    let (message, malformed) = collected.finish(&target.model, 0, None);
    assert!(malformed.is_empty(), "malformed calls: {malformed:?}");
    let mut value = serde_json::to_value(&message).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        for key in ["api", "provider", "model", "timestamp"] {
            object.remove(key);
        }
        if let Some(usage) = object.get_mut("usage").and_then(Value::as_object_mut) {
            usage.remove("cost");
        }
    }
    value
}
