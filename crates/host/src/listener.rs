//! The address the gateway listens on: `gateway.port` and `gateway.bind`, or the command line's
//! `--port` and `--bind` over them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use rustyclaw_config::Config;
use rustyclaw_config::file::{BindMode, GatewayAuthMode};

use crate::HostError;

/// `--bind` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindOverride {
    /// 127.0.0.1 only.
    Loopback,
    /// Every interface.
    Lan,
}

/// What the command line says about the listener, over the config.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListenerOverrides {
    /// `--port` (0 picks a free port, kept across restarts of the gateway).
    pub port: Option<u16>,
    /// `--bind`.
    pub bind: Option<BindOverride>,
}

/// The address to listen on. Refuses a bind beyond loopback without authentication, and the
/// bind modes not supported yet.
pub fn address(config: &Config, overrides: &ListenerOverrides) -> Result<SocketAddr, HostError> {
    let port = overrides.port.unwrap_or(config.gateway.port);
    let host = match (overrides.bind, config.gateway.bind) {
        (Some(BindOverride::Loopback), _) | (None, BindMode::Loopback | BindMode::Auto) => {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        (Some(BindOverride::Lan), _) | (None, BindMode::Lan) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (None, BindMode::Tailnet | BindMode::Custom) => {
            return Err(HostError::Refused {
                message: "gateway.bind tailnet and custom are not supported yet".into(),
                hint: Some("use --bind loopback or --bind lan".into()),
            });
        }
    };
    if !host.is_loopback() && config.gateway.auth.mode == GatewayAuthMode::None {
        return Err(HostError::Refused {
            message: format!("refusing to bind gateway to {host}:{port} without auth"),
            hint: Some(
                "set gateway.auth.token (or OPENCLAW_GATEWAY_TOKEN), or bind to loopback".into(),
            ),
        });
    }
    Ok(SocketAddr::new(host, port))
}
