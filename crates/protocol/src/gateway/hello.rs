//! `hello-ok`, the payload of a successful `connect`, and the snapshot it carries.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::frames::StateVersion;

/// The `hello-ok` payload (v4 requires `auth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelloOk {
    /// Always `hello-ok`.
    #[serde(rename = "type")]
    pub kind: HelloOkType,
    /// Negotiated protocol version.
    pub protocol: u32,
    /// Server identity.
    pub server: ServerInfo,
    /// What the server implements.
    pub features: Features,
    /// State at connect time.
    pub snapshot: Snapshot,
    /// What the connection was granted.
    pub auth: HelloAuth,
    /// Limits the client must respect.
    pub policy: Policy,
    /// Fields this version does not model (`pluginSurfaceUrls`, `controlUiWidgetKinds`, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The `type` discriminator of [`HelloOk`] (a field rather than a serde tag, so that the
/// flattened `other` map does not swallow it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HelloOkType {
    /// `hello-ok`.
    #[default]
    #[serde(rename = "hello-ok")]
    HelloOk,
}

/// `hello-ok.server`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// Server version.
    pub version: String,
    /// This connection's id.
    pub conn_id: String,
    /// Build identifier (v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// Id of this server process run (v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `hello-ok.features`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Features {
    /// Methods the server answers.
    pub methods: Vec<String>,
    /// Events the server may emit.
    pub events: Vec<String>,
    /// Named capabilities (v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

/// `hello-ok.auth`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelloAuth {
    /// Granted role.
    pub role: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// How the client authenticated (`token`, `password`, `none`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Token issued to a paired device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `hello-ok.policy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Largest accepted frame in bytes.
    pub max_payload: u64,
    /// Largest outgoing buffer per client before it is dropped.
    pub max_buffered_bytes: u64,
    /// Interval between `tick` events; clients close (4000) after two silent intervals.
    pub tick_interval_ms: u64,
    /// Fields this version does not model (`attachments`, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `hello-ok.snapshot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Connected clients and the gateway itself.
    pub presence: Vec<PresenceEntry>,
    /// The health snapshot (same shape as the `health` method's result).
    pub health: HealthSnapshot,
    /// Versions of presence and health.
    pub state_version: StateVersion,
    /// Server uptime.
    pub uptime_ms: u64,
    /// Path of the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<String>,
    /// State directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<String>,
    /// Default agent and session keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_defaults: Option<SessionDefaults>,
    /// `none`, `token`, `password` or `trusted-proxy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_mode: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `snapshot.sessionDefaults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionDefaults {
    /// Default agent id.
    pub default_agent_id: String,
    /// Main session key suffix (`main`).
    pub main_key: String,
    /// Full main session key (`agent:main:main`).
    pub main_session_key: String,
    /// Session scope (`per-sender`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One row of the presence list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceEntry {
    /// When the row was last updated (epoch ms).
    pub ts: u64,
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Software version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Device family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_family: Option<String>,
    /// `gateway` for the server's own row, else the client mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Why the row changed (`self`, `connect`, `disconnect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Process instance id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// One-line human summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The health snapshot: result of `health`, payload of the `health` event, `snapshot.health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthSnapshot {
    /// Whether the gateway is healthy.
    pub ok: bool,
    /// When the snapshot was taken (epoch ms).
    pub ts: u64,
    /// How long taking it took.
    pub duration_ms: u64,
    /// Channel status by channel id.
    #[serde(default)]
    pub channels: Map<String, Value>,
    /// Display order of channels.
    #[serde(default)]
    pub channel_order: Vec<String>,
    /// Channel labels by id.
    #[serde(default)]
    pub channel_labels: Map<String, Value>,
    /// Heartbeat interval of the default agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_seconds: Option<u64>,
    /// Default agent id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_agent_id: Option<String>,
    /// Per-agent summaries.
    #[serde(default)]
    pub agents: Vec<HealthAgent>,
    /// Sessions of the default agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<HealthSessions>,
    /// Fields this version does not model (`plugins`, `eventLoop`, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One agent in the health snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthAgent {
    /// Agent id.
    pub agent_id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether it is the default agent.
    pub is_default: bool,
    /// Its sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<HealthSessions>,
    /// Fields this version does not model (`heartbeat`, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Session summary in the health snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthSessions {
    /// Where sessions are stored.
    pub path: String,
    /// How many sessions exist.
    pub count: u64,
    /// The most recently updated ones.
    pub recent: Vec<RecentSession>,
}

/// One recently updated session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentSession {
    /// Session key.
    pub key: String,
    /// Last update (epoch ms).
    pub updated_at: u64,
    /// Milliseconds since the last update.
    pub age: u64,
}
