//! `POST /tools/invoke`: an operator calls one tool directly. The tool must pass the session's
//! tool policy (as a turn would apply it) and the gateway's HTTP deny list, which by default
//! keeps everything that runs commands, writes files or reaches other sessions off HTTP even when
//! the agent may use it (`gateway.tools.allow` lifts an entry, `gateway.tools.deny` adds one).

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rustyclaw_agent::ToolInvocation;
use rustyclaw_protocol::{AgentId, SessionKey};
use serde_json::{Value, json};

use super::auth::{Conn, authorize};
use crate::auth_limiter::RateKey;
use crate::peer::client_ip;
use crate::state::GatewayState;

/// Tools never invoked over HTTP unless `gateway.tools.allow` names them (upstream's list).
const DEFAULT_HTTP_DENY: &[&str] = &[
    "exec",
    "spawn",
    "shell",
    "fs_write",
    "fs_delete",
    "fs_move",
    "apply_patch",
    "sessions_spawn",
    "sessions_send",
    "cron",
    "gateway",
    "nodes",
    "whatsapp_login",
];

pub(super) fn routes() -> Router<GatewayState> {
    Router::new().route("/tools/invoke", post(invoke))
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn failure(status: StatusCode, kind: &str, message: &str) -> Response {
    reply(
        status,
        json!({"ok": false, "error": {"type": kind, "message": message}}),
    )
}

/// Whether the HTTP deny list keeps `tool` off this endpoint.
fn http_denied(state: &GatewayState, tool: &str) -> bool {
    let section = &state.config().gateway.http_tools;
    let listed = |list: &Option<Vec<String>>| {
        list.as_deref()
            .unwrap_or_default()
            .iter()
            .any(|entry| entry.trim().eq_ignore_ascii_case(tool))
    };
    listed(&section.deny) || (DEFAULT_HTTP_DENY.contains(&tool) && !listed(&section.allow))
}

async fn invoke(
    State(state): State<GatewayState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    conn: Conn,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let ip = client_ip(addr, &headers, &state.config().gateway.trusted_proxies);
    let key = RateKey::for_socket(addr, ip, None);
    if let Err(denied) = authorize(&state, &headers, &key, &conn).await {
        return denied.into_response();
    }
    let Ok(bytes) = axum::body::to_bytes(body, crate::limits::TOOLS_INVOKE_MAX_BODY_BYTES).await
    else {
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": {"message": "Payload too large", "type": "invalid_request_error"}}),
        );
    };
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(_) => Value::Object(serde_json::Map::new()),
        Err(_) => {
            return reply(
                StatusCode::BAD_REQUEST,
                json!({"error": {"message": "invalid JSON body", "type": "invalid_request_error"}}),
            );
        }
    };
    let tool = body
        .get("tool")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if tool.is_empty() {
        return failure(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "tools.invoke requires body.tool",
        );
    }
    let default_agent = AgentId::normalize(&state.config().agents.default_agent_id);
    let session_key = match body
        .get("sessionKey")
        .and_then(Value::as_str)
        .map(str::trim)
    {
        None | Some("" | "main") => SessionKey::main(&default_agent),
        Some(raw) => match SessionKey::parse(raw) {
            Ok(key) => key,
            Err(e) => {
                return failure(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    &format!("invalid sessionKey: {e}"),
                );
            }
        },
    };
    let not_available = || {
        failure(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("Tool not available: {tool}"),
        )
    };
    if http_denied(&state, &tool) {
        return not_available();
    }
    let args = match body.get("args") {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        _ => json!({}),
    };
    let call = ToolInvocation {
        agent_id: session_key.agent_id().unwrap_or(default_agent),
        session_key,
        name: tool.clone(),
        args,
        action: body
            .get("action")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        dry_run: body.get("dryRun").and_then(Value::as_bool).unwrap_or(false),
    };
    match state.0.runtime.invoke_tool(call).await {
        Ok(None) => not_available(),
        Ok(Some(Ok(output))) => reply(
            StatusCode::OK,
            json!({"ok": true, "result": {"content": output.content, "details": output.details}}),
        ),
        Ok(Some(Err(error))) => failure(StatusCode::BAD_REQUEST, "tool_error", &error.to_string()),
        Err(error) => {
            tracing::warn!(%error, tool = %tool, "tools.invoke failed");
            failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                &error.to_string(),
            )
        }
    }
}
