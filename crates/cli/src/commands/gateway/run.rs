//! `rustyclaw gateway run`: serves the gateway until SIGTERM or Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use rustyclaw_config::LoadedConfig;
use rustyclaw_config::file::{BindMode, GatewayAuthMode};
use rustyclaw_gateway::{GatewayOptions, GatewayState};

use crate::UserError;
use crate::args::{BindArg, GatewayRunArgs};
use crate::context::Context;
use crate::output;

/// Runs the server.
pub(super) fn run(
    ctx: &Context,
    loaded: LoadedConfig,
    args: &GatewayRunArgs,
) -> anyhow::Result<ExitCode> {
    output::warnings(&loaded.warnings);
    let config = loaded.config;
    let port = args.port.unwrap_or(config.gateway.port);
    let host = match (args.bind, config.gateway.bind) {
        (Some(BindArg::Loopback), _) | (None, BindMode::Loopback | BindMode::Auto) => {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        (Some(BindArg::Lan), _) | (None, BindMode::Lan) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (None, BindMode::Tailnet | BindMode::Custom) => {
            return Err(
                UserError::new("gateway.bind tailnet and custom are not supported yet")
                    .hint("use --bind loopback or --bind lan")
                    .into(),
            );
        }
    };
    if !host.is_loopback() && config.gateway.auth.mode == GatewayAuthMode::None {
        return Err(UserError::new(format!(
            "refusing to bind gateway to {host}:{port} without auth"
        ))
        .hint("set gateway.auth.token (or OPENCLAW_GATEWAY_TOKEN), or bind to loopback")
        .into());
    }
    let env = loaded.env.clone();
    // Built before the async runtime: it runs the sandbox helper's self-test, a blocking call.
    let sandbox = Arc::new(crate::sandbox::build(ctx, Some(&config)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async move {
        let store = ctx.open_store().await?;
        let config = Arc::new(config);
        let agent =
            super::super::wiring::runtime(ctx, config.clone(), &env, store.clone(), sandbox)
                .await?;
        let options = GatewayOptions {
            config_path: Some(ctx.locations.config_path.display().to_string()),
            state_dir: Some(ctx.locations.state_dir.display().to_string()),
            ..GatewayOptions::default()
        };
        let state = GatewayState::new(config, Arc::new(agent), store, options);
        let addr = SocketAddr::new(host, port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| UserError::new(format!("cannot listen on {addr}: {e}")))?;
        let bound = listener.local_addr().context("listening address")?;
        output::out(&format!("gateway listening on ws://{bound}"));
        tracing::info!(%bound, "gateway listening");
        rustyclaw_gateway::serve(listener, state, stop_signal()).await?;
        tracing::info!("gateway stopped");
        Ok(ExitCode::SUCCESS)
    });
    // Blocking helpers still parked in the runtime's pool must not delay the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
async fn stop_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(error) => {
            tracing::warn!(%error, "cannot watch SIGTERM; only Ctrl-C stops the gateway");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
