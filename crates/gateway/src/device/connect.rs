//! The device part of a `connect`: checking the signed identity proof against the challenge, and
//! deciding what a proven device gets (its paired access, a silent local pairing, or a pending
//! request and `pairing required`). Codes, messages and close codes are upstream's
//! (`connect-device-proof.ts`, `connect-error-details.ts`).

use rustyclaw_protocol::gateway::{ConnectParams, ErrorCode, ErrorShape};
use serde::Deserialize;
use serde_json::{Value, json};

use super::identity::{self, SignedFields};
use super::{DeviceError, DeviceRequest, DeviceStore, DeviceToken, PairedDevice, PendingRequest};
use crate::rejection::Rejection;
use crate::scope::has_scope;

/// How far `device.signedAt` may be from the gateway's clock (upstream `DEVICE_SIGNATURE_SKEW_MS`).
pub(crate) const SIGNATURE_SKEW_MS: i64 = 120_000;

/// `connect.params.device`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceParams {
    id: String,
    public_key: String,
    signature: String,
    signed_at: Option<Value>,
    nonce: Option<String>,
}

/// A device whose proof checked out.
#[derive(Debug, Clone)]
pub(crate) struct ProvenDevice {
    /// `hex(sha256(raw public key))`.
    pub id: String,
    /// The public key, base64url.
    pub public_key: String,
}

/// Verifies `connect.device` against the challenge `nonce` at time `now_ms`.
pub(crate) fn prove(
    params: &ConnectParams,
    role: &str,
    scopes: &[String],
    nonce: &str,
    now_ms: i64,
) -> Result<Option<ProvenDevice>, Rejection> {
    let Some(raw) = params.device.as_ref() else {
        return Ok(None);
    };
    let device: DeviceParams = serde_json::from_value(raw.clone()).map_err(|_| {
        Rejection::policy(ErrorShape::new(
            ErrorCode::InvalidRequest,
            "invalid connect params: at /device: must have required properties id, publicKey, signature",
        ))
    })?;
    let key = identity::parse_public_key(&device.public_key);
    if key.as_ref().map(identity::device_id).as_deref() != Some(device.id.as_str()) {
        return Err(invalid_proof(
            "device-id-mismatch",
            "device identity mismatch",
        ));
    }
    let signed_at = device.signed_at.as_ref().and_then(Value::as_i64);
    let Some(signed_at) = signed_at.filter(|at| (now_ms - at).abs() <= SIGNATURE_SKEW_MS) else {
        return Err(invalid_proof(
            "device-signature-stale",
            "device signature expired",
        ));
    };
    let provided = device.nonce.as_deref().map(str::trim).unwrap_or_default();
    if provided.is_empty() {
        return Err(invalid_proof(
            "device-nonce-missing",
            "device nonce required",
        ));
    }
    if provided != nonce {
        return Err(invalid_proof(
            "device-nonce-mismatch",
            "device nonce mismatch",
        ));
    }
    let auth = params.auth.clone().unwrap_or_default();
    let token = [&auth.token, &auth.device_token, &auth.bootstrap_token]
        .into_iter()
        .find_map(|t| t.as_deref())
        .unwrap_or_default();
    let fields = SignedFields {
        device_id: &device.id,
        client_id: params.client.id.as_str(),
        client_mode: params.client.mode.as_str(),
        role,
        scopes,
        signed_at_ms: signed_at,
        token,
        nonce: provided,
        platform: &params.client.platform,
        device_family: params.client.device_family.as_deref().unwrap_or_default(),
    };
    let Some(key) = key else {
        return Err(invalid_proof(
            "device-public-key",
            "device public key invalid",
        ));
    };
    if identity::verify_signature(&key, &device.signature, &fields).is_none() {
        return Err(invalid_proof(
            "device-signature",
            "device signature invalid",
        ));
    }
    Ok(Some(ProvenDevice {
        id: device.id,
        public_key: identity::public_key_base64url(&key),
    }))
}

fn invalid_proof(reason: &str, message: &str) -> Rejection {
    let code = match reason {
        "device-id-mismatch" => "DEVICE_AUTH_DEVICE_ID_MISMATCH",
        "device-signature-stale" => "DEVICE_AUTH_SIGNATURE_EXPIRED",
        "device-nonce-missing" => "DEVICE_AUTH_NONCE_REQUIRED",
        "device-nonce-mismatch" => "DEVICE_AUTH_NONCE_MISMATCH",
        "device-signature" => "DEVICE_AUTH_SIGNATURE_INVALID",
        "device-public-key" => "DEVICE_AUTH_PUBLIC_KEY_INVALID",
        _ => "DEVICE_AUTH_INVALID",
    };
    Rejection::policy(
        ErrorShape::new(ErrorCode::InvalidRequest, message)
            .with_details(json!({"code": code, "reason": reason})),
    )
}

/// Runs a store operation off the async threads (the store does blocking file I/O under a lock).
pub(crate) async fn blocking<T: Send + 'static>(
    store: &DeviceStore,
    op: impl FnOnce(&DeviceStore) -> Result<T, DeviceError> + Send + 'static,
) -> Result<T, DeviceError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || op(&store))
        .await
        .unwrap_or_else(|e| Err(DeviceError::Interrupted(e.to_string())))
}

/// Why a proven device needs an approval first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upgrade {
    /// Never paired.
    NotPaired,
    /// Paired, but not for this role.
    Role,
    /// Paired, but not for all of these scopes.
    Scope,
}

impl Upgrade {
    fn reason(self) -> &'static str {
        match self {
            Self::NotPaired => "not-paired",
            Self::Role => "role-upgrade",
            Self::Scope => "scope-upgrade",
        }
    }

    fn requirement(self) -> &'static str {
        match self {
            Self::NotPaired => "device is not approved yet",
            Self::Role => "device is asking for a higher role than currently approved",
            Self::Scope => "device is asking for more scopes than currently approved",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Self::NotPaired => "Approve this device from the pending pairing requests.",
            Self::Role => "Review the requested role upgrade, then approve the pending request.",
            Self::Scope => "Review the requested scopes, then approve the pending upgrade.",
        }
    }
}

/// What the pairing store says about a device asking for `role` and `scopes`: `None` when its
/// pairing already covers them.
pub(crate) fn needed_upgrade(
    paired: Option<&PairedDevice>,
    proven: &ProvenDevice,
    role: &str,
    scopes: &[String],
) -> Option<Upgrade> {
    let Some(device) = paired.filter(|d| d.public_key == proven.public_key) else {
        return Some(Upgrade::NotPaired);
    };
    if !device.approved_roles().iter().any(|r| r == role) {
        return Some(Upgrade::Role);
    }
    let approved = device.approved_scope_list();
    if scopes.iter().any(|s| !has_scope(&approved, s)) {
        return Some(Upgrade::Scope);
    }
    None
}

/// `NOT_PAIRED` "pairing required: …" with upstream's details, for a request now pending.
pub(crate) fn pairing_required(
    upgrade: Upgrade,
    request: &PendingRequest,
    paired: Option<&PairedDevice>,
) -> Rejection {
    let message = format!("pairing required: {}", upgrade.requirement());
    let mut details = json!({
        "code": "PAIRING_REQUIRED",
        "reason": upgrade.reason(),
        "requestId": request.request_id,
        "remediationHint": upgrade.hint(),
        "deviceId": request.device_id,
        "requestedRole": request.role,
        "requestedScopes": request.scopes,
    });
    if let Some(device) = paired.filter(|d| d.public_key == request.public_key) {
        details["approvedRoles"] = json!(device.approved_roles());
        details["approvedScopes"] = json!(device.approved_scope_list());
    }
    Rejection::policy(ErrorShape::new(ErrorCode::NotPaired, message).with_details(details))
}

/// The device request a connect makes.
pub(crate) fn device_request(
    params: &ConnectParams,
    proven: &ProvenDevice,
    role: &str,
    scopes: &[String],
    remote_ip: String,
) -> DeviceRequest {
    DeviceRequest {
        device_id: proven.id.clone(),
        public_key: proven.public_key.clone(),
        display_name: params.client.display_name.clone(),
        platform: Some(params.client.platform.clone()).filter(|p| !p.is_empty()),
        device_family: params.client.device_family.clone(),
        client_id: Some(params.client.id.to_string()),
        client_mode: Some(params.client.mode.to_string()),
        role: role.to_owned(),
        scopes: scopes.to_vec(),
        remote_ip: Some(remote_ip),
    }
}

/// The scopes a device token lets a connection have: the requested ones it covers, or all of
/// the token's when none were requested.
pub(crate) fn clamp_scopes(requested: &[String], token: &DeviceToken) -> Vec<String> {
    if requested.is_empty() {
        return token.scopes.clone();
    }
    requested
        .iter()
        .filter(|s| has_scope(&token.scopes, s))
        .cloned()
        .collect()
}
