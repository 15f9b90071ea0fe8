//! The memory settings of an agent, resolved from `memory.*` with OpenClaw's defaults.

use rustyclaw_config::Config;
use rustyclaw_config::file::{MemoryCitations, MemoryExtraPath, MemoryFtsTokenizer};
use rustyclaw_store::FtsTokenizer;

/// Default `memory.search.query.maxResults`.
pub const DEFAULT_MAX_RESULTS: usize = 6;
/// Default `memory.search.query.minScore`.
pub const DEFAULT_MIN_SCORE: f64 = 0.35;

/// Which embedding provider, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderChoice {
    /// Unset or `auto`: OpenAI when a key is configured, else words only.
    Auto,
    /// `none`: words only, on purpose.
    None,
    /// `local`: the built-in sentence-embedding model.
    Local,
    /// A named remote provider.
    Named(String),
}

/// Resolved memory settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MemorySettings {
    /// Memory search and its tools are on.
    pub enabled: bool,
    /// `memory.search.extraPaths`.
    pub extra_paths: Vec<MemoryExtraPath>,
    /// The embedding provider.
    pub provider: ProviderChoice,
    /// Results returned when a call does not say.
    pub max_results: usize,
    /// Lowest score returned when a call does not say.
    pub min_score: f64,
    /// Cache embeddings by content.
    pub cache: bool,
    /// FTS tokenizer.
    pub tokenizer: FtsTokenizer,
    /// `memory.citations`.
    pub citations: MemoryCitations,
}

impl MemorySettings {
    /// The settings of `config`.
    pub fn from_config(config: &Config) -> Self {
        let search = config.memory.search.as_ref();
        let provider = match search.and_then(|s| s.provider.as_deref()).map(str::trim) {
            None | Some("" | "auto") => ProviderChoice::Auto,
            Some("none") => ProviderChoice::None,
            Some("local") => ProviderChoice::Local,
            Some(other) => ProviderChoice::Named(other.to_owned()),
        };
        let query = search.and_then(|s| s.query.as_ref());
        Self {
            enabled: search.and_then(|s| s.enabled).unwrap_or(true),
            extra_paths: search
                .and_then(|s| s.extra_paths.clone())
                .unwrap_or_default(),
            provider,
            max_results: query
                .and_then(|q| q.max_results)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .unwrap_or(DEFAULT_MAX_RESULTS),
            min_score: query.and_then(|q| q.min_score).unwrap_or(DEFAULT_MIN_SCORE),
            cache: search
                .and_then(|s| s.cache.as_ref())
                .and_then(|c| c.enabled)
                .unwrap_or(true),
            tokenizer: match search
                .and_then(|s| s.store.as_ref())
                .and_then(|s| s.fts.as_ref())
                .and_then(|f| f.tokenizer)
            {
                Some(MemoryFtsTokenizer::Trigram) => FtsTokenizer::Trigram,
                _ => FtsTokenizer::Unicode61,
            },
            citations: config.memory.citations.unwrap_or(MemoryCitations::Auto),
        }
    }
}
