//! One tiny completion against an agent's primary model: is the endpoint reachable and is the
//! key accepted. `doctor` and `onboard` use it; a run never does (runs retry and fail over).

use std::time::{Duration, Instant};

use rustyclaw_config::AgentConfig;
use rustyclaw_protocol::transcript::{AgentMessage, MessageContent, UserMessage};
use rustyclaw_providers::{FailureClass, ModelRequest, ProviderError, Target, collect};

use super::Models;

/// A model that answered the probe.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    /// `provider/model`.
    pub model: String,
    /// From sending the request to the end of the reply.
    pub elapsed: Duration,
    /// The reply's text (may be empty: the cap on tokens can end it before any text).
    pub reply: String,
}

/// Why the probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The agent has no model, or its ref resolves to nothing.
    #[error("{0}")]
    NoModel(String),
    /// The model was called and failed.
    #[error("{model}: {error}")]
    Failed {
        /// `provider/model`.
        model: String,
        /// What the provider (or the connection) said.
        error: ProviderError,
    },
    /// No complete answer within the probe's time.
    #[error("{model} did not answer within {} s", after.as_secs())]
    TimedOut {
        /// `provider/model`.
        model: String,
        /// The probe's time limit.
        after: Duration,
    },
}

impl ProbeError {
    /// The failure's class, when the model was called.
    pub fn class(&self) -> Option<FailureClass> {
        match self {
            ProbeError::Failed { error, .. } => Some(error.class()),
            ProbeError::TimedOut { .. } => Some(FailureClass::Network),
            ProbeError::NoModel(_) => None,
        }
    }
}

/// The probe's prompt: short, so a paid model costs next to nothing.
const PROBE_PROMPT: &str = "Reply with the single word OK.";

/// The probe's completion cap: enough for "OK" from a model that thinks first.
const PROBE_MAX_TOKENS: u64 = 64;

impl Models {
    /// Sends one short request to `agent`'s primary model with its first credential, without
    /// retries or failover, and waits at most `within` for the whole answer.
    pub async fn probe(
        &self,
        agent: &AgentConfig,
        within: Duration,
    ) -> Result<ProbeReport, ProbeError> {
        let chain = self
            .catalog
            .chain(&agent.model, None)
            .map_err(|e| ProbeError::NoModel(e.to_string()))?;
        let Some(candidate) = chain.candidates.into_iter().next() else {
            return Err(ProbeError::NoModel("no model is configured".into()));
        };
        let model = candidate.reference();
        let Some(credential) = candidate.profiles.first().cloned() else {
            return Err(ProbeError::Failed {
                error: candidate.missing_key(),
                model,
            });
        };
        let target = Target {
            model: candidate.model,
            credential,
        };
        let mut request = ModelRequest::new(
            "You are a connectivity check.",
            vec![AgentMessage::User(UserMessage::new(
                MessageContent::Text(PROBE_PROMPT.to_owned()),
                0,
            ))],
        );
        request.max_tokens = Some(PROBE_MAX_TOKENS);
        let started = Instant::now();
        let call = async {
            let stream = self.client.stream(&target, &request).await?;
            let (message, error) = collect(stream, &target.model, 0).await;
            match error {
                Some(e) => Err(e),
                None => Ok(crate::text::text_blocks(&message.content, "")),
            }
        };
        match tokio::time::timeout(within, call).await {
            Err(_) => Err(ProbeError::TimedOut {
                model,
                after: within,
            }),
            Ok(Err(error)) => Err(ProbeError::Failed { model, error }),
            Ok(Ok(reply)) => Ok(ProbeReport {
                model,
                elapsed: started.elapsed(),
                reply,
            }),
        }
    }
}
