//! Validation of the `connect` request: parameters, protocol range, role, shared-secret or
//! device-token auth, and device identity and pairing (see [`crate::device`]). The error codes,
//! messages and close codes are the ones OpenClaw 2026.9.6 sends (captured in the conformance
//! data), because clients branch on them.

use std::time::Duration;

use rustyclaw_config::{GatewayAuth, file::GatewayAuthMode};
use rustyclaw_protocol::gateway::{
    ClientId, ClientInfo, ClientMode, ConnectParams, ErrorCode, ErrorShape, PROTOCOL_VERSION,
};
use serde_json::{Value, json};

use crate::auth_limiter::{AuthLimiter, RateKey, millis};
use crate::clock::now_ms;
use crate::device::connect::{self as device, ProvenDevice, blocking};
use crate::device::{DeviceError, DeviceRequest, DeviceStore, DeviceToken};
use crate::limits::close;
use crate::peer::Peer;
use crate::rejection::Rejection;
use crate::scope::PAIRING;
use crate::state::GatewayState;

/// The oldest protocol version probes and nodes may still speak (upstream's
/// `minimumProbeProtocol`).
pub(crate) const MINIMUM_PROBE_PROTOCOL: u32 = 3;

/// What a successful handshake grants the connection.
#[derive(Debug, Clone)]
pub(crate) struct Granted {
    /// This connection's id (`hello-ok.server.connId`).
    pub conn_id: String,
    /// The remote end.
    pub peer: Peer,
    /// The verified device id, when the client proved a device identity.
    pub device_id: Option<String>,
    pub client: ClientInfo,
    pub role: String,
    pub scopes: Vec<String>,
    /// How the client authenticated (`token`, `password`, `device-token`, `none`).
    pub method: &'static str,
    /// The negotiated protocol version (4, or 3 for probes and nodes that only speak 3).
    pub protocol: u32,
    /// Whether the client asked for tool activity (`caps: ["tool-events"]`): `agent` events of
    /// the `tool` stream go only to such clients (the official TUI and ACP bridge ask).
    pub tool_events: bool,
    /// The paired device's token for this role, handed back in `hello-ok.auth`.
    pub device_token: Option<DeviceToken>,
}

/// The outcome of the shared-secret check, kept until the device (if any) is looked at: a
/// device token can stand in for a missing or wrong secret.
enum Secret {
    Accepted(&'static str),
    Missing(Rejection),
    Rejected(Rejection),
}

/// The checks a WebSocket `connect` passes before its credentials are looked at: the browser
/// `Origin` against `allowed_origins` (`gateway.controlUi.allowedOrigins`), then the lockout of
/// its client in `limiter`. `Err` is the rejection to send (close 1008).
pub(crate) fn screen_connect(
    limiter: &AuthLimiter,
    allowed_origins: &[String],
    peer: &Peer,
    key: &RateKey,
) -> Result<(), Rejection> {
    if let Some(origin) = peer.origin.as_deref().filter(|o| !o.trim().is_empty())
        && let Err(reason) = crate::origin::check(origin, allowed_origins, peer.is_local())
    {
        return Err(Rejection::policy(
            ErrorShape::new(
                ErrorCode::InvalidRequest,
                "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)",
            )
            .with_details(json!({"code": "CONTROL_UI_ORIGIN_NOT_ALLOWED", "reason": reason})),
        ));
    }
    if let Err(retry_after) = limiter.check(key) {
        let mut error = ErrorShape::new(
            ErrorCode::InvalidRequest,
            "unauthorized: too many failed authentication attempts (retry later)",
        )
        .with_details(json!({
            "code": "AUTH_RATE_LIMITED",
            "authReason": "rate_limited",
            "canRetryWithDeviceToken": false,
            "recommendedNextStep": "wait_then_retry",
        }));
        error.retryable = Some(true);
        error.retry_after_ms = Some(millis(retry_after));
        return Err(Rejection::policy(error));
    }
    Ok(())
}

/// Charges a wrong credential to the client in `limiter`, or clears its record once it
/// authenticated with the shared secret. Missing credentials are not charged (a browser opening
/// the page without a token yet is not guessing), as upstream. Returns how long the rejection
/// must wait before it is sent (see [`AuthLimiter::record_failure`]); zero for everything else.
#[must_use = "the rejection of an exempt client's wrong secret must wait for the budget"]
pub(crate) fn record_connect(
    limiter: &AuthLimiter,
    key: &RateKey,
    outcome: Result<&str, &Rejection>,
) -> Duration {
    match outcome {
        Ok("token" | "password") => {
            limiter.reset(key);
            Duration::ZERO
        }
        Ok(_) => Duration::ZERO,
        Err(rejection) => {
            let code = rejection
                .error
                .details
                .as_ref()
                .and_then(|d| d.get("code"))
                .and_then(Value::as_str);
            if code.is_some_and(is_wrong_credential) {
                limiter.record_failure(key)
            } else {
                Duration::ZERO
            }
        }
    }
}

/// Detail codes of a presented but wrong credential.
fn is_wrong_credential(code: &str) -> bool {
    matches!(
        code,
        "AUTH_TOKEN_MISMATCH"
            | "AUTH_PASSWORD_MISMATCH"
            | "AUTH_DEVICE_TOKEN_MISMATCH"
            | "AUTH_BOOTSTRAP_TOKEN_INVALID"
    )
}

/// Checks a `connect` request. `nonce` is the challenge this socket was sent.
pub(crate) async fn check(
    params: Option<&Value>,
    state: &GatewayState,
    peer: &Peer,
    conn_id: &str,
    nonce: &str,
) -> Result<Granted, Rejection> {
    let params: ConnectParams = serde_json::from_value(params.cloned().unwrap_or(Value::Null))
        .map_err(|e| invalid_params(&format!(": {e}")))?;
    if let ClientId::Unknown(_) = params.client.id {
        return Err(invalid_params(
            " at /client/id: must be equal to one of the allowed values",
        ));
    }
    if let ClientMode::Unknown(_) = params.client.mode {
        return Err(invalid_params(
            " at /client/mode: must be equal to one of the allowed values",
        ));
    }
    let role = params.role.clone().unwrap_or_else(|| "operator".to_owned());
    if role != "operator" && role != "node" {
        return Err(Rejection::policy(ErrorShape::new(
            ErrorCode::InvalidRequest,
            format!("invalid role: {role}"),
        )));
    }
    let protocol = negotiate(&params, &role)?;
    let requested = params.scopes.clone().unwrap_or_default();
    let now = now_ms();
    let proven = device::prove(
        &params,
        &role,
        &requested,
        nonce,
        i64::try_from(now).unwrap_or(i64::MAX),
    )?;
    let secret = shared_secret(&params, &state.config().gateway.auth, peer);
    let mut granted = Granted {
        conn_id: conn_id.to_owned(),
        peer: peer.clone(),
        device_id: proven.as_ref().map(|d| d.id.clone()),
        client: params.client.clone(),
        role: role.clone(),
        scopes: requested.clone(),
        method: "none",
        protocol,
        tool_events: params
            .caps
            .as_ref()
            .is_some_and(|caps| caps.iter().any(|c| c == "tool-events")),
        device_token: None,
    };
    let Some(proven) = proven else {
        granted.method = match secret {
            Secret::Accepted(method) => method,
            Secret::Missing(_) => return Err(device_identity_required()),
            Secret::Rejected(rejection) => return Err(rejection),
        };
        // Only operators may skip the device identity, and a shared secret alone binds no
        // scopes unless it is the local CLI or backend (upstream clears them otherwise).
        if role != "operator" {
            return Err(device_identity_required());
        }
        if matches!(granted.method, "token" | "password") && !keeps_unbound_scopes(&params, peer) {
            granted.scopes.clear();
        }
        return Ok(granted);
    };
    let Some(store) = state.0.devices.as_ref() else {
        // No state directory: the identity is proven but nothing can be paired, so the shared
        // secret decides alone.
        granted.method = match secret {
            Secret::Accepted(method) => method,
            Secret::Missing(rejection) | Secret::Rejected(rejection) => return Err(rejection),
        };
        return Ok(granted);
    };
    let auth = params.auth.clone().unwrap_or_default();
    let explicit_device_token = auth.device_token.clone().filter(|t| !t.is_empty());
    let method = match secret {
        Secret::Accepted(method) => method,
        Secret::Missing(rejection) | Secret::Rejected(rejection) => {
            // A one-time handoff from `rustyclaw dashboard` pairs this browser as the owner's.
            if let Some(bootstrap) = auth.bootstrap_token.clone().filter(|t| !t.is_empty()) {
                return bootstrap_pairing(store, &params, &proven, peer, granted, bootstrap, now)
                    .await;
            }
            // A paired device may present its device token, in `auth.deviceToken` or in place
            // of the shared secret in `auth.token`.
            let candidate = explicit_device_token
                .clone()
                .or_else(|| auth.token.clone().filter(|t| !t.is_empty()));
            let Some(candidate) = candidate else {
                return Err(rejection);
            };
            let (id, token_role) = (proven.id.clone(), role.clone());
            let verified = blocking(store, move |s| {
                s.verify_token(&id, &token_role, &candidate, now)
            })
            .await
            .map_err(store_failed)?;
            let Some(token) = verified else {
                return Err(if explicit_device_token.is_some() {
                    device_token_mismatch()
                } else {
                    rejection
                });
            };
            granted.method = "device-token";
            granted.scopes = device::clamp_scopes(&requested, &token);
            granted.device_token = Some(token);
            return Ok(granted);
        }
    };
    granted.method = method;
    let ask = device::device_request(&params, &proven, &role, &requested, peer.ip().to_string());
    granted.device_token = Some(pair(state, store, peer, &proven, ask, now).await?);
    Ok(granted)
}

/// Consumes a one-time dashboard handoff (see [`crate::device::bootstrap`]) and pairs the
/// signed device with the requested scopes the handoff allows; a token that is unknown, used or
/// expired is a wrong credential (`AUTH_BOOTSTRAP_TOKEN_INVALID`, counted by the lockout).
async fn bootstrap_pairing(
    store: &DeviceStore,
    params: &ConnectParams,
    proven: &ProvenDevice,
    peer: &Peer,
    mut granted: Granted,
    bootstrap: String,
    now: u64,
) -> Result<Granted, Rejection> {
    let role = granted.role.clone();
    let grant = blocking(store, move |s| s.consume_bootstrap(&bootstrap, &role, now))
        .await
        .map_err(store_failed)?;
    let Some(grant) = grant else {
        return Err(Rejection::policy(
            ErrorShape::new(
                ErrorCode::InvalidRequest,
                "unauthorized: this dashboard link was already used or has expired (run `rustyclaw dashboard` again)",
            )
            .with_details(json!({
                "code": "AUTH_BOOTSTRAP_TOKEN_INVALID",
                "authReason": "bootstrap_token_invalid",
                "canRetryWithDeviceToken": false,
                "recommendedNextStep": "update_auth_credentials",
            })),
        ));
    };
    let scopes: Vec<String> = granted
        .scopes
        .iter()
        .filter(|s| grant.scopes.contains(s))
        .cloned()
        .collect();
    let ask = device::device_request(params, proven, &grant.role, &scopes, peer.ip().to_string());
    let (device, token) = blocking(store, move |s| s.pair_silently(&ask, now))
        .await
        .map_err(store_failed)?;
    tracing::info!(device = %device.device_id, "device paired by a one-time dashboard link");
    granted.method = "bootstrap-token";
    granted.scopes = scopes;
    granted.device_token = Some(token);
    Ok(granted)
}

/// Gives a device that passed shared-secret auth its paired access: as paired, paired silently
/// when the peer is local (upstream auto-approves direct loopback only), or not at all: a
/// pending request is recorded and announced, and the client is told to wait for approval.
async fn pair(
    state: &GatewayState,
    store: &DeviceStore,
    peer: &Peer,
    proven: &ProvenDevice,
    ask: DeviceRequest,
    now: u64,
) -> Result<DeviceToken, Rejection> {
    let id = proven.id.clone();
    let paired = blocking(store, move |s| s.paired(&id, now))
        .await
        .map_err(store_failed)?;
    let Some(upgrade) = device::needed_upgrade(paired.as_ref(), proven, &ask.role, &ask.scopes)
    else {
        let (id, role) = (proven.id.clone(), ask.role.clone());
        return blocking(store, move |s| s.ensure_token(&id, &role, now))
            .await
            .map_err(store_failed);
    };
    if peer.is_local() {
        let (device, token) = blocking(store, move |s| s.pair_silently(&ask, now))
            .await
            .map_err(store_failed)?;
        tracing::info!(device = %device.device_id, role = %token.role, "device paired (local auto-approval)");
        return Ok(token);
    }
    let is_repair = paired.is_some();
    let request = blocking(store, move |s| s.request(&ask, is_repair, now))
        .await
        .map_err(store_failed)?;
    tracing::info!(device = %request.device_id, request = %request.request_id, "device pairing requested");
    state.broadcast("device.pair.requested", Some(PAIRING), &request);
    Err(device::pairing_required(upgrade, &request, paired.as_ref()))
}

/// Picks the protocol version: 4, or 3 for probes and nodes whose range stops there.
fn negotiate(params: &ConnectParams, role: &str) -> Result<u32, Rejection> {
    let legacy =
        matches!(params.client.mode, ClientMode::Probe | ClientMode::Node) || role == "node";
    let lowest = if legacy {
        MINIMUM_PROBE_PROTOCOL
    } else {
        PROTOCOL_VERSION
    };
    if params.max_protocol < lowest || params.min_protocol > PROTOCOL_VERSION {
        return Err(Rejection {
            error: Box::new(
                ErrorShape::new(ErrorCode::InvalidRequest, "protocol mismatch").with_details(
                    json!({
                        "code": "PROTOCOL_MISMATCH",
                        "clientMinProtocol": params.min_protocol,
                        "clientMaxProtocol": params.max_protocol,
                        "expectedProtocol": PROTOCOL_VERSION,
                        "minimumProbeProtocol": MINIMUM_PROBE_PROTOCOL,
                    }),
                ),
            ),
            close_code: close::PROTOCOL,
        });
    }
    Ok(params.max_protocol.min(PROTOCOL_VERSION))
}

/// Whether a device-less shared-secret connect keeps its requested scopes: only the CLI and the
/// backend client, directly from this machine and not from a browser (upstream
/// `shouldPreserveLocalCliSharedAuthScopes` / `shouldSkipLocalBackendSelfPairing`).
fn keeps_unbound_scopes(params: &ConnectParams, peer: &Peer) -> bool {
    let client = &params.client;
    let trusted_client = matches!(
        (&client.id, &client.mode),
        (ClientId::Cli, ClientMode::Cli) | (ClientId::GatewayClient, ClientMode::Backend)
    );
    trusted_client && peer.is_local() && peer.origin.is_none()
}

fn invalid_params(detail: &str) -> Rejection {
    Rejection::policy(ErrorShape::new(
        ErrorCode::InvalidRequest,
        format!("invalid connect params:{detail}"),
    ))
}

fn device_identity_required() -> Rejection {
    Rejection::policy(
        ErrorShape::new(ErrorCode::NotPaired, "device identity required")
            .with_details(json!({"code": "DEVICE_IDENTITY_REQUIRED"})),
    )
}

fn device_token_mismatch() -> Rejection {
    Rejection::policy(
        ErrorShape::new(
            ErrorCode::InvalidRequest,
            "unauthorized: device token mismatch (rotate/reissue device token)",
        )
        .with_details(json!({
            "code": "AUTH_DEVICE_TOKEN_MISMATCH",
            "authReason": "device_token_mismatch",
            "canRetryWithDeviceToken": false,
            "recommendedNextStep": "update_auth_credentials",
        })),
    )
}

fn store_failed(error: DeviceError) -> Rejection {
    tracing::warn!(%error, "device pairing store failed");
    Rejection::policy(ErrorShape::new(
        ErrorCode::Unavailable,
        "device pairing store unavailable",
    ))
}

/// The shared-secret check (`auth.token` or `auth.password` against the configured one).
fn shared_secret(params: &ConnectParams, auth: &GatewayAuth, peer: &Peer) -> Secret {
    let given = params.auth.clone().unwrap_or_default();
    let (kind, expected, presented) = match auth.mode {
        GatewayAuthMode::None => return Secret::Accepted("none"),
        GatewayAuthMode::Password => ("password", auth.password.as_ref(), given.password),
        // trusted-proxy is refused by config resolution, so it never gets here as itself.
        GatewayAuthMode::Token | GatewayAuthMode::TrustedProxy => {
            ("token", auth.token.as_ref(), given.token)
        }
    };
    let hint = credential_hint(kind, &params.client, peer);
    let upper = kind.to_uppercase();
    let Some(presented) = presented.filter(|p| !p.is_empty()) else {
        return Secret::Missing(Rejection::policy(
            ErrorShape::new(
                ErrorCode::InvalidRequest,
                format!("unauthorized: gateway {kind} missing ({hint})"),
            )
            .with_details(json!({
                "code": format!("AUTH_{upper}_MISSING"),
                "authReason": format!("{kind}_missing"),
                "canRetryWithDeviceToken": false,
                "recommendedNextStep": "update_auth_configuration",
            })),
        ));
    };
    let Some(expected) = expected else {
        return Secret::Rejected(Rejection::policy(
            ErrorShape::new(
                ErrorCode::InvalidRequest,
                format!(
                    "unauthorized: gateway {kind} not configured on gateway (set gateway.auth.{kind})"
                ),
            )
            .with_details(json!({
                "code": format!("AUTH_{upper}_NOT_CONFIGURED"),
                "authReason": format!("{kind}_missing_config"),
                "canRetryWithDeviceToken": false,
                "recommendedNextStep": "update_auth_configuration",
            })),
        ));
    };
    if expected.eq_exposed(&presented) {
        return Secret::Accepted(kind);
    }
    Secret::Rejected(Rejection::policy(
        ErrorShape::new(
            ErrorCode::InvalidRequest,
            format!("unauthorized: gateway {kind} mismatch ({hint})"),
        )
        .with_details(json!({
            "code": format!("AUTH_{upper}_MISMATCH"),
            "authReason": format!("{kind}_mismatch"),
            "canRetryWithDeviceToken": false,
            "recommendedNextStep": "update_auth_credentials",
        })),
    ))
}

/// Upstream's advice in auth failure messages, by client kind and locality.
fn credential_hint(kind: &str, client: &ClientInfo, peer: &Peer) -> String {
    let is_cli = matches!(client.id, ClientId::Cli) || matches!(client.mode, ClientMode::Cli);
    let is_ui = matches!(
        client.id,
        ClientId::ControlUi | ClientId::WebchatUi | ClientId::Webchat
    );
    match (kind, is_cli, peer.is_local(), is_ui) {
        ("token", true, true, _) => {
            "use this gateway's gateway.auth.token or pair the device".into()
        }
        ("password", true, true, _) => "use this gateway's gateway.auth.password".into(),
        (_, true, false, _) => format!("set gateway.remote.{kind} to match gateway.auth.{kind}"),
        ("token", _, _, true) => {
            "open the dashboard URL and paste the token in Control UI settings".into()
        }
        ("password", _, _, true) => "enter the password in Control UI settings".into(),
        _ => format!("provide gateway auth {kind}"),
    }
}
