//! `gateway`: the server clients connect to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{SecretInput, ToolPolicySection};

/// `gateway` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewaySection {
    /// `local` runs the gateway here; `remote` means this machine is a client of another gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<GatewayMode>,
    /// TCP port for WebSocket and HTTP (default 18789).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Which interfaces to listen on (default `loopback`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<BindMode>,
    /// Address to bind when `bind` is `custom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_bind_host: Option<String>,
    /// Client authentication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<GatewayAuthSection>,
    /// Reverse proxies whose forwarded-for headers are trusted (IPs or CIDRs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_proxies: Option<Vec<String>>,
    /// The browser Control UI served by the gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_ui: Option<ControlUiSection>,
    /// Extra allow/deny for tools invoked over HTTP (`/tools/invoke`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolPolicySection>,
    /// Optional HTTP endpoints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<GatewayHttpSection>,
    /// Config hot-reload behaviour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reload: Option<ReloadSection>,
    /// Tailscale exposure; rustyclaw supports only `off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tailscale: Option<TailscaleSection>,
}

/// Gateway modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GatewayMode {
    /// Run the gateway on this machine.
    Local,
    /// Use a gateway elsewhere.
    Remote,
}

/// Listen address choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BindMode {
    /// 127.0.0.1 only.
    Loopback,
    /// All interfaces (0.0.0.0).
    Lan,
    /// The Tailscale interface address.
    Tailnet,
    /// Loopback, or the tailnet address when Tailscale is up.
    Auto,
    /// `customBindHost`.
    Custom,
}

/// `gateway.auth`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayAuthSection {
    /// `none`, `token` (default) or `password`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<GatewayAuthMode>,
    /// Shared token (`OPENCLAW_GATEWAY_TOKEN` overrides it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretInput>,
    /// Password (`OPENCLAW_GATEWAY_PASSWORD` overrides it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretInput>,
    /// Failed-authentication limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<AuthRateLimitSection>,
}

/// Client authentication modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayAuthMode {
    /// No shared secret (loopback-only setups).
    None,
    /// A shared bearer token.
    Token,
    /// A shared password.
    Password,
    /// Identity asserted by a trusted reverse proxy (not supported by rustyclaw).
    TrustedProxy,
}

/// `gateway.auth.rateLimit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthRateLimitSection {
    /// Failures allowed per window before lockout (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Window length in milliseconds (default 60000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<u64>,
    /// Lockout length in milliseconds (default 300000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lockout_ms: Option<u64>,
    /// Never lock out loopback clients (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exempt_loopback: Option<bool>,
}

/// `gateway.controlUi`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlUiSection {
    /// Serve the Control UI (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// URL prefix of the UI (default `/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_path: Option<String>,
    /// Serve the built UI in this directory (or this `index.html`) instead of the embedded one,
    /// e.g. OpenClaw's own (`dist/control-ui` of the `openclaw` npm package). Read at start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// Browser origins allowed to open a WebSocket from a non-loopback address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
}

/// `gateway.http`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayHttpSection {
    /// OpenAI-compatible endpoints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<HttpEndpointsSection>,
}

/// `gateway.http.endpoints`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpEndpointsSection {
    /// `POST /v1/chat/completions` (default off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_completions: Option<EndpointToggle>,
    /// `POST /v1/responses` (default off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses: Option<EndpointToggle>,
}

/// An on/off switch for an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointToggle {
    /// Whether the endpoint is served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// `gateway.reload`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReloadSection {
    /// `off`, `hot`, `restart` or `hybrid` (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<ReloadMode>,
    /// Wait this long after a file change before reloading (default 300 ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debounce_ms: Option<u64>,
}

/// Reload modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReloadMode {
    /// Never reload automatically.
    Off,
    /// Apply changes in place.
    Hot,
    /// Restart the gateway on change.
    Restart,
    /// Hot where possible, restart otherwise.
    Hybrid,
}

/// `gateway.tailscale`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TailscaleSection {
    /// `off`, `serve` or `funnel`; only `off` is supported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<TailscaleMode>,
    /// Undo serve/funnel on exit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_on_exit: Option<bool>,
}

/// Tailscale exposure modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TailscaleMode {
    /// No Tailscale exposure.
    Off,
    /// Expose on the tailnet.
    Serve,
    /// Expose publicly via Funnel.
    Funnel,
}
