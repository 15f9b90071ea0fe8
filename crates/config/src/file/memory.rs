//! `memory`: the memory index, its search and its embedding provider (OpenClaw 9.6's top-level
//! `memory.search`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretInput;

/// `memory` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemorySection {
    /// Whether search results carry `Source: <path#line>` (`auto`: in direct chats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citations: Option<MemoryCitations>,
    /// The index and its search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<MemorySearchSection>,
}

/// `memory.citations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemoryCitations {
    /// In direct chats, not in groups and channels.
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
}

/// `memory.search`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemorySearchSection {
    /// Index memory and offer `memory_search`/`memory_get` (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// What is indexed: `memory` (MEMORY.md, USER.md, memory/**/*.md, extra paths).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
    /// More directories or Markdown files to index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_paths: Option<Vec<MemoryExtraPath>>,
    /// The embedding provider: `openai`, `gemini`, `voyage`, `mistral`, `ollama`,
    /// `openai-compatible`, `local`, a `models.providers` id, or `none` for words only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The embedding model (default: the provider's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The provider used when the first one fails (`none` = search by words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// Where the provider is reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<MemoryRemoteSection>,
    /// Vector length asked of providers that can shorten theirs (Gemini).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_dimensionality: Option<u32>,
    /// `input_type` sent with every embedding request (OpenAI-compatible endpoints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_type: Option<String>,
    /// `input_type` of search queries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_input_type: Option<String>,
    /// `input_type` of indexed chunks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_input_type: Option<String>,
    /// The built-in local model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local: Option<MemoryLocalSection>,
    /// The index's storage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<MemoryStoreSection>,
    /// Result count and threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<MemoryQuerySection>,
    /// The embedding cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<MemoryCacheSection>,
}

/// One `memory.search.extraPaths` entry: a path, or a directory with a glob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MemoryExtraPath {
    /// A directory (searched recursively for `.md` files) or a file.
    Path(String),
    /// A directory narrowed by a root-relative glob (`runbooks/**/*.md`).
    Pattern(MemoryExtraPathPattern),
}

/// `{ path, pattern? }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryExtraPathPattern {
    /// The directory or file (relative paths from the workspace).
    pub path: String,
    /// A glob relative to `path`, `/`-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

/// `memory.search.remote`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryRemoteSection {
    /// The API's base URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Its API key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<SecretInput>,
    /// Extra HTTP headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// `memory.search.local`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryLocalSection {
    /// The directory of a sentence-embedding model (`config.json`, `tokenizer.json`,
    /// `model.safetensors`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_path: Option<String>,
}

/// `memory.search.store`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryStoreSection {
    /// The word index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fts: Option<MemoryFtsSection>,
}

/// `memory.search.store.fts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryFtsSection {
    /// `unicode61` (default) or `trigram` (for text written without spaces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<MemoryFtsTokenizer>,
}

/// `memory.search.store.fts.tokenizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemoryFtsTokenizer {
    /// Words between spaces and punctuation.
    Unicode61,
    /// Character trigrams.
    Trigram,
}

/// `memory.search.query`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryQuerySection {
    /// Results returned (default 6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// Lowest score returned (default 0.35).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
}

/// `memory.search.cache`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryCacheSection {
    /// Keep embeddings by content so unchanged text is never embedded twice (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}
