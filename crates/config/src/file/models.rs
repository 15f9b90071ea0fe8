//! `models`: providers and the models they serve.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretInput;

/// `models` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelsSection {
    /// `merge` (default) adds these providers to the built-in catalog; `replace` uses only these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<ModelsMode>,
    /// Providers by id (the part before `/` in a model ref).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub providers: Option<BTreeMap<String, ProviderSection>>,
}

/// How configured providers combine with the built-in catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelsMode {
    /// Built-in vendors plus these.
    Merge,
    /// Only these.
    Replace,
}

/// One model provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderSection {
    /// API base URL, e.g. `https://api.openai.com/v1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// API key (literal, `${VAR}`, or SecretRef).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<SecretInput>,
    /// Wire format spoken by the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<ModelApi>,
    /// How credentials are sent: `api-key` (default), `token`, `oauth`, `aws-sdk`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// Send the key as `Authorization: Bearer` even for APIs that use another header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_header: Option<bool>,
    /// Extra HTTP headers on every request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Models served by this provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<ModelDefinitionSection>>,
}

/// Wire formats (OpenClaw's `api` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ModelApi {
    /// OpenAI chat completions (and compatible servers).
    OpenaiCompletions,
    /// OpenAI responses.
    OpenaiResponses,
    /// Anthropic messages.
    AnthropicMessages,
    /// Google Gemini generateContent.
    GoogleGenerativeAi,
    /// Ollama's native API.
    Ollama,
    /// Azure OpenAI responses (not supported yet).
    AzureOpenaiResponses,
    /// OpenAI Codex responses (not supported yet).
    OpenaiCodexResponses,
    /// AWS Bedrock converse stream (not supported yet).
    BedrockConverseStream,
    /// Gemini CLI (not supported yet).
    GoogleGeminiCli,
    /// Google Vertex (not supported yet).
    GoogleVertex,
    /// Mistral conversations (not supported yet).
    MistralConversations,
}

impl ModelApi {
    /// True for the wire formats rustyclaw implements.
    pub fn is_supported(self) -> bool {
        match self {
            ModelApi::OpenaiCompletions
            | ModelApi::OpenaiResponses
            | ModelApi::AnthropicMessages
            | ModelApi::GoogleGenerativeAi
            | ModelApi::Ollama => true,
            ModelApi::AzureOpenaiResponses
            | ModelApi::OpenaiCodexResponses
            | ModelApi::BedrockConverseStream
            | ModelApi::GoogleGeminiCli
            | ModelApi::GoogleVertex
            | ModelApi::MistralConversations => false,
        }
    }

    /// The name as written in config.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelApi::OpenaiCompletions => "openai-completions",
            ModelApi::OpenaiResponses => "openai-responses",
            ModelApi::AnthropicMessages => "anthropic-messages",
            ModelApi::GoogleGenerativeAi => "google-generative-ai",
            ModelApi::Ollama => "ollama",
            ModelApi::AzureOpenaiResponses => "azure-openai-responses",
            ModelApi::OpenaiCodexResponses => "openai-codex-responses",
            ModelApi::BedrockConverseStream => "bedrock-converse-stream",
            ModelApi::GoogleGeminiCli => "google-gemini-cli",
            ModelApi::GoogleVertex => "google-vertex",
            ModelApi::MistralConversations => "mistral-conversations",
        }
    }
}

/// One model of a provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelDefinitionSection {
    /// Model id as the provider knows it.
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the model supports extended thinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<bool>,
    /// Input kinds: `text`, `image`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Vec<ModelInput>>,
    /// Price per million tokens, in USD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<ModelCostSection>,
    /// Context window in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Context budget to use (≤ contextWindow), when smaller than the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_tokens: Option<u64>,
    /// Largest completion in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Extra HTTP headers for this model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// Input kinds a model accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelInput {
    /// Text.
    Text,
    /// Images.
    Image,
}

/// Prices in USD per million tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelCostSection {
    /// Input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<f64>,
    /// Output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<f64>,
    /// Cached input tokens read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    /// Cached input tokens written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
}
