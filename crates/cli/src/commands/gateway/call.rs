//! `rustyclaw gateway call` and `rustyclaw health`: one request to a running gateway over its
//! WebSocket protocol, connecting as the `cli` client does.

use std::process::ExitCode;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustyclaw_config::{ExposeSecret, LoadedConfig};
use rustyclaw_protocol::gateway::{
    ConnectAuth, Frame, HealthSnapshot, PROTOCOL_VERSION, ResponseFrame,
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::UserError;
use crate::args::{GatewayCallArgs, HealthArgs};
use crate::output;

/// The scopes the official CLI asks for.
const CLI_SCOPES: &[&str] = &[
    "operator.admin",
    "operator.read",
    "operator.write",
    "operator.approvals",
    "operator.pairing",
    "operator.talk.secrets",
];

/// Where and how to connect.
struct Target {
    url: String,
    auth: ConnectAuth,
    timeout: Duration,
}

fn target(
    loaded: &LoadedConfig,
    url: Option<&str>,
    token: Option<&str>,
    timeout_ms: u64,
) -> Target {
    let gateway = &loaded.config.gateway;
    let url = url.map_or_else(|| format!("ws://127.0.0.1:{}", gateway.port), str::to_owned);
    let mut auth = ConnectAuth::default();
    // An explicit --token wins; otherwise the configured shared secret (which already includes
    // OPENCLAW_GATEWAY_TOKEN / OPENCLAW_GATEWAY_PASSWORD).
    match token {
        Some(token) => auth.token = Some(token.to_owned()),
        None => {
            auth.token = gateway
                .auth
                .token
                .as_ref()
                .map(|t| t.expose_secret().to_owned());
            auth.password = gateway
                .auth
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned());
        }
    }
    Target {
        url,
        auth,
        timeout: Duration::from_millis(timeout_ms.max(1)),
    }
}

/// Runs `gateway call`.
pub(super) fn run(loaded: &LoadedConfig, args: &GatewayCallArgs) -> anyhow::Result<ExitCode> {
    let params = match &args.params {
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| UserError::new(format!("--params is not valid JSON: {e}")))?,
        None => json!({}),
    };
    let target = target(
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
    let target = target(
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
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
    let (mut ws, _) = tokio_tungstenite::connect_async(target.url.as_str())
        .await
        .map_err(|e| {
            UserError::new(format!(
                "cannot connect to the gateway at {}: {e}",
                target.url
            ))
            .hint("start it with `rustyclaw gateway run`, or pass --url")
        })?;
    let connect = json!({
        "type": "req", "id": "1", "method": "connect",
        "params": {
            "minProtocol": PROTOCOL_VERSION, "maxProtocol": PROTOCOL_VERSION,
            "client": {
                "id": "cli", "version": env!("CARGO_PKG_VERSION"),
                "platform": std::env::consts::OS, "mode": "cli",
                "instanceId": uuid::Uuid::new_v4().to_string(),
            },
            "caps": [], "role": "operator", "scopes": CLI_SCOPES,
            "auth": serde_json::to_value(&target.auth)?,
        }
    });
    ws.send(Message::text(connect.to_string())).await?;
    let hello = next_response(&mut ws, "1").await?;
    payload_of(hello, "connect")?;
    let request = json!({"type": "req", "id": "2", "method": method, "params": params});
    ws.send(Message::text(request.to_string())).await?;
    let mut payload = payload_of(next_response(&mut ws, "2").await?, method)?;
    // `agent` answers `accepted` first and the outcome later, with the same id.
    if payload.get("status").and_then(Value::as_str) == Some("accepted") {
        payload = payload_of(next_response(&mut ws, "2").await?, method)?;
    }
    let _ = ws.close(None).await;
    Ok(payload)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next response to `id`, skipping events.
async fn next_response(ws: &mut Socket, id: &str) -> anyhow::Result<ResponseFrame> {
    while let Some(message) = ws.next().await {
        match message? {
            Message::Text(text) => {
                if let Ok(Frame::Response(response)) = serde_json::from_str::<Frame>(&text)
                    && response.id == id
                {
                    return Ok(response);
                }
            }
            Message::Close(frame) => {
                let reason = frame
                    .map(|f| format!(" ({}: {})", u16::from(f.code), f.reason))
                    .unwrap_or_default();
                return Err(
                    UserError::new(format!("the gateway closed the connection{reason}")).into(),
                );
            }
            _ => {}
        }
    }
    Err(UserError::new("the gateway closed the connection").into())
}

fn payload_of(response: ResponseFrame, method: &str) -> anyhow::Result<Value> {
    if response.ok {
        return Ok(response.payload.unwrap_or(Value::Null));
    }
    let error = response.error.map_or_else(
        || "unknown error".to_owned(),
        |e| format!("{}: {}", e.code, e.message),
    );
    Err(UserError::new(format!("{method} failed: {error}")).into())
}
