//! What the caller asks of a model.

use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::AgentMessage;
use serde_json::{Map, Value};

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// Tool name (`read`, `exec`, …).
    pub name: String,
    /// What the tool does, for the model.
    pub description: String,
    /// JSON Schema of the tool's arguments (an object schema).
    pub parameters: Value,
}

/// One model call: the conversation so far and how to answer.
///
/// The conversation is the transcript's own messages, so what is stored is exactly what is
/// sent; each wire format maps them (user, assistant with thinking and tool calls, tool
/// results) onto its own shapes.
#[derive(Debug, Clone)]
pub struct ModelRequest {
    /// The system prompt; never empty in agent runs.
    pub system: String,
    /// The conversation, oldest first.
    pub messages: Vec<AgentMessage>,
    /// Tools the model may call.
    pub tools: Vec<ToolSpec>,
    /// How hard the model should think; ignored by models without reasoning.
    pub thinking: ThinkingLevel,
    /// Cap on the completion; `None` uses the model's `max_tokens`.
    pub max_tokens: Option<u64>,
    /// Sampling temperature; `None` leaves the provider default.
    pub temperature: Option<f64>,
    /// Extra body fields merged into the request last (`agents.defaults.models[ref].params`).
    pub params: Map<String, Value>,
    /// A stable id for prompt caching (the session id), where the format supports one.
    pub cache_key: Option<String>,
}

impl ModelRequest {
    /// A request with defaults for everything but the prompt and the conversation.
    pub fn new(system: impl Into<String>, messages: Vec<AgentMessage>) -> Self {
        Self {
            system: system.into(),
            messages,
            tools: Vec::new(),
            thinking: ThinkingLevel::Off,
            max_tokens: None,
            temperature: None,
            params: Map::new(),
            cache_key: None,
        }
    }
}
