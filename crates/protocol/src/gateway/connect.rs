//! The handshake: the server's challenge and the client's `connect` parameters.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::open_enum::open_string_enum;

/// Payload of the `connect.challenge` event the server sends as soon as a socket opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectChallenge {
    /// Random nonce a device signs into its identity proof.
    pub nonce: String,
    /// Server time in epoch milliseconds (9.x clients sign it as `signedAt`).
    pub ts: u64,
    /// Server capabilities announced before the handshake (v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

open_string_enum! {
    /// `client.id`: which official client connects (`client-info.ts`). Upstream rejects any
    /// other value, so a server checks for [`ClientId::Unknown`].
    pub enum ClientId {
        /// WebChat UI.
        WebchatUi = "webchat-ui",
        /// The Control UI.
        ControlUi = "openclaw-control-ui",
        /// The terminal UI.
        Tui = "openclaw-tui",
        /// WebChat.
        Webchat = "webchat",
        /// The `openclaw` CLI.
        Cli = "cli",
        /// A generic gateway client (backends, the node host).
        GatewayClient = "gateway-client",
        /// The macOS app.
        Macos = "openclaw-macos",
        /// The iOS app.
        Ios = "openclaw-ios",
        /// The Android app.
        Android = "openclaw-android",
        /// The headless node host.
        NodeHost = "node-host",
        /// Tests.
        Test = "test",
        /// Fingerprinting probes.
        Fingerprint = "fingerprint",
        /// `openclaw gateway probe`.
        Probe = "openclaw-probe",
        /// The browser copilot extension (v4).
        BrowserCopilot = "openclaw-browser-copilot",
        /// The Linux app (v4).
        Linux = "openclaw-linux",
        /// The watchOS app (v4).
        Watchos = "openclaw-watchos",
        /// A worker (v4).
        Worker = "openclaw-worker",
    }
}

open_string_enum! {
    /// `client.mode`: how the client uses the gateway. Upstream rejects any other value.
    pub enum ClientMode {
        /// Web chat.
        Webchat = "webchat",
        /// Command line.
        Cli = "cli",
        /// Interactive UI.
        Ui = "ui",
        /// A backend service.
        Backend = "backend",
        /// A capability node.
        Node = "node",
        /// A probe.
        Probe = "probe",
        /// Tests.
        Test = "test",
        /// A worker (v4).
        Worker = "worker",
    }
}

/// `connect.params.client`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    /// Client id.
    pub id: ClientId,
    /// Client version.
    pub version: String,
    /// Operating system, e.g. `linux`.
    pub platform: String,
    /// Client mode.
    pub mode: ClientMode,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Device family, e.g. `Linux`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_family: Option<String>,
    /// Per-process instance id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `connect.params.auth`: the shared secret or device token the client presents.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectAuth {
    /// Shared gateway token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Shared gateway password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Token issued to a paired device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
    /// One-time setup token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_token: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

// Secrets must not reach logs through `Debug`.
impl std::fmt::Debug for ConnectAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("ConnectAuth")
            .field("token", &mark(&self.token))
            .field("password", &mark(&self.password))
            .field("device_token", &mark(&self.device_token))
            .field("bootstrap_token", &mark(&self.bootstrap_token))
            .finish_non_exhaustive()
    }
}

/// Parameters of the `connect` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectParams {
    /// Lowest protocol version the client speaks.
    pub min_protocol: u32,
    /// Highest protocol version the client speaks.
    pub max_protocol: u32,
    /// Who connects.
    pub client: ClientInfo,
    /// Client capabilities, e.g. `tool-events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caps: Option<Vec<String>>,
    /// `operator` (default) or `node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Requested scopes, e.g. `operator.read`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Shared secret or device token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ConnectAuth>,
    /// Signed device identity (Ed25519), kept unparsed until pairing is implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Value>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}
