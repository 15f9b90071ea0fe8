//! `device.pair.*`, `device.token.*` and `gateway.identity.get`: paired devices and their tokens.
//! The pairing files are read afresh on every call, so changes made by `rustyclaw devices` while
//! the gateway runs are seen at once.

use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
use serde_json::{Value, json};

use super::{Call, Fail, PAIRING, READ, Reply, invalid, string_param, unavailable, unhandled};
use crate::clock::now_ms;
use crate::device::connect::blocking;
use crate::device::{DeviceError, DeviceStore, load_or_create_identity};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("device.pair.list", PAIRING),
    ("device.pair.approve", PAIRING),
    ("device.pair.reject", PAIRING),
    ("device.pair.remove", PAIRING),
    ("device.token.rotate", PAIRING),
    ("device.token.revoke", PAIRING),
    ("gateway.identity.get", READ),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    if method == "gateway.identity.get" {
        return identity(call, params).await;
    }
    let Some(store) = call.state.0.devices.as_ref() else {
        return Err(Box::new(ErrorShape::new(
            ErrorCode::Unavailable,
            "device pairing needs a state directory",
        )));
    };
    let now = now_ms();
    match method {
        "device.pair.list" => {
            only(method, params, &[])?;
            let list = run(store, move |s| s.list(now)).await?;
            Ok(json!({
                "pending": list.pending,
                "paired": list.paired.iter().map(|d| d.redacted()).collect::<Vec<_>>(),
            }))
        }
        "device.pair.approve" => {
            only(method, params, &["requestId"])?;
            let id = string_param(params, "requestId")?.trim().to_owned();
            let (request, device) = run(store, move |s| s.approve(&id, now)).await?;
            tracing::info!(device = %device.device_id, "device pairing approved");
            resolved(call, &request.request_id, &request.device_id, "approved");
            Ok(json!({"requestId": request.request_id, "device": device.redacted()}))
        }
        "device.pair.reject" => {
            only(method, params, &["requestId"])?;
            let id = string_param(params, "requestId")?.trim().to_owned();
            let request = run(store, move |s| s.reject(&id, now)).await?;
            resolved(call, &request.request_id, &request.device_id, "rejected");
            Ok(json!({"requestId": request.request_id, "deviceId": request.device_id}))
        }
        "device.pair.remove" => {
            only(method, params, &["deviceId"])?;
            let id = string_param(params, "deviceId")?.trim().to_owned();
            let device = run(store, move |s| s.remove(&id, now)).await?;
            tracing::info!(device = %device.device_id, "device pairing removed");
            Ok(json!({"deviceId": device.device_id, "removedAtMs": now}))
        }
        "device.token.rotate" => {
            only(method, params, &["deviceId", "role", "scopes"])?;
            let id = string_param(params, "deviceId")?.trim().to_owned();
            let role = string_param(params, "role")?.trim().to_owned();
            let scopes = scopes_param(method, params)?;
            let token = run(store, move |s| s.rotate(&id, &role, scopes, now)).await?;
            tracing::info!(role = %token.role, "device token rotated");
            Ok(json!({
                "deviceId": string_param(params, "deviceId")?.trim(),
                "role": token.role,
                "token": token.token,
                "scopes": token.scopes,
                "rotatedAtMs": token.issued_at_ms(),
                "tokenDelivery": "in-band",
            }))
        }
        "device.token.revoke" => {
            only(method, params, &["deviceId", "role"])?;
            let id = string_param(params, "deviceId")?.trim().to_owned();
            let role = string_param(params, "role")?.trim().to_owned();
            let token = run(store, move |s| s.revoke(&id, &role, now)).await?;
            tracing::info!(role = %token.role, "device token revoked");
            Ok(json!({
                "deviceId": string_param(params, "deviceId")?.trim(),
                "role": token.role,
                "revokedAtMs": token.revoked_at_ms.unwrap_or(now),
            }))
        }
        _ => unhandled(method),
    }
}

async fn identity(call: &Call<'_>, params: &Value) -> Reply {
    only("gateway.identity.get", params, &[])?;
    let Some(dir) = call.state.0.options.state_dir.clone() else {
        return Err(Box::new(ErrorShape::new(
            ErrorCode::Unavailable,
            "gateway identity needs a state directory",
        )));
    };
    let now = now_ms();
    let identity = tokio::task::spawn_blocking(move || {
        load_or_create_identity(std::path::Path::new(&dir), now)
    })
    .await
    .unwrap_or_else(|e| Err(DeviceError::Interrupted(e.to_string())))
    .map_err(|e| unavailable("gateway identity", &e))?;
    Ok(json!(identity))
}

/// Announces a decision to pairing-scoped clients.
fn resolved(call: &Call<'_>, request_id: &str, device_id: &str, decision: &str) {
    call.state.broadcast(
        "device.pair.resolved",
        Some(PAIRING),
        &json!({"requestId": request_id, "deviceId": device_id, "decision": decision, "ts": now_ms()}),
    );
}

/// Runs a store operation, mapping "not found" to upstream's `INVALID_REQUEST` messages.
async fn run<T: Send + 'static>(
    store: &DeviceStore,
    op: impl FnOnce(&DeviceStore) -> Result<T, DeviceError> + Send + 'static,
) -> Result<T, Fail> {
    blocking(store, op).await.map_err(|e| match e {
        DeviceError::UnknownRequest(_)
        | DeviceError::UnknownDevice(_)
        | DeviceError::UnknownRole(_)
        | DeviceError::ScopeNotApproved(_) => invalid(e.to_string()),
        DeviceError::Io { .. }
        | DeviceError::Malformed { .. }
        | DeviceError::Random(_)
        | DeviceError::Interrupted(_) => unavailable("device pairing store", &e),
    })
}

/// Rejects properties the method's schema does not allow (`additionalProperties: false`).
fn only(method: &str, params: &Value, allowed: &[&str]) -> Result<(), Fail> {
    let Some(map) = params.as_object() else {
        return Err(invalid(format!("invalid {method} params: must be object")));
    };
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(invalid(format!(
            "invalid {method} params: at root: unexpected property '{extra}'"
        ))),
        None => Ok(()),
    }
}

fn scopes_param(method: &str, params: &Value) -> Result<Option<Vec<String>>, Fail> {
    let Some(value) = params.get("scopes") else {
        return Ok(None);
    };
    let bad = || {
        invalid(format!(
            "invalid {method} params: at /scopes: must be array of strings"
        ))
    };
    value
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|s| {
            s.as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(bad)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
