//! HTTP on the gateway port: liveness/readiness probes, the OpenAI-compatible API
//! (`/v1/models`, `/v1/chat/completions`), `/tools/invoke`, and on any other path the
//! WebSocket upgrade or, for plain requests, the Control UI.

mod auth;
pub(crate) mod control_ui;
mod openai;
mod tools_invoke;

use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::header::CONNECTION;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, http::StatusCode};
use serde_json::json;
use std::net::SocketAddr;

use crate::auth_limiter::RateKey;
use crate::conn;
use crate::limits::MAX_PAYLOAD_BYTES;
use crate::peer::{Peer, client_ip};
use crate::preauth::{Admission, WhenFull};
use crate::state::GatewayState;
use auth::Conn;

pub(crate) fn routes(state: GatewayState) -> Router {
    Router::new()
        .route("/health", get(live))
        .route("/healthz", get(live))
        .route("/ready", get(ready))
        .route("/readyz", get(ready))
        .merge(openai::routes(&state))
        .merge(tools_invoke::routes())
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

/// Per-socket read buffer of the WebSocket connection.
const WS_READ_BUFFER_BYTES: usize = 4096;

/// Any other path: a WebSocket upgrade, else the Control UI, else 404.
async fn upgrade(
    State(state): State<GatewayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Conn(ticket): Conn,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        let request = control_ui::UiRequest {
            method: &method,
            uri: &uri,
            headers: &headers,
            addr,
            conn: Conn(ticket),
        };
        return match control_ui::respond(&state, &request).await {
            Some(response) => response,
            None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
        };
    };
    let peer = Peer::new(addr, &headers);
    let ip = client_ip(addr, &headers, &state.config().gateway.trusted_proxies);
    // Counted from the upgrade until the handshake ends, so one address cannot hold open an
    // unbounded number of sockets that never authenticate. Every local process shares the
    // owner's loopback address, so there a full budget closes that address's oldest socket
    // rather than refusing the newcomer, which may be the owner's CLI.
    let max = state.0.options.max_preauth_sockets_per_ip;
    let when_full = if state.0.limiter.exempts_loopback(ip) {
        WhenFull::EvictOldest
    } else {
        WhenFull::Refuse
    };
    let Some(slot) = state.0.preauth.acquire(ip, max, when_full) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CONNECTION, "close")],
            "Too many unauthenticated sockets",
        )
            .into_response();
    };
    let admission = Admission {
        key: RateKey::for_socket(addr, ip, peer.origin.as_deref()),
        slot,
        ticket,
    };
    // The pre-auth cap (64 KiB) is checked by the connection itself before the handshake.
    // Frames are limited like messages: the library's own frame limit (16 MiB) is below the
    // announced `maxPayload` and would drop a 20 MiB frame the gateway promised to take.
    // The WebSocket library's default 128 KiB read buffer is allocated and zeroed per socket:
    // 146 KB of resident memory for every idle client (the connections benchmark). Frames here
    // are small, and a large one is read in several chunks.
    ws.max_message_size(MAX_PAYLOAD_BYTES)
        .max_frame_size(MAX_PAYLOAD_BYTES)
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .on_upgrade(move |socket| conn::run(socket, state, peer, admission))
}
