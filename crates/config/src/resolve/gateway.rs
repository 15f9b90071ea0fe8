//! Resolution of `gateway`.

use std::time::Duration;

use super::Ctx;
use crate::file::{
    BindMode, GatewayAuthMode, GatewayMode, GatewaySection, ReloadMode, TailscaleMode,
    ToolPolicySection,
};
use crate::{Issue, JsonPath, Secret, env_vars};

/// Default gateway port, as OpenClaw.
pub const DEFAULT_GATEWAY_PORT: u16 = 18789;

/// The gateway server.
#[derive(Debug)]
pub struct GatewayConfig {
    /// `local` or `remote` (default `local`).
    pub mode: GatewayMode,
    /// Listening port: `OPENCLAW_GATEWAY_PORT`, else `gateway.port`, else 18789.
    pub port: u16,
    /// Interfaces to listen on (default loopback).
    pub bind: BindMode,
    /// Address for `bind: custom`.
    pub custom_bind_host: Option<String>,
    /// Client authentication.
    pub auth: GatewayAuth,
    /// Trusted reverse proxies.
    pub trusted_proxies: Vec<String>,
    /// Serve the Control UI (default true).
    pub control_ui_enabled: bool,
    /// URL prefix of the Control UI (default `/`).
    pub control_ui_base_path: String,
    /// A directory holding a built Control UI to serve instead of the embedded one (`~` expanded).
    pub control_ui_root: Option<std::path::PathBuf>,
    /// Browser origins allowed from non-loopback addresses (default none).
    pub allowed_origins: Vec<String>,
    /// Serve `POST /v1/chat/completions` (default false).
    pub chat_completions_endpoint: bool,
    /// Serve `POST /v1/responses` (default false).
    pub responses_endpoint: bool,
    /// Extra allow/deny for `/tools/invoke`.
    pub http_tools: ToolPolicySection,
    /// Hot-reload mode (default hybrid).
    pub reload_mode: ReloadMode,
    /// Debounce before reloading (default 300 ms).
    pub reload_debounce: Duration,
}

/// Client authentication.
#[derive(Debug)]
pub struct GatewayAuth {
    /// `none`, `token` or `password`; default `password` when only a password is set, else `token`.
    pub mode: GatewayAuthMode,
    /// Shared token: `OPENCLAW_GATEWAY_TOKEN`, else `gateway.auth.token`.
    pub token: Option<Secret>,
    /// Password: `OPENCLAW_GATEWAY_PASSWORD`, else `gateway.auth.password`.
    pub password: Option<Secret>,
    /// Failures per window before lockout (default 10).
    pub max_attempts: u32,
    /// Failure counting window (default 60 s).
    pub window: Duration,
    /// Lockout duration (default 5 min).
    pub lockout: Duration,
    /// Never lock out loopback clients (default true).
    pub exempt_loopback: bool,
}

pub(crate) fn resolve_gateway(
    section: Option<&GatewaySection>,
    ctx: &mut Ctx<'_>,
) -> GatewayConfig {
    let default = GatewaySection::default();
    let g = section.unwrap_or(&default);
    let at = JsonPath::root().key("gateway");
    let auth = g.auth.clone().unwrap_or_default();
    let auth_at = at.key("auth");

    let token = match ctx.env.non_empty(env_vars::OPENCLAW_GATEWAY_TOKEN) {
        Some(t) => Some(Secret::from(t.to_owned())),
        None => ctx.secret(auth.token.as_ref(), auth_at.key("token")),
    };
    let password = match ctx.env.non_empty(env_vars::OPENCLAW_GATEWAY_PASSWORD) {
        Some(p) => Some(Secret::from(p.to_owned())),
        None => ctx.secret(auth.password.as_ref(), auth_at.key("password")),
    };
    let mode = auth
        .mode
        .unwrap_or(if password.is_some() && token.is_none() {
            GatewayAuthMode::Password
        } else {
            GatewayAuthMode::Token
        });
    if mode == GatewayAuthMode::TrustedProxy {
        ctx.errors.push(
            Issue::error(
                auth_at.key("mode"),
                "trusted-proxy authentication is not supported by rustyclaw",
            )
            .with_hint("use \"token\" or \"password\""),
        );
    }

    let port = match ctx.env.non_empty(env_vars::OPENCLAW_GATEWAY_PORT) {
        Some(text) => match text.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                ctx.errors.push(Issue::error(
                    at.key("port"),
                    format!(
                        "{} is not a valid port: {text:?}",
                        env_vars::OPENCLAW_GATEWAY_PORT
                    ),
                ));
                DEFAULT_GATEWAY_PORT
            }
        },
        None => g.port.unwrap_or(DEFAULT_GATEWAY_PORT),
    };
    if port == 0 {
        ctx.errors.push(Issue::error(
            at.key("port"),
            "port must be between 1 and 65535",
        ));
    }
    let bind = g.bind.unwrap_or(BindMode::Loopback);
    if bind == BindMode::Custom && g.custom_bind_host.is_none() {
        ctx.errors.push(Issue::error(
            at.key("customBindHost"),
            "bind is \"custom\" but customBindHost is not set",
        ));
    }
    if matches!(bind, BindMode::Tailnet) {
        ctx.warnings.push(Issue::warning(at.key("bind"), "tailnet binding needs Tailscale integration, which rustyclaw does not have; loopback is used"));
    }
    if let Some(mode) = g.tailscale.as_ref().and_then(|t| t.mode)
        && mode != TailscaleMode::Off
    {
        ctx.warnings.push(Issue::warning(at.key("tailscale").key("mode"), "Tailscale serve/funnel is not supported by rustyclaw; the gateway is not exposed through Tailscale"));
    }
    let rate = auth.rate_limit.clone().unwrap_or_default();
    let control_ui = g.control_ui.clone().unwrap_or_default();
    let endpoints = g
        .http
        .as_ref()
        .and_then(|h| h.endpoints.clone())
        .unwrap_or_default();
    let reload = g.reload.clone().unwrap_or_default();
    if let Some(retired @ (ReloadMode::Hot | ReloadMode::Restart)) = reload.mode {
        let name = if retired == ReloadMode::Hot {
            "hot"
        } else {
            "restart"
        };
        ctx.warnings.push(Issue::warning(
            at.key("reload").key("mode"),
            format!(
                "reload mode \"{name}\" is retired (OpenClaw's doctor maps it to \"hybrid\"): changes apply in place where they can and restart the gateway where they must"
            ),
        ));
    }
    GatewayConfig {
        mode: g.mode.unwrap_or(GatewayMode::Local),
        port,
        bind,
        custom_bind_host: g.custom_bind_host.clone(),
        auth: GatewayAuth {
            mode,
            token,
            password,
            max_attempts: rate.max_attempts.unwrap_or(10),
            window: Duration::from_millis(rate.window_ms.unwrap_or(60_000)),
            lockout: Duration::from_millis(rate.lockout_ms.unwrap_or(300_000)),
            exempt_loopback: rate.exempt_loopback.unwrap_or(true),
        },
        trusted_proxies: g.trusted_proxies.clone().unwrap_or_default(),
        control_ui_enabled: control_ui.enabled.unwrap_or(true),
        control_ui_base_path: control_ui.base_path.unwrap_or_else(|| "/".to_owned()),
        control_ui_root: control_ui
            .root
            .as_deref()
            .map(|root| ctx.env.expand_tilde(std::path::Path::new(root))),
        allowed_origins: control_ui.allowed_origins.unwrap_or_default(),
        chat_completions_endpoint: endpoints
            .chat_completions
            .and_then(|e| e.enabled)
            .unwrap_or(false),
        responses_endpoint: endpoints.responses.and_then(|e| e.enabled).unwrap_or(false),
        http_tools: g.tools.clone().unwrap_or_default(),
        reload_mode: reload.mode.unwrap_or(ReloadMode::Hybrid),
        reload_debounce: Duration::from_millis(reload.debounce_ms.unwrap_or(300)),
    }
}
