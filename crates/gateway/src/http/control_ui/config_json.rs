//! `<basePath>/control-ui-config.json`: what the page needs to know about this gateway before
//! and after it connects (the assistant's name and avatar, the server's version, which optional
//! surfaces exist). It carries nothing secret, but it is answered only to a client that holds
//! the gateway's secret or a paired device's operator token (`Authorization: Bearer …`), as
//! upstream: the page is public, what it learns about the install is not.

use axum::Json;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{UiRequest, security};
use crate::clock::now_ms;
use crate::http::auth::{authorize, bearer};
use crate::state::GatewayState;

/// The file name below the base path.
pub(super) const FILE_NAME: &str = "control-ui-config.json";

/// The same file under upstream's older locations, below the base path.
pub(super) const OTHER_NAMES: [&str; 2] = [
    "__openclaw/control-ui-config.json",
    "__openclaw__/control-ui-config.json",
];

/// The authenticated answer: 200 with the settings, else 401/429 as the HTTP API answers.
pub(super) async fn respond(state: &GatewayState, request: &UiRequest<'_>, base: &str) -> Response {
    if !holds_device_token(state, request.headers) {
        let key = super::rate_key(state, request);
        if let Err(denied) = authorize(state, request.headers, &key, &request.conn).await {
            return denied.into_response();
        }
    }
    let mut response = Json(settings(state, base)).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security::apply(headers, security::DIRECTORY_POLICY);
    response
}

/// Whether the bearer is a paired device's live operator token with read access.
fn holds_device_token(state: &GatewayState, headers: &HeaderMap) -> bool {
    let Some(token) = bearer(headers) else {
        return false;
    };
    let Some(store) = state.0.devices.as_ref() else {
        return false;
    };
    match store.scopes_of_token("operator", token, now_ms()) {
        Ok(Some(scopes)) => scopes
            .iter()
            .any(|s| s == "operator.read" || s == "operator.write" || s == "operator.admin"),
        Ok(None) => false,
        Err(error) => {
            tracing::warn!(%error, "could not read the paired devices for a Control UI request");
            false
        }
    }
}

/// The settings object, in upstream's shape.
fn settings(state: &GatewayState, base: &str) -> Value {
    let config = state.config();
    let agent_id = config.agents.default_agent_id.clone();
    let identity = config
        .agents
        .get(&agent_id)
        .map(|agent| agent.identity.clone())
        .unwrap_or_default();
    let name = config
        .agents
        .get(&agent_id)
        .and_then(|agent| agent.configured_name.clone())
        .or(identity.name)
        .unwrap_or_else(|| "Assistant".to_owned());
    let avatar = identity
        .emoji
        .or(identity.avatar)
        .unwrap_or_else(|| name.chars().next().map(String::from).unwrap_or_default());
    json!({
        "basePath": base.trim_end_matches('/'),
        "assistantName": name,
        "assistantAvatar": avatar,
        "assistantAvatarSource": null,
        "assistantAvatarStatus": null,
        "assistantAvatarReason": null,
        "assistantAgentId": agent_id,
        "serverVersion": env!("CARGO_PKG_VERSION"),
        "embedSandbox": "scripts",
        "allowExternalEmbedUrls": false,
        // Nothing here reaches out to the internet on the page's behalf.
        "automaticallyFetchFavicons": false,
        "communityInvite": false,
        // No browser terminal and no CLI agents in rustyclaw; the page's own
        // `data-openclaw-terminal-enabled` says the same, or it reloads.
        "terminalEnabled": false,
        "cliAgentsEnabled": false,
        "pluginAssetsRequireAuth": true,
        "pluginFrameGrants": [],
    })
}
