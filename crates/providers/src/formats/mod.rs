//! The wire formats. Each module turns a [`ModelRequest`] into a [`WireRequest`] and decodes
//! the response's frames into [`StreamEvent`]s with a [`WireDecoder`]; the client does the
//! HTTP, authentication, framing, timeouts and retries for all of them.

mod anthropic_messages;
mod decode;
#[cfg(test)]
mod fixtures;
mod google_generative_ai;
mod history;
mod ollama;
mod openai_completions;
mod openai_responses;

use serde_json::Value;

use crate::error::ProviderError;
use crate::event::StreamEvent;
use crate::framing::{Frame, Framing};
use crate::model::{Target, WireFormat};
use crate::request::ModelRequest;

/// An HTTP request ready to send, minus authentication (added by the client).
#[derive(Debug, Clone)]
pub(crate) struct WireRequest {
    /// Full URL.
    pub url: String,
    /// Non-secret headers specific to the format (e.g. `anthropic-version`).
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: Value,
    /// How the streamed response is framed.
    pub framing: Framing,
}

/// Decodes one response's frames, keeping whatever state the format needs (open blocks,
/// tool-call indexes, usage seen so far).
pub(crate) trait WireDecoder: Send {
    /// Decodes one frame.
    fn frame(&mut self, frame: Frame) -> Result<Vec<StreamEvent>, ProviderError>;
    /// The body ended. Returns trailing events; the client reports
    /// [`ProviderError::StreamEnded`] itself when no `Stop` was produced.
    fn end(&mut self) -> Result<Vec<StreamEvent>, ProviderError>;
}

/// Builds the request for `target`'s wire format.
pub(crate) fn build(target: &Target, request: &ModelRequest) -> Result<WireRequest, ProviderError> {
    match target.model.api {
        WireFormat::OpenaiCompletions => openai_completions::build(target, request),
        WireFormat::OpenaiResponses => openai_responses::build(target, request),
        WireFormat::AnthropicMessages => anthropic_messages::build(target, request),
        WireFormat::GoogleGenerativeAi => google_generative_ai::build(target, request),
        WireFormat::Ollama => ollama::build(target, request),
    }
}

/// A fresh decoder for one response from `target`.
pub(crate) fn decoder(target: &Target) -> Box<dyn WireDecoder> {
    match target.model.api {
        WireFormat::OpenaiCompletions => Box::new(openai_completions::Decoder::new(target)),
        WireFormat::OpenaiResponses => Box::new(openai_responses::Decoder::new(target)),
        WireFormat::AnthropicMessages => Box::new(anthropic_messages::Decoder::new(target)),
        WireFormat::GoogleGenerativeAi => Box::new(google_generative_ai::Decoder::new(target)),
        WireFormat::Ollama => Box::new(ollama::Decoder::new(target)),
    }
}

/// The message and type/code from an error response body in this format, if it has one.
pub(crate) fn error_details(format: WireFormat, body: &[u8]) -> Option<(String, Option<String>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    // Every format nests its error under `error`, as an object (OpenAI, Anthropic, Gemini) or a
    // plain string (Ollama).
    let error = value.get("error")?;
    if let Some(message) = error.as_str() {
        return Some((message.to_owned(), None));
    }
    let message = error.get("message")?.as_str()?.to_owned();
    let code = match format {
        WireFormat::GoogleGenerativeAi => error.get("status"),
        _ => error
            .get("code")
            .filter(|c| !c.is_null())
            .or_else(|| error.get("type")),
    }
    .and_then(|c| match c {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    Some((message, code))
}

/// Where `format`'s endpoint at `base` lists its models, by the same rules its requests use
/// (a `/v1` already in an Anthropic base, Ollama's native root under an OpenAI-style `/v1`,
/// Gemini's version path on a bare host).
pub(crate) fn models_url(format: crate::WireFormat, base: &str) -> String {
    use crate::WireFormat;
    match format {
        WireFormat::OpenaiCompletions | WireFormat::OpenaiResponses => {
            format!("{}/models", base.trim_end_matches('/'))
        }
        WireFormat::AnthropicMessages => anthropic_messages::models_url(base),
        WireFormat::GoogleGenerativeAi => google_generative_ai::models_url(base),
        WireFormat::Ollama => ollama::tags_url(base),
    }
}

/// The `anthropic-version` header Anthropic's API needs.
pub(crate) const ANTHROPIC_VERSION: &str = anthropic_messages::API_VERSION;
