//! The embedder of an agent's memory: a remote provider through the providers' HTTP client,
//! or none (search by words only). The choice and why is kept so `memory status` and every
//! search can say what is in use.

use rustyclaw_config::{Config, Env};
use rustyclaw_providers::Client;
use rustyclaw_providers::embeddings::{
    EmbedPurpose, EmbeddingChoice, EmbeddingTarget, MAX_BATCH, embedding_target,
};

use crate::settings::ProviderChoice;

/// What turns text into vectors.
#[derive(Debug)]
pub enum Embedder {
    /// A remote embedding API.
    Remote {
        /// The HTTP client.
        client: Client,
        /// Where and what.
        target: EmbeddingTarget,
    },
}

/// The embedder chosen for an agent, or why there is none.
#[derive(Debug)]
pub struct EmbedderChoice {
    /// The embedder (`None`: words only).
    pub embedder: Option<Embedder>,
    /// Why there is none, when the configuration asked for one or could have used one.
    pub reason: Option<String>,
}

impl Embedder {
    /// The provider's id.
    pub fn provider(&self) -> &str {
        match self {
            Self::Remote { target, .. } => &target.provider,
        }
    }

    /// The model's name.
    pub fn model(&self) -> &str {
        match self {
            Self::Remote { target, .. } => &target.model,
        }
    }

    /// The most tokens the model reads (`None`: large enough for any chunk).
    pub fn input_limit(&self) -> Option<usize> {
        None
    }

    /// Embeds `texts`, in batches the provider accepts.
    pub async fn embed(
        &self,
        texts: &[String],
        purpose: EmbedPurpose,
    ) -> Result<Vec<Vec<f32>>, String> {
        match self {
            Self::Remote { client, target } => {
                let mut out = Vec::with_capacity(texts.len());
                for batch in texts.chunks(MAX_BATCH) {
                    let vectors = client
                        .embed(target, batch, purpose)
                        .await
                        .map_err(|e| e.to_string())?;
                    out.extend(vectors);
                }
                Ok(out)
            }
        }
    }
}

/// Chooses the embedder for `choice`. `Auto` uses OpenAI when a key for it is configured.
pub fn choose(
    choice: &ProviderChoice,
    config: &Config,
    env: &Env,
    client: &Client,
) -> EmbedderChoice {
    let search = config.memory.search.as_ref();
    let remote = search.and_then(|s| s.remote.as_ref());
    let base = EmbeddingChoice {
        provider: "",
        model: search.and_then(|s| s.model.as_deref()),
        base_url: remote.and_then(|r| r.base_url.as_deref()),
        key: config.memory_api_key.as_ref(),
        headers: remote.and_then(|r| r.headers.as_ref()),
        dimensions: search.and_then(|s| s.output_dimensionality),
        input_type: search.and_then(|s| s.input_type.as_deref()),
        query_input_type: search.and_then(|s| s.query_input_type.as_deref()),
        document_input_type: search.and_then(|s| s.document_input_type.as_deref()),
    };
    let remote_for = |provider: &str| {
        let named = EmbeddingChoice {
            provider,
            ..base.clone()
        };
        embedding_target(&named, config, env).map(|target| Embedder::Remote {
            client: client.clone(),
            target,
        })
    };
    match choice {
        ProviderChoice::None => EmbedderChoice {
            embedder: None,
            reason: None,
        },
        ProviderChoice::Auto => match remote_for("openai") {
            Ok(embedder) => EmbedderChoice {
                embedder: Some(embedder),
                reason: None,
            },
            Err(e) => EmbedderChoice {
                embedder: None,
                reason: Some(format!("no embedding provider is configured ({e}); searching by words")),
            },
        },
        ProviderChoice::Local => EmbedderChoice {
            embedder: None,
            reason: Some(
                "memory.search.provider \"local\": this build has no built-in embedding model; searching by words"
                    .to_owned(),
            ),
        },
        ProviderChoice::Named(provider) => match remote_for(provider) {
            Ok(embedder) => EmbedderChoice {
                embedder: Some(embedder),
                reason: None,
            },
            Err(e) => EmbedderChoice {
                embedder: None,
                reason: Some(format!("memory.search.provider {provider:?} cannot be used: {e}; searching by words")),
            },
        },
    }
}

/// What a query is embedded for.
pub(crate) const QUERY: EmbedPurpose = EmbedPurpose::Query;
/// What a chunk is embedded for.
pub(crate) const DOCUMENT: EmbedPurpose = EmbedPurpose::Document;
