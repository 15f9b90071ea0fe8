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
        target: Box<EmbeddingTarget>,
    },
    /// The built-in model, on this machine.
    #[cfg(feature = "local-embeddings")]
    Local(std::sync::Arc<crate::local::LocalModel>),
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
            #[cfg(feature = "local-embeddings")]
            Self::Local(_) => "local",
        }
    }

    /// The model's name.
    pub fn model(&self) -> &str {
        match self {
            Self::Remote { target, .. } => &target.model,
            #[cfg(feature = "local-embeddings")]
            Self::Local(model) => model.name(),
        }
    }

    /// The most tokens the model reads (`None`: large enough for any chunk).
    pub fn input_limit(&self) -> Option<usize> {
        match self {
            Self::Remote { .. } => None,
            #[cfg(feature = "local-embeddings")]
            Self::Local(_) => Some(crate::local::MAX_TOKENS),
        }
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
            #[cfg(feature = "local-embeddings")]
            Self::Local(model) => {
                let model = std::sync::Arc::clone(model);
                let texts = texts.to_vec();
                tokio::task::spawn_blocking(move || model.embed(&texts))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())
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
    state_dir: &std::path::Path,
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
            target: Box::new(target),
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
                reason: Some(format!(
                    "no embedding provider is configured ({e}); searching by words"
                )),
            },
        },
        ProviderChoice::Local => local(config, state_dir),
        ProviderChoice::Named(provider) => match remote_for(provider) {
            Ok(embedder) => EmbedderChoice {
                embedder: Some(embedder),
                reason: None,
            },
            Err(e) => EmbedderChoice {
                embedder: None,
                reason: Some(format!(
                    "memory.search.provider {provider:?} cannot be used: {e}; searching by words"
                )),
            },
        },
    }
}

/// What a query is embedded for.
pub(crate) const QUERY: EmbedPurpose = EmbedPurpose::Query;
/// What a chunk is embedded for.
pub(crate) const DOCUMENT: EmbedPurpose = EmbedPurpose::Document;

/// Where the local model is: `memory.search.local.modelPath`, else
/// `<state dir>/models/all-MiniLM-L6-v2`.
pub fn local_model_dir(config: &Config, state_dir: &std::path::Path) -> std::path::PathBuf {
    config
        .memory
        .search
        .as_ref()
        .and_then(|s| s.local.as_ref())
        .and_then(|l| l.model_path.as_deref())
        .map_or_else(
            || state_dir.join("models").join("all-MiniLM-L6-v2"),
            std::path::PathBuf::from,
        )
}

/// The built-in model (blocking: it is read from disk).
#[cfg(feature = "local-embeddings")]
fn local(config: &Config, state_dir: &std::path::Path) -> EmbedderChoice {
    let dir = local_model_dir(config, state_dir);
    match crate::local::LocalModel::load(&dir) {
        Ok(model) => EmbedderChoice {
            embedder: Some(Embedder::Local(std::sync::Arc::new(model))),
            reason: None,
        },
        Err(error) => EmbedderChoice {
            embedder: None,
            reason: Some(format!(
                "the local embedding model cannot be loaded ({error}); see docs/memory.md for how to install it; searching by words"
            )),
        },
    }
}

#[cfg(not(feature = "local-embeddings"))]
fn local(config: &Config, state_dir: &std::path::Path) -> EmbedderChoice {
    let _ = local_model_dir(config, state_dir);
    EmbedderChoice {
        embedder: None,
        reason: Some(
            "memory.search.provider \"local\": this build has no built-in embedding model (cargo feature local-embeddings); searching by words"
                .to_owned(),
        ),
    }
}
