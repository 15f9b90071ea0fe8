//! HTTP on the gateway port: liveness/readiness probes and the WebSocket upgrade.

use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, http::StatusCode};
use rustyclaw_protocol::gateway::MAX_PAYLOAD_BYTES;
use serde_json::json;
use std::net::SocketAddr;

use crate::conn;
use crate::peer::Peer;
use crate::state::GatewayState;

pub(crate) fn routes(state: GatewayState) -> Router {
    Router::new()
        .route("/health", get(live))
        .route("/healthz", get(live))
        .route("/ready", get(ready))
        .route("/readyz", get(ready))
        .fallback(upgrade)
        .with_state(state)
}

/// Liveness: the process answers.
async fn live() -> Response {
    Json(json!({"ok": true, "status": "live"})).into_response()
}

/// Readiness: the gateway accepts work (not once it is shutting down).
async fn ready(State(state): State<GatewayState>) -> Response {
    if state.0.shutdown.borrow().is_some() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "failing": ["shutdown"]})),
        )
            .into_response();
    }
    Json(json!({"ready": true, "failing": [], "uptimeMs": state.0.started.elapsed().as_millis()}))
        .into_response()
}

/// Any other path: a WebSocket upgrade, or 404 for plain HTTP.
async fn upgrade(
    State(state): State<GatewayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    // The pre-auth cap (64 KiB) is checked by the connection itself before the handshake.
    ws.max_message_size(MAX_PAYLOAD_BYTES)
        .on_upgrade(move |socket| conn::run(socket, state, Peer::new(addr, &headers)))
}
