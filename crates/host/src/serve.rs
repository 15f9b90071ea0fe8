//! `rustyclaw gateway run`: the gateway served until the process is told to stop, with config
//! changes applied as they come.
//!
//! A change comes as a write over the protocol (`config.set`/`patch`/`apply`, which ask the
//! host to apply the file) or as an edit of the file on disk (`gateway.reload`, see
//! [`crate::config_watch`]). The host reloads the file and plans the change
//! ([`ReloadPlan`]): when nothing in it needs a restart, the runtime and the gateway take the
//! new config in place ([`AgentRuntime::reconfigure`](rustyclaw_agent::AgentRuntime::reconfigure)) and every client stays connected; a change to the
//! listener (or to something else read once at start) restarts the gateway in-process: its
//! clients are told (`shutdown` with `restartExpectedMs`), the runtime is rebuilt and the
//! gateway serves again on the same address. Either way a change that lowers isolation or
//! widens the tool policy is announced first. A config that fails to load keeps the running
//! one (and says why).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_config::file::ReloadMode;
use rustyclaw_config::reload_plan::ReloadPlan;
use rustyclaw_config::{Config, Env, Issue, LoadedConfig};
use rustyclaw_gateway::{GatewayOptions, GatewayState, RestartRequest};
use serde_json::Value;
use tokio::sync::watch;

use crate::config_watch::{ConfigSnapshot, ConfigWatch};
use crate::listener::{self, ListenerOverrides};
use crate::{HostError, HostSetup};

/// How long clients are told to expect the gateway back after a restart.
const RESTART_EXPECTED: Duration = Duration::from_secs(2);

/// Where the host tells the person running it what happens (the CLI prints it).
pub trait Report: Send + Sync {
    /// The gateway listens on `addr` (after each start and restart).
    fn listening(&self, addr: SocketAddr);
    /// A config that was just loaded has these warnings.
    fn config_warnings(&self, issues: &[Issue]);
    /// Something went wrong and the host goes on without it.
    fn problem(&self, text: &str);
}

/// The config in force, and what it was loaded from.
struct Current {
    config: Arc<Config>,
    env: Env,
    document: Value,
}

impl From<LoadedConfig> for Current {
    fn from(loaded: LoadedConfig) -> Self {
        Current {
            config: Arc::new(loaded.config),
            env: loaded.env,
            document: loaded.document,
        }
    }
}

/// Serves the gateway with `loaded` (just loaded by the caller) until `stop` completes,
/// applying config changes as they come (see the module documentation).
pub async fn serve_gateway(
    setup: &HostSetup,
    loaded: LoadedConfig,
    overrides: ListenerOverrides,
    stop: impl Future<Output = ()> + Send + 'static,
    report: &dyn Report,
) -> Result<(), HostError> {
    // The config was loaded moments ago, by the caller; edits from now on are changes.
    let mut snapshot = Some(ConfigSnapshot::take(&setup.locations.config_path));
    let mut current = Current::from(loaded);
    let store = setup.open_store().await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = stop_tx.send(true);
    });
    // The sandbox is set up once per process: its self-test at start decides the layers every
    // command gets, and a restart must not find fewer (after an in-place upgrade the binary on
    // disk is another program; the helper stays the one this process opened).
    let sandbox = Arc::new(tokio::task::block_in_place(|| {
        setup.sandbox(Some(&current.config))
    }));
    let mut previous: Option<GatewayState> = None;
    let mut bound: Option<SocketAddr> = None;
    loop {
        let runtime = Arc::new(
            setup
                .runtime(
                    current.config.clone(),
                    &current.env,
                    store.clone(),
                    sandbox.clone(),
                )
                .await?,
        );
        let options = GatewayOptions {
            config_path: Some(setup.locations.config_path.display().to_string()),
            state_dir: Some(setup.locations.state_dir.display().to_string()),
            log_file: Some(current.config.logging.file.clone()),
            version: setup.version.clone(),
            ..GatewayOptions::default()
        };
        let state = GatewayState::new(
            current.config.clone(),
            runtime.clone(),
            store.clone(),
            options,
        );
        if let Some(previous) = previous.take() {
            state.inherit_control_state(&previous);
        }
        let mut addr = listener::address(&current.config, &overrides)?;
        if let (Some(0), Some(bound)) = (overrides.port, bound) {
            // A restart binds the port it had when `--port 0` picked it.
            addr.set_port(bound.port());
        }
        let socket = bind(addr).await?;
        let local = socket
            .local_addr()
            .map_err(|source| HostError::Listen { addr, source })?;
        bound = Some(local);
        report.listening(local);
        tracing::info!(bound = %local, "gateway listening");
        // The server runs on its own task, so that changes can be prepared (the new config
        // loaded, announced when it loosens security, applied in place) while it serves.
        let (stop_serving, serving_stopped) = watch::channel(false);
        let serving = tokio::spawn(rustyclaw_gateway::serve(
            socket,
            state.clone(),
            async move {
                let mut serving_stopped = serving_stopped;
                let _ = serving_stopped.wait_for(|stop| *stop).await;
            },
        ));
        let mut changes = Changes {
            setup,
            state: &state,
            runtime: &runtime,
            store: &store,
            sandbox: &sandbox,
            report,
        };
        let restart = loop {
            let watching = ConfigWatch::start(
                snapshot
                    .take()
                    .unwrap_or_else(|| ConfigSnapshot::take(&setup.locations.config_path)),
                current.config.gateway.reload_mode,
                current.config.gateway.reload_debounce,
            )
            .map(|mut watch| {
                let state = state.clone();
                tokio::spawn(async move {
                    watch.changed().await;
                    tracing::info!("the config file changed on disk; applying it");
                    state.request_restart(FILE_CHANGED, "file", Duration::ZERO);
                })
            });
            let mut stop_rx = stop_rx.clone();
            let request = tokio::select! {
                _ = async { stop_rx.wait_for(|stop| *stop).await.is_ok() } => None,
                request = state.restart_requested() => Some(request),
            };
            if let Some(watching) = watching {
                watching.abort();
            }
            let Some(request) = request else {
                break None;
            };
            // Taken before the file is read: a write from now on asks anew, and an edit made
            // while this one is applied is seen by the next watch.
            let mut request = state.take_restart_request().unwrap_or(request);
            snapshot = Some(ConfigSnapshot::take(&setup.locations.config_path));
            let mut applied = changes.apply(&mut current, &request, true).await;
            if let Applied::RestartAfterDelay = applied {
                // Let the answer to the write that asked for a restart reach its client first
                // (`restartDelayMs`); writes made meanwhile join this restart.
                tokio::time::sleep(request.delay).await;
                if let Some(later) = state.take_restart_request() {
                    request.join(later);
                }
                snapshot = Some(ConfigSnapshot::take(&setup.locations.config_path));
                applied = changes.apply(&mut current, &request, false).await;
            }
            match applied {
                Applied::InPlace | Applied::RestartAfterDelay => {}
                Applied::NeedsRestart(new) => break Some((request, new)),
            }
        };
        let _ = stop_serving.send(true);
        serving
            .await
            .map_err(|e| HostError::Gateway {
                detail: e.to_string(),
            })?
            .map_err(|e| HostError::Gateway {
                detail: e.to_string(),
            })?;
        let Some((request, new)) = restart else {
            tracing::info!("gateway stopped");
            return Ok(());
        };
        tracing::info!(reason = %request.reason, "gateway restarting with the new config");
        sandbox.warn_missing(&crate::levels_in_use(&new.config));
        current = *new;
        previous = Some(state);
    }
}

/// The reason of a request to apply an edit of the file on disk.
const FILE_CHANGED: &str = "config file changed";

/// What became of a config change.
enum Applied {
    /// Applied, or refused and the running config kept; either way the gateway goes on.
    InPlace,
    /// The change needs a restart and the request asked for a delay first: nothing was done.
    RestartAfterDelay,
    /// The gateway has told its clients it restarts; it is to be rebuilt with this config.
    NeedsRestart(Box<Current>),
}

/// What applying a change works with.
struct Changes<'a> {
    setup: &'a HostSetup,
    state: &'a GatewayState,
    runtime: &'a rustyclaw_agent::AgentRuntime,
    store: &'a rustyclaw_store::Store,
    sandbox: &'a rustyclaw_sandbox::Sandbox,
    report: &'a dyn Report,
}

impl Changes<'_> {
    /// Loads the config file and applies it: in place, or by a restart when the plan says so
    /// (with `may_delay`, a restart whose request asked for a delay is only reported, for the
    /// caller to come back after it).
    async fn apply(
        &mut self,
        current: &mut Current,
        request: &RestartRequest,
        may_delay: bool,
    ) -> Applied {
        let loaded = match tokio::task::block_in_place(|| self.setup.load_config()) {
            Ok(loaded) => loaded,
            Err(error) => {
                tracing::error!(%error, "the new config does not load; keeping the running one");
                self.report.problem(&format!(
                    "the new config does not load ({error}); keeping the running one"
                ));
                return Applied::InPlace;
            }
        };
        let plan = ReloadPlan::between(&current.document, &loaded.document);
        // With reloading off, upstream applies a write over the protocol by restarting (an
        // edit of the file that turns reloading off is itself applied in place).
        let write_with_reload_off =
            loaded.config.gateway.reload_mode == ReloadMode::Off && request.reason != FILE_CHANGED;
        let restarts = plan.needs_restart() || write_with_reload_off;
        if restarts && may_delay && !request.delay.is_zero() {
            return Applied::RestartAfterDelay;
        }
        self.report.config_warnings(&loaded.warnings);
        // Clients hear of a change that lowers isolation or widens the tool policy before
        // it applies (and, after a restart, again when they come back).
        self.state
            .announce_weakening(&current.config, &loaded.config, request)
            .await;
        let new = Current::from(loaded);
        if restarts {
            tracing::info!(
                changed = %plan.restart.join(","),
                "the config change needs the gateway restarted"
            );
            self.state.begin_restart(
                &format!("restarting to apply the config ({})", request.reason),
                RESTART_EXPECTED,
            );
            return Applied::NeedsRestart(Box::new(new));
        }
        match self.apply_in_place(&new).await {
            Ok(()) => {
                if !plan.next_start.is_empty() {
                    tracing::warn!(
                        changed = %plan.next_start.join(","),
                        "these settings are read when the process starts; they take effect at its next start"
                    );
                }
                tracing::info!(
                    reason = %request.reason,
                    changed = %plan.hot.join(","),
                    "config applied without a restart"
                );
                *current = new;
            }
            Err(error) => {
                tracing::error!(%error, "the new config cannot be applied; keeping the running one");
                self.report.problem(&format!(
                    "the new config cannot be applied ({error}); keeping the running one"
                ));
            }
        }
        Applied::InPlace
    }

    /// Puts `new` in force for the runtime (the next turns) and the gateway (the next
    /// requests), with every client still connected.
    async fn apply_in_place(&self, new: &Current) -> Result<(), HostError> {
        let update = self
            .setup
            .runtime_update(new.config.clone(), &new.env, self.store)
            .await?;
        self.runtime
            .reconfigure(update)
            .map_err(|e| HostError::Tools {
                detail: e.to_string(),
            })?;
        self.state.apply_config(new.config.clone());
        self.sandbox
            .warn_missing(&crate::levels_in_use(&new.config));
        Ok(())
    }
}

/// Binds `addr`; on a restart the old socket may linger for a moment, so retry briefly.
async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, HostError> {
    let mut attempts = 0;
    loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempts < 20 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(source) => return Err(HostError::Listen { addr, source }),
        }
    }
}

/// Completes on SIGTERM or Ctrl-C (SIGINT): what stops a gateway run from a terminal or a
/// service manager.
pub async fn stop_signal() {
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
