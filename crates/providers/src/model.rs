//! What a request is sent to: a model of a provider, reached at an endpoint with a credential.

use std::collections::BTreeMap;

use rustyclaw_config::Secret;
use rustyclaw_config::file::ModelApi;

/// The wire formats rustyclaw speaks (OpenClaw's `api` values of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireFormat {
    /// `openai-completions`: `POST {base}/chat/completions`, SSE.
    OpenaiCompletions,
    /// `openai-responses`: `POST {base}/responses`, SSE.
    OpenaiResponses,
    /// `anthropic-messages`: `POST {base}/v1/messages`, SSE.
    AnthropicMessages,
    /// `google-generative-ai`: `POST {base}/models/{model}:streamGenerateContent?alt=sse`, with
    /// `base` ending in the API version (`…/v1beta`).
    GoogleGenerativeAi,
    /// `ollama`: `POST {base}/api/chat`, newline-delimited JSON.
    Ollama,
}

impl WireFormat {
    /// The format's name as written in config and in transcripts (`api`).
    pub fn as_str(self) -> &'static str {
        match self {
            WireFormat::OpenaiCompletions => "openai-completions",
            WireFormat::OpenaiResponses => "openai-responses",
            WireFormat::AnthropicMessages => "anthropic-messages",
            WireFormat::GoogleGenerativeAi => "google-generative-ai",
            WireFormat::Ollama => "ollama",
        }
    }

    /// The format for a configured `api`, or `None` for formats rustyclaw does not speak.
    pub fn from_config(api: ModelApi) -> Option<Self> {
        match api {
            ModelApi::OpenaiCompletions => Some(WireFormat::OpenaiCompletions),
            ModelApi::OpenaiResponses => Some(WireFormat::OpenaiResponses),
            ModelApi::AnthropicMessages => Some(WireFormat::AnthropicMessages),
            ModelApi::GoogleGenerativeAi => Some(WireFormat::GoogleGenerativeAi),
            ModelApi::Ollama => Some(WireFormat::Ollama),
            ModelApi::AzureOpenaiResponses
            | ModelApi::OpenaiCodexResponses
            | ModelApi::BedrockConverseStream
            | ModelApi::GoogleGeminiCli
            | ModelApi::GoogleVertex
            | ModelApi::MistralConversations => None,
        }
    }

    /// How this format sends an API key unless the provider says otherwise.
    pub fn default_auth(self) -> AuthStyle {
        match self {
            WireFormat::OpenaiCompletions | WireFormat::OpenaiResponses => AuthStyle::Bearer,
            WireFormat::AnthropicMessages => AuthStyle::XApiKey,
            WireFormat::GoogleGenerativeAi => AuthStyle::XGoogApiKey,
            WireFormat::Ollama => AuthStyle::Bearer,
        }
    }
}

/// How the credential travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `x-api-key: <key>` (Anthropic).
    XApiKey,
    /// `x-goog-api-key: <key>` (Gemini).
    XGoogApiKey,
}

/// Kinds of input a model accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modality {
    /// Text.
    Text,
    /// Images.
    Image,
}

/// Price per million tokens, in USD.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pricing {
    /// Input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Tokens read from the prompt cache.
    pub cache_read: f64,
    /// Tokens written to the prompt cache.
    pub cache_write: f64,
}

/// A model as the runtime needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// Provider id (the part before `/` in a model ref), e.g. `openai`.
    pub provider: String,
    /// Model id as the provider knows it, e.g. `gpt-5.4`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Wire format.
    pub api: WireFormat,
    /// API base URL, e.g. `https://api.openai.com/v1` (no trailing slash).
    pub base_url: String,
    /// Whether the model supports extended thinking.
    pub reasoning: bool,
    /// Input kinds.
    pub input: Vec<Modality>,
    /// Context window in tokens.
    pub context_window: u64,
    /// Largest completion in tokens.
    pub max_tokens: u64,
    /// Prices.
    pub cost: Pricing,
    /// Extra headers for this model and its provider (non-secret).
    pub headers: BTreeMap<String, String>,
}

impl ModelSpec {
    /// `provider/id`.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.provider, self.id)
    }
}

/// A credential for a provider: an auth profile (`provider:default`, `provider:<name>`).
#[derive(Debug, Clone)]
pub struct Credential {
    /// Profile id, e.g. `openai:default`; shown in logs and cooldown records, never the key.
    pub profile_id: String,
    /// The key; `None` for keyless local servers.
    pub key: Option<Secret>,
    /// How the key is sent.
    pub auth: AuthStyle,
}

/// One concrete destination for a request: a model and the credential to use.
#[derive(Debug, Clone)]
pub struct Target {
    /// The model.
    pub model: ModelSpec,
    /// The credential.
    pub credential: Credential,
}
