//! Validation of the `connect` request: parameters, protocol range, role and shared-secret auth.
//! The error codes, messages and close codes are the ones OpenClaw 2026.9.6 sends (captured in
//! the conformance data), because clients branch on them.

use rustyclaw_config::{GatewayAuth, file::GatewayAuthMode};
use rustyclaw_protocol::gateway::{
    ClientId, ClientInfo, ClientMode, ConnectParams, ErrorCode, ErrorShape, PROTOCOL_VERSION,
};
use serde_json::{Value, json};

use crate::peer::Peer;

/// WebSocket close codes the gateway uses.
pub(crate) mod close {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// Protocol error (protocol version mismatch).
    pub const PROTOCOL: u16 = 1002;
    /// Policy violation (bad handshake, auth failure, slow consumer).
    pub const POLICY: u16 = 1008;
    /// Message too big (pre-auth payload cap).
    pub const TOO_BIG: u16 = 1009;
    /// Server restart or shutdown.
    pub const RESTART: u16 = 1012;
}

/// What a successful handshake grants the connection.
#[derive(Debug, Clone)]
pub(crate) struct Granted {
    /// This connection's id (`hello-ok.server.connId`).
    pub conn_id: String,
    /// The remote end.
    pub peer: Peer,
    /// The verified device id, when the client proved a device identity.
    pub device_id: Option<String>,
    /// Client capabilities from `connect.caps` (e.g. `tool-events`).
    pub caps: Vec<String>,
    pub client: ClientInfo,
    pub role: String,
    pub scopes: Vec<String>,
    /// How the client authenticated (`token`, `password`, `none`).
    pub method: &'static str,
}

/// Why a handshake failed: the error response and how the socket is closed.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    pub error: Box<ErrorShape>,
    pub close_code: u16,
}

impl Rejection {
    fn policy(error: ErrorShape) -> Self {
        Self {
            error: Box::new(error),
            close_code: close::POLICY,
        }
    }
}

/// Checks a `connect` request's parameters against the gateway's auth settings.
pub(crate) fn check(
    params: Option<&Value>,
    auth: &GatewayAuth,
    peer: &Peer,
    conn_id: &str,
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
    if params.max_protocol < PROTOCOL_VERSION || params.min_protocol > PROTOCOL_VERSION {
        return Err(Rejection {
            error: Box::new(
                ErrorShape::new(ErrorCode::InvalidRequest, "protocol mismatch").with_details(
                    json!({
                        "code": "PROTOCOL_MISMATCH",
                        "clientMinProtocol": params.min_protocol,
                        "clientMaxProtocol": params.max_protocol,
                        "expectedProtocol": PROTOCOL_VERSION,
                        "minimumProbeProtocol": 3,
                    }),
                ),
            ),
            close_code: close::PROTOCOL,
        });
    }
    let role = params.role.clone().unwrap_or_else(|| "operator".to_owned());
    if role != "operator" {
        // Node and worker roles need device pairing, which is not implemented yet.
        return Err(Rejection::policy(ErrorShape::new(
            ErrorCode::InvalidRequest,
            format!("invalid role: {role}"),
        )));
    }
    let method = authenticate(&params, auth)?;
    Ok(Granted {
        conn_id: conn_id.to_owned(),
        peer: peer.clone(),
        device_id: None,
        caps: params.caps.clone().unwrap_or_default(),
        scopes: params.scopes.clone().unwrap_or_default(),
        client: params.client,
        role,
        method,
    })
}

fn invalid_params(detail: &str) -> Rejection {
    Rejection::policy(ErrorShape::new(
        ErrorCode::InvalidRequest,
        format!("invalid connect params:{detail}"),
    ))
}

/// The shared-secret check. A client that presents no secret would have to prove a paired device
/// identity instead; device pairing is not implemented, so it gets upstream's "device identity
/// required" (or "pairing required" when it sent an identity).
fn authenticate(params: &ConnectParams, auth: &GatewayAuth) -> Result<&'static str, Rejection> {
    let given = params.auth.clone().unwrap_or_default();
    let (kind, expected, presented) = match auth.mode {
        GatewayAuthMode::None => return Ok("none"),
        GatewayAuthMode::Password => ("password", auth.password.as_ref(), given.password),
        // trusted-proxy is refused by config resolution, so it never gets here as itself.
        GatewayAuthMode::Token | GatewayAuthMode::TrustedProxy => {
            ("token", auth.token.as_ref(), given.token)
        }
    };
    let Some(presented) = presented.filter(|p| !p.is_empty()) else {
        return Err(if params.device.is_some() {
            Rejection::policy(
                ErrorShape::new(ErrorCode::NotPaired, "pairing required")
                    .with_details(json!({"code": "PAIRING_REQUIRED"})),
            )
        } else {
            Rejection::policy(
                ErrorShape::new(ErrorCode::NotPaired, "device identity required")
                    .with_details(json!({"code": "DEVICE_IDENTITY_REQUIRED"})),
            )
        });
    };
    let Some(expected) = expected else {
        let upper = kind.to_uppercase();
        return Err(Rejection::policy(
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
        return Ok(kind);
    }
    let upper = kind.to_uppercase();
    Err(Rejection::policy(
        ErrorShape::new(
            ErrorCode::InvalidRequest,
            format!(
                "unauthorized: gateway {kind} mismatch (use this gateway's gateway.auth.{kind} or pair the device)"
            ),
        )
        .with_details(json!({
            "code": format!("AUTH_{upper}_MISMATCH"),
            "authReason": format!("{kind}_mismatch"),
            "canRetryWithDeviceToken": false,
            "recommendedNextStep": "update_auth_credentials",
        })),
    ))
}
