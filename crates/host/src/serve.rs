//! `rustyclaw gateway run`: the gateway served until the process is told to stop, with config
//! changes applied as they come.
//!
//! A change comes as a write over the protocol (`config.set`/`patch`/`apply`, which ask the
//! host to apply the file) or as an edit of the file on disk (`gateway.reload`, see
//! [`crate::config_watch`]). The host reloads the file and plans the change
//! ([`crate::apply`]): when nothing in it needs a restart, the runtime and the gateway take the
//! new config in place and every client stays connected; a change to the listener (or to
//! something else read once at start) restarts the gateway in-process: its clients are told
//! (`shutdown` with `restartExpectedMs`) and the gateway serves again, on the new address when
//! it moved. The agent runtime is built once and outlives restarts (it is reconfigured, never
//! replaced), so a session never has two lanes and no pending approval or background process
//! is orphaned. Either way a change that lowers isolation or widens the tool policy is
//! announced first. A config that fails to load, or a restart that could not bind or build its
//! parts, keeps the running config (and says why).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_config::LoadedConfig;
use rustyclaw_gateway::{GatewayOptions, GatewayState};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::apply::{Applied, Changes, Current, FILE_CHANGED};
use crate::channels::{ChannelHost, ChannelHostParts, ChannelLink};
use crate::config_watch::{ConfigSnapshot, ConfigWatch};
use crate::listener::{self, ListenerOverrides, bind};
use crate::report::Report;
use crate::{HostError, HostSetup};

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
    // The agent's message tool reaches the channels through this link, connected once the
    // channel layer (which needs the runtime) starts.
    let channel_link = ChannelLink::new();
    let channel_control: Arc<dyn rustyclaw_gateway::channels::ChannelControl> =
        Arc::new(channel_link.clone());
    // The agents' memory follows config changes (see `apply`), and a watcher keeps each
    // index current while the gateway runs.
    let memory = setup.memory(current.config.clone(), &current.env)?;
    let _memory_watch = AbortOnDrop(memory.watch());
    let runtime = Arc::new(
        setup
            .runtime(
                current.config.clone(),
                &current.env,
                store.clone(),
                sandbox.clone(),
                Some(channel_link.messenger()),
                Some(&memory),
            )
            .await?,
    );
    // The chat channels outlive gateway restarts too: an account reconnects only when its own
    // settings change.
    let channels = ChannelHost::start(ChannelHostParts {
        store: store.clone(),
        runtime: runtime.clone(),
        state_dir: setup.locations.state_dir.clone(),
        link: channel_link,
    })
    .await;
    let mut addr = listener::address(&current.config, &overrides)?;
    let mut socket: Option<TcpListener> = None;
    let mut previous: Option<GatewayState> = None;
    loop {
        let options = GatewayOptions {
            config_path: Some(setup.locations.config_path.display().to_string()),
            state_dir: Some(setup.locations.state_dir.display().to_string()),
            log_file: Some(current.config.logging.file.clone()),
            version: setup.version.clone(),
            channels: Some(channel_control.clone()),
            skills: Some(setup.skills_host(&current.env)),
            installer: Some(rustyclaw_skills::installer::Installer::new(
                &setup.locations.state_dir,
                Arc::clone(&sandbox),
                current.env.clone(),
            )),
            memory: Some(memory.clone()),
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
            // A write answered while the previous gateway was stopping is applied by this one.
            if let Some(pending) = previous.take_restart_request() {
                for actor in &pending.actors {
                    state.request_restart(&pending.reason, actor, Duration::ZERO);
                }
            }
        }
        let listening = match socket.take() {
            Some(socket) => socket,
            None => bind(addr).await?,
        };
        let local = listening
            .local_addr()
            .map_err(|source| HostError::Listen { addr, source })?;
        report.listening(local);
        tracing::info!(bound = %local, "gateway listening");
        // The server runs on its own task, so that changes can be prepared (the new config
        // loaded, announced when it loosens security, applied in place) while it serves.
        let (stop_serving, serving_stopped) = watch::channel(false);
        let serving = tokio::spawn(rustyclaw_gateway::serve(
            listening,
            state.clone(),
            async move {
                let mut serving_stopped = serving_stopped;
                let _ = serving_stopped.wait_for(|stop| *stop).await;
            },
        ));
        let changes = Changes {
            setup,
            state: &state,
            runtime: &runtime,
            store: &store,
            sandbox: &sandbox,
            memory: &memory,
            report,
            overrides,
            bound: local,
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
            let request = tokio::select! {
                _ = stopped(&stop_rx) => None,
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
                tokio::select! {
                    _ = stopped(&stop_rx) => break None,
                    _ = tokio::time::sleep(request.delay) => {}
                }
                if let Some(later) = state.take_restart_request() {
                    request.join(later);
                }
                snapshot = Some(ConfigSnapshot::take(&setup.locations.config_path));
                applied = changes.apply(&mut current, &request, false).await;
            }
            // The channel accounts follow the config in force, whatever became of the rest.
            channels.apply().await;
            match applied {
                Applied::InPlace | Applied::RestartAfterDelay => {}
                Applied::Restart(restart) => break Some((request, restart)),
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
        let Some((request, restart)) = restart else {
            channels.shutdown().await;
            tracing::info!("gateway stopped");
            return Ok(());
        };
        tracing::info!(reason = %request.reason, "gateway restarting with the new config");
        current = restart.config;
        addr = restart.addr;
        socket = restart.listener;
        previous = Some(state);
    }
}

/// Completes once the process is told to stop.
async fn stopped(stop: &watch::Receiver<bool>) {
    let mut stop = stop.clone();
    if stop.wait_for(|stop| *stop).await.is_err() {
        // The signal task is gone without a stop: never complete.
        std::future::pending::<()>().await;
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

/// Aborts a background task when dropped (the memory watcher stops with the gateway).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
