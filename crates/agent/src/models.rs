//! Model access for runs: which models a session uses (primary, override, fallbacks), and
//! opening a stream through retries, auth-profile rotation and failover.

use rustyclaw_config::{AgentConfig, Config, Env};
use rustyclaw_protocol::SessionEntry;
use rustyclaw_providers::{
    Client, ClientOptions, CooldownRecord, Cooldowns, EventStream, FailoverChain, FailoverError,
    FailureClass, ModelCatalog, ModelListing, ModelRequest, ModelSpec, ResolveError, RetryPolicy,
    stream_with_failover,
};
use rustyclaw_store::{CooldownRow, Store};
use tokio_util::sync::CancellationToken;

mod probe;

pub use probe::{ProbeError, ProbeReport};

use crate::error::AgentError;
use crate::event::EventKind;

/// The models one run may use, best first.
#[derive(Debug, Clone)]
pub struct ModelPlan {
    /// The model tried first (the session's override or the agent's primary).
    pub primary: ModelSpec,
    /// The whole chain.
    pub chain: FailoverChain,
}

/// An open response stream and the model answering it.
pub struct Opened {
    /// The events.
    pub stream: EventStream,
    /// The model that answered (a fallback when the primary failed).
    pub spec: ModelSpec,
}

/// Why no stream could be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The run was aborted while waiting.
    #[error("aborted")]
    Aborted,
    /// The prompt does not fit the model's context window.
    #[error("{message}")]
    Overflow {
        /// The provider's message.
        message: String,
    },
    /// Every model and credential failed.
    #[error("{message}")]
    Failed {
        /// What was tried and how each attempt failed.
        message: String,
    },
}

/// Catalog, HTTP client, retry policy and cooldowns, shared by every run.
#[derive(Debug)]
pub struct Models {
    catalog: ModelCatalog,
    client: Client,
    retry: RetryPolicy,
    cooldowns: Cooldowns,
    /// Where cooldowns are recorded (none in tests that do not need it).
    store: Option<Store>,
}

impl Models {
    /// Models as configured, with credentials from config and `env`.
    pub fn new(config: &Config, env: &Env) -> Result<Self, AgentError> {
        let client = Client::new(ClientOptions::default()).map_err(|e| AgentError::Model {
            detail: e.to_string(),
        })?;
        Ok(Self::with_parts(
            ModelCatalog::from_config(config, env),
            client,
            RetryPolicy::default(),
        ))
    }

    /// Models from explicit parts (tests use short retry delays).
    pub fn with_parts(catalog: ModelCatalog, client: Client, retry: RetryPolicy) -> Self {
        Self {
            catalog,
            client,
            retry,
            cooldowns: Cooldowns::new(),
            store: None,
        }
    }

    /// Every known model.
    pub fn list(&self) -> Vec<ModelListing> {
        self.catalog.list()
    }

    /// Resolves a model ref or alias.
    pub fn resolve(&self, reference: &str) -> Result<ModelSpec, ResolveError> {
        self.catalog.resolve(reference)
    }

    /// The plan for a run of `agent` in the session described by `entry`.
    pub fn plan(&self, agent: &AgentConfig, entry: &SessionEntry) -> Result<ModelPlan, AgentError> {
        let session_override = match (&entry.provider_override, &entry.model_override) {
            (Some(provider), Some(model)) => Some(format!("{provider}/{model}")),
            (None, Some(model)) => Some(model.clone()),
            _ => None,
        };
        let chain = self
            .catalog
            .chain(&agent.model, session_override.as_deref())
            .map_err(|e| AgentError::Model {
                detail: match e {
                    ResolveError::NoModel => format!(
                        "no model is configured for agent {:?}; set agents.defaults.model.primary (for example `rustyclaw config set agents.defaults.model.primary openai/gpt-5.4`)",
                        agent.id
                    ),
                    other => other.to_string(),
                },
            })?;
        for unresolved in &chain.unresolved {
            tracing::warn!(agent = %agent.id, error = %unresolved, "fallback model skipped");
        }
        let primary = chain
            .candidates
            .first()
            .map(|c| c.model.clone())
            .ok_or_else(|| AgentError::Model {
                detail: "the model chain is empty".into(),
            })?;
        Ok(ModelPlan { primary, chain })
    }

    /// Opens a stream for `request`, trying the plan's models in order.
    pub async fn open(
        &self,
        plan: &ModelPlan,
        request: &ModelRequest,
        cancel: &CancellationToken,
        emit: &(dyn Fn(EventKind) + Sync),
    ) -> Result<Opened, OpenError> {
        let outcome = stream_with_failover(
            &self.client,
            &plan.chain.candidates,
            request,
            &self.retry,
            &self.cooldowns,
            cancel,
        )
        .await;
        match outcome {
            Ok(opened) => {
                self.persist(&opened.cooldowns).await;
                let answered = opened.target.model.reference();
                for attempt in &opened.attempts {
                    emit(EventKind::Failover {
                        from: attempt.model_ref.clone(),
                        to: answered.clone(),
                        reason: attempt.error_summary.clone(),
                    });
                }
                Ok(Opened {
                    stream: opened.stream,
                    spec: opened.target.model,
                })
            }
            Err(error) => {
                self.persist(error.cooldowns()).await;
                if error.is_aborted() {
                    return Err(OpenError::Aborted);
                }
                let message = match &error {
                    FailoverError::Stopped { error, .. } => error.to_string(),
                    FailoverError::Exhausted { .. } => error.to_string(),
                };
                if error.class() == Some(FailureClass::ContextOverflow) {
                    Err(OpenError::Overflow { message })
                } else {
                    Err(OpenError::Failed { message })
                }
            }
        }
    }

    /// Loads cooldowns recorded by earlier processes, and remembers the store for new ones.
    pub async fn attach_store(&mut self, store: Store) {
        let now = u64::try_from(crate::clock::now_ms()).unwrap_or(0);
        match store.active_cooldowns(now).await {
            Ok(rows) => {
                self.cooldowns = Cooldowns::restore(
                    rows.into_iter()
                        .map(|r| CooldownRecord {
                            profile_id: r.profile_id,
                            until_ms: r.until_ms,
                            reason: r.reason,
                        })
                        .collect(),
                );
            }
            Err(e) => tracing::warn!(error = %e, "could not read auth cooldowns; starting without"),
        }
        self.store = Some(store);
    }

    async fn persist(&self, records: &[CooldownRecord]) {
        let Some(store) = &self.store else { return };
        if records.is_empty() {
            return;
        }
        let rows: Vec<CooldownRow> = records
            .iter()
            .map(|r| CooldownRow {
                profile_id: r.profile_id.clone(),
                until_ms: r.until_ms,
                reason: r.reason.clone(),
            })
            .collect();
        if let Err(e) = store.upsert_cooldowns(&rows).await {
            tracing::warn!(error = %e, "could not record auth cooldowns");
        }
    }
}
