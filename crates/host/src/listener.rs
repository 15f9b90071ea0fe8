//! The address the gateway listens on: `gateway.port` and `gateway.bind`, or the command line's
//! `--port` and `--bind` over them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;

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

/// Binds `addr`; on a restart the old socket may linger for a moment, so retry briefly.
pub(crate) async fn bind(addr: SocketAddr) -> Result<TcpListener, HostError> {
    let mut attempts = 0;
    loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempts < 20 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(source) => return Err(HostError::Listen { addr, source }),
        }
    }
}
