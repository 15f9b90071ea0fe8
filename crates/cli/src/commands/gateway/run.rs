//! `rustyclaw gateway run`: serves the gateway until SIGTERM or Ctrl-C, restarting in-process
//! when a config write over the protocol asks for it.
//!
//! A restart reloads the config file as it is on disk, so it applies the write that asked for
//! it and any edit made to the file directly since the last start (the file is not watched:
//! such an edit waits for the next restart). Before stopping, the new config is compared with
//! the running one, and a change that lowers isolation or widens the tool policy is logged,
//! audited and announced to the connected operators (`GatewayState::announce_weakening`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rustyclaw_config::file::{BindMode, GatewayAuthMode};
use rustyclaw_config::{Config, Env, LoadedConfig};
use rustyclaw_gateway::{GatewayOptions, GatewayState};
use tokio::sync::watch;

use super::config_watch::ConfigSnapshot;
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(serve_until_stopped(
        ctx,
        Arc::new(config),
        loaded.env,
        SocketAddr::new(host, port),
    ));
    // Blocking helpers still parked in the runtime's pool must not delay the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}

/// How long clients are told to expect the gateway back after a restart.
const RESTART_EXPECTED: Duration = Duration::from_secs(2);

/// Serves until SIGTERM/Ctrl-C. When a config write asks for a restart, the gateway reloads
/// the config, announces a weakening in it, tells its clients (`shutdown` with
/// `restartExpectedMs`), stops serving, rebuilds the runtime from the new config and serves
/// again on the same address. The store stays open across restarts; a config that fails to
/// load keeps the previous one running (and says why).
async fn serve_until_stopped(
    ctx: &Context,
    mut config: Arc<Config>,
    mut env: Env,
    addr: SocketAddr,
) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        stop_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut addr = addr;
    let mut previous: Option<GatewayState> = None;
    // The config was loaded moments ago, by the caller; edits from now on are changes.
    let mut snapshot = Some(ConfigSnapshot::take(&ctx.locations.config_path));
    // The sandbox is set up once per process: its self-test at start decides the layers every
    // command gets, and a restart must not find fewer (after an in-place upgrade the binary on
    // disk is another program; the helper stays the one this process opened).
    let sandbox = Arc::new(tokio::task::block_in_place(|| {
        crate::sandbox::build(ctx, Some(&config))
    }));
    loop {
        let agent = super::super::wiring::runtime(
            ctx,
            config.clone(),
            &env,
            store.clone(),
            sandbox.clone(),
        )
        .await?;
        let options = GatewayOptions {
            config_path: Some(ctx.locations.config_path.display().to_string()),
            state_dir: Some(ctx.locations.state_dir.display().to_string()),
            log_file: Some(config.logging.file.clone()),
            // The gateway reports the version of the program serving it, not of its crate.
            version: env!("CARGO_PKG_VERSION").to_owned(),
            ..GatewayOptions::default()
        };
        let state = GatewayState::new(config.clone(), Arc::new(agent), store.clone(), options);
        if let Some(previous) = previous.take() {
            state.inherit_control_state(&previous);
        }
        let listener = bind(addr).await?;
        let bound = listener.local_addr().context("listening address")?;
        // A restart binds the port it had, even when `--port 0` picked it.
        addr = bound;
        output::out(&format!("gateway listening on ws://{bound}"));
        tracing::info!(%bound, "gateway listening");
        // The server runs on its own task, so that a restart can be prepared (the new config
        // loaded, and announced when it loosens security) while it still serves.
        let (stop_serving, serving_stopped) = watch::channel(false);
        let serving = tokio::spawn(rustyclaw_gateway::serve(
            listener,
            state.clone(),
            async move {
                let mut serving_stopped = serving_stopped;
                let _ = serving_stopped.wait_for(|stop| *stop).await;
            },
        ));
        // `gateway.reload`: an edit of the file on disk restarts the gateway as a write over
        // the protocol does (and is announced the same way when it loosens security).
        let watcher = super::config_watch::ConfigWatch::start(
            snapshot
                .take()
                .unwrap_or_else(|| ConfigSnapshot::take(&ctx.locations.config_path)),
            config.gateway.reload_mode,
            config.gateway.reload_debounce,
        )
        .map(|mut watch| {
            let state = state.clone();
            tokio::spawn(async move {
                watch.changed().await;
                tracing::info!("the config file changed on disk; applying it");
                state.request_restart("config file changed", "file", Duration::ZERO);
            })
        });
        let mut stop_rx = stop_rx.clone();
        let restart = tokio::select! {
            _ = async { stop_rx.wait_for(|stop| *stop).await.is_ok() } => None,
            request = state.restart_requested() => Some(request),
        };
        let reloaded = match &restart {
            None => None,
            Some(request) => {
                // Let the answer to the write that asked for this reach its client.
                tokio::time::sleep(request.delay).await;
                // Taken before the file is read, so an edit made while restarting is seen.
                snapshot = Some(ConfigSnapshot::take(&ctx.locations.config_path));
                let reloaded = tokio::task::block_in_place(|| ctx.load_config());
                if let Ok(new) = &reloaded {
                    // Clients hear of a change that lowers isolation or widens the tool policy
                    // before the `shutdown` that restarts them, and again when they come back.
                    state
                        .announce_weakening(&config, &new.config, request)
                        .await;
                }
                state.begin_restart(
                    &format!("restarting to apply the config ({})", request.reason),
                    RESTART_EXPECTED,
                );
                Some(reloaded)
            }
        };
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        let _ = stop_serving.send(true);
        serving.await.context("the gateway task failed")??;
        let (Some(request), Some(reloaded)) = (restart, reloaded) else {
            tracing::info!("gateway stopped");
            return Ok(ExitCode::SUCCESS);
        };
        tracing::info!(reason = %request.reason, "gateway restarting with the new config");
        match reloaded {
            Ok(reloaded) => {
                output::warnings(&reloaded.warnings);
                sandbox.warn_missing(&crate::sandbox::levels_in_use(&reloaded.config));
                config = Arc::new(reloaded.config);
                env = reloaded.env;
            }
            Err(error) => {
                tracing::error!(%error, "the new config does not load; keeping the previous one");
                output::err(&format!(
                    "the new config does not load ({error}); keeping the previous one"
                ));
            }
        }
        previous = Some(state);
    }
}

/// Binds `addr`; on a restart the old socket may linger for a moment, so retry briefly.
async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let mut attempts = 0;
    loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempts < 20 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(UserError::new(format!("cannot listen on {addr}: {e}")).into()),
        }
    }
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
