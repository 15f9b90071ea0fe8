//! The checks that reach out: is a gateway answering at the configured port, and does the
//! configured model answer a one-line request with the configured key.

use std::net::TcpListener;
use std::time::Duration;

use rustyclaw_agent::{Models, ProbeError};
use rustyclaw_config::LoadedConfig;
use rustyclaw_providers::{FailureClass, ProviderError};

use super::{Check, Status, check};
use crate::commands::gateway::knock::{Answer, knock_configured};
use crate::gateway_client::block_on;

/// How long the model probe waits for the whole answer.
const MODEL_PROBE: Duration = Duration::from_secs(20);

/// Whether a gateway answers at the configured port, else whether the port is free for one.
pub(super) fn gateway_check(l: &LoadedConfig) -> Check {
    let (url, answer) = knock_configured(l);
    let g = &l.config.gateway;
    match answer {
        Answer::Running(version) => check(
            "gateway",
            Status::Ok,
            format!("running at {} ({version})", url),
        ),
        Answer::Refused(reason) => check(
            "gateway",
            Status::Warn,
            format!("something answers at {} but the handshake failed: {reason}", url),
        )
        .hint("if it is a gateway with another token, set gateway.auth.token to match; otherwise pick another port: rustyclaw config set gateway.port <port>"),
        Answer::Nothing => {
            // Where `gateway run` would listen, by the same rule, refusals included.
            let addr = match rustyclaw_host::listener::address(&l.config, &Default::default()) {
                Ok(addr) => addr,
                Err(refused) => {
                    let failed = check("gateway", Status::Fail, refused.to_string());
                    return match refused.hint() {
                        Some(hint) => failed.hint(hint.to_owned()),
                        None => failed,
                    };
                }
            };
            match TcpListener::bind(addr) {
                Ok(_) => check(
                    "gateway",
                    Status::Ok,
                    format!("not running; `rustyclaw gateway run` listens on {addr}"),
                ),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => check(
                    "gateway",
                    Status::Warn,
                    format!("{addr} is in use by a program that is not a gateway"),
                )
                .hint(format!(
                    "stop the other program or pick another port: rustyclaw config set gateway.port {}",
                    g.port.saturating_add(1)
                )),
                Err(e) => check(
                    "gateway",
                    Status::Fail,
                    format!("cannot listen on {addr}: {e}"),
                ),
            }
        }
    }
}

/// Sends the default agent's primary model one short request. `None` when no model is
/// configured (the `model` check already says so).
pub(super) fn model_probe_check(l: &LoadedConfig) -> Option<Check> {
    let config = &l.config;
    let agent = config.agents.get(&config.agents.default_agent_id)?;
    agent.model.primary.as_ref()?;
    let result = block_on(async {
        let models = Models::new(config, &l.env)?;
        Ok(models.probe(agent, MODEL_PROBE).await)
    });
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => {
            return Some(check(
                "model.probe",
                Status::Fail,
                format!("could not set up the model client: {e:#}"),
            ));
        }
    };
    Some(match outcome {
        Ok(report) => check(
            "model.probe",
            Status::Ok,
            format!(
                "{} answered in {} ms",
                report.model,
                report.elapsed.as_millis()
            ),
        ),
        Err(error) => probe_failure(&error),
    })
}

/// The check for a failed probe: what happened in plain words, and the fix for that kind of
/// failure.
fn probe_failure(error: &ProbeError) -> Check {
    let ProbeError::Failed {
        model,
        error: cause,
    } = error
    else {
        let c = check("model.probe", Status::Fail, error.to_string());
        return match error {
            ProbeError::TimedOut { .. } => c.hint("the server accepted the connection but did not answer: is the model loaded, or is the machine too slow for it?"),
            _ => c.hint("set agents.defaults.model.primary to a model of models.providers (`rustyclaw models list`)"),
        };
    };
    let provider = model.split('/').next().unwrap_or(model);
    let (status, hint) = match (cause, error.class()) {
        (ProviderError::Connect { url, .. }, _) => (
            Status::Fail,
            format!(
                "start the model server, or point models.providers.{provider}.baseUrl at where it runs (tried {url})"
            ),
        ),
        (ProviderError::MissingKey { hint, .. }, _) => (
            Status::Fail,
            format!("set {hint}, or store it: rustyclaw credentials set {provider}"),
        ),
        (_, Some(FailureClass::Auth)) => (
            Status::Fail,
            format!(
                "the key was refused: check models.providers.{provider}.apiKey (or the variable it names)"
            ),
        ),
        (_, Some(FailureClass::Billing)) => (
            Status::Fail,
            "the account has no credit or quota left at the provider".to_owned(),
        ),
        (_, Some(FailureClass::RateLimit | FailureClass::Overloaded | FailureClass::Server)) => (
            Status::Warn,
            "the endpoint and key work but the provider is busy; try again later".to_owned(),
        ),
        (ProviderError::Status { status: 404, .. }, _) => (
            Status::Fail,
            format!(
                "the endpoint does not know this model or path: check the model id and models.providers.{provider}.baseUrl"
            ),
        ),
        _ => (
            Status::Fail,
            format!("check models.providers.{provider} (baseUrl, api, apiKey)"),
        ),
    };
    check("model.probe", status, format!("{model}: {cause}")).hint(hint)
}
