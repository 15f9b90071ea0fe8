//! `rustyclaw gateway call` and `rustyclaw health`: one request to a running gateway over its
//! WebSocket protocol, connecting as the `cli` client does.

use std::process::ExitCode;

use rustyclaw_config::LoadedConfig;
use rustyclaw_protocol::gateway::HealthSnapshot;
use serde_json::{Value, json};

use crate::UserError;
use crate::args::{GatewayCallArgs, HealthArgs};
use crate::gateway_client::{Connection, Target, block_on, payload_of};
use crate::output;

/// Runs `gateway call`.
pub(super) fn run(loaded: &LoadedConfig, args: &GatewayCallArgs) -> anyhow::Result<ExitCode> {
    let params = match &args.params {
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| UserError::new(format!("--params is not valid JSON: {e}")))?,
        None => json!({}),
    };
    let target = Target::new(
        loaded,
        args.url.as_deref(),
        args.token.as_deref(),
        args.timeout,
    );
    let payload = call(&target, &args.method, params)?;
    output::json(&payload);
    Ok(ExitCode::SUCCESS)
}

/// Runs `health`.
pub(super) fn health(loaded: &LoadedConfig, args: &HealthArgs) -> anyhow::Result<ExitCode> {
    let target = Target::new(
        loaded,
        args.url.as_deref(),
        args.token.as_deref(),
        args.timeout,
    );
    let payload = call(&target, "health", json!({}))?;
    if args.json {
        output::json(&payload);
        return Ok(ExitCode::SUCCESS);
    }
    let health: HealthSnapshot = serde_json::from_value(payload)
        .map_err(|e| anyhow::anyhow!("the gateway's health answer is malformed: {e}"))?;
    output::out(&format!(
        "Gateway: {} ({} ms)",
        if health.ok { "ok" } else { "unhealthy" },
        health.duration_ms
    ));
    for agent in &health.agents {
        let sessions = agent.sessions.as_ref().map_or(0, |s| s.count);
        let default = if agent.is_default { " (default)" } else { "" };
        output::out(&format!(
            "Agent {}{default}: {sessions} recent session(s)",
            agent.agent_id
        ));
        for recent in agent.sessions.iter().flat_map(|s| &s.recent) {
            output::out(&format!("  {} ({}s ago)", recent.key, recent.age / 1000));
        }
    }
    Ok(if health.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Connects, performs the handshake, sends one request and returns its payload (for `agent`,
/// the final one).
fn call(target: &Target, method: &str, params: Value) -> anyhow::Result<Value> {
    block_on(async {
        tokio::time::timeout(target.timeout, exchange(target, method, params))
            .await
            .map_err(|_| {
                UserError::new(format!(
                    "no answer from {} within {:?}",
                    target.url, target.timeout
                ))
            })?
    })
}

async fn exchange(target: &Target, method: &str, params: Value) -> anyhow::Result<Value> {
    let mut connection = Connection::open(target).await?;
    let id = connection.send(method, params).await?;
    let mut payload = payload_of(connection.response(&id, |_| {}).await?, method)?;
    // `agent` answers `accepted` first and the outcome later, with the same id.
    if payload.get("status").and_then(Value::as_str) == Some("accepted") {
        payload = payload_of(connection.response(&id, |_| {}).await?, method)?;
    }
    connection.close().await;
    Ok(payload)
}
