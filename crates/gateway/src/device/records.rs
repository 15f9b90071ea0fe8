//! The records of the pairing files, in upstream's shapes (`DevicePairingPendingRequest`,
//! `PairedDevice`, `DeviceAuthToken`); fields this version does not model are kept in `other` so
//! a rewrite loses nothing another OpenClaw version wrote.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A device waiting for approval (upstream `DevicePairingPendingRequest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingRequest {
    /// The request id (a UUID).
    pub request_id: String,
    /// The device id.
    pub device_id: String,
    /// The device's public key, base64url.
    pub public_key: String,
    /// A display name the client gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `client.platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// `client.deviceFamily`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_family: Option<String>,
    /// `client.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `client.mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_mode: Option<String>,
    /// The requested role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Every role requested so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The requested scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    /// Whether the request may be approved without a human (local connects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent: Option<bool>,
    /// Whether the device was paired before (a role or scope upgrade).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_repair: Option<bool>,
    /// When the request was made (ms).
    pub ts: u64,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A token issued to one role of a paired device (upstream `DeviceAuthToken`). `Debug` leaves
/// the secret out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceToken {
    /// The secret: 32 random bytes, base64url.
    pub token: String,
    /// The role it authenticates.
    pub role: String,
    /// The scopes it grants at most.
    pub scopes: Vec<String>,
    /// When it was issued (ms).
    pub created_at_ms: u64,
    /// When it was last rotated (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_at_ms: Option<u64>,
    /// When it was revoked (ms); a revoked token authenticates nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at_ms: Option<u64>,
    /// When it last authenticated a connection (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at_ms: Option<u64>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceToken")
            .field("role", &self.role)
            .field("scopes", &self.scopes)
            .field("created_at_ms", &self.created_at_ms)
            .field("rotated_at_ms", &self.rotated_at_ms)
            .field("revoked_at_ms", &self.revoked_at_ms)
            .finish_non_exhaustive()
    }
}

impl DeviceToken {
    /// This token's description without the secret (upstream `summarizeDeviceTokens`).
    pub fn summary(&self) -> Value {
        serde_json::json!({
            "role": self.role,
            "scopes": self.scopes,
            "createdAtMs": self.created_at_ms,
            "rotatedAtMs": self.rotated_at_ms,
            "revokedAtMs": self.revoked_at_ms,
            "lastUsedAtMs": self.last_used_at_ms,
        })
    }

    /// When the current secret was issued.
    pub fn issued_at_ms(&self) -> u64 {
        self.rotated_at_ms.unwrap_or(self.created_at_ms)
    }
}

/// A paired device (upstream `PairedDevice`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairedDevice {
    /// The device id.
    pub device_id: String,
    /// The device's public key, base64url.
    pub public_key: String,
    /// A display name the client gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `client.platform` at pairing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// `client.deviceFamily` at pairing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_family: Option<String>,
    /// `client.id` at pairing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `client.mode` at pairing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_mode: Option<String>,
    /// The role last approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Every approved role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The scopes last requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The scopes approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_scopes: Option<Vec<String>>,
    /// The address the device paired from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    /// Tokens by role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<BTreeMap<String, DeviceToken>>,
    /// When the device was first paired (ms).
    pub created_at_ms: u64,
    /// When the latest approval happened (ms).
    pub approved_at_ms: u64,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl PairedDevice {
    /// Every approved role (`roles`, else `role`).
    pub fn approved_roles(&self) -> Vec<String> {
        match (&self.roles, &self.role) {
            (Some(roles), _) if !roles.is_empty() => roles.clone(),
            (_, Some(role)) => vec![role.clone()],
            _ => Vec::new(),
        }
    }

    /// The approved scopes (`approvedScopes`, else `scopes`).
    pub fn approved_scope_list(&self) -> Vec<String> {
        self.approved_scopes
            .clone()
            .or_else(|| self.scopes.clone())
            .unwrap_or_default()
    }

    /// The live (not revoked) token of `role`.
    pub fn live_token(&self, role: &str) -> Option<&DeviceToken> {
        self.tokens
            .as_ref()?
            .get(role)
            .filter(|t| t.revoked_at_ms.is_none())
    }

    /// The device as `device.pair.list` shows it: token secrets and `approvedScopes` left out.
    pub fn redacted(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.remove("approvedScopes");
            map.remove("tokens");
            let summaries: Vec<Value> = self
                .tokens
                .iter()
                .flat_map(|t| t.values())
                .map(DeviceToken::summary)
                .collect();
            if !summaries.is_empty() {
                map.insert("tokens".into(), Value::Array(summaries));
            }
        }
        value
    }
}

/// What a connecting device asks for; becomes a pending request or a pairing.
#[derive(Debug, Clone, Default)]
pub struct DeviceRequest {
    /// The device id.
    pub device_id: String,
    /// The public key, base64url.
    pub public_key: String,
    /// `client.displayName`.
    pub display_name: Option<String>,
    /// `client.platform`.
    pub platform: Option<String>,
    /// `client.deviceFamily`.
    pub device_family: Option<String>,
    /// `client.id`.
    pub client_id: Option<String>,
    /// `client.mode`.
    pub client_mode: Option<String>,
    /// The role asked for.
    pub role: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The peer address.
    pub remote_ip: Option<String>,
}

/// Both files' contents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pairing {
    /// Pending requests, oldest first.
    pub pending: Vec<PendingRequest>,
    /// Paired devices, most recently approved first.
    pub paired: Vec<PairedDevice>,
}
