//! Applying a config change to a running gateway: load the file, plan the change
//! ([`ReloadPlan`]), prepare everything that can fail, announce a loosening of security, then
//! put it in force — in place (the runtime's next turns, the gateway's next requests) or by
//! asking the serve loop ([`crate::serve`]) to restart the gateway. A change that cannot be
//! prepared (the file does not load, the models or the tools cannot be built, the new address
//! is refused or taken) leaves the running config in force and says why.

use std::net::SocketAddr;
use std::sync::Arc;

use rustyclaw_agent::AgentRuntime;
use rustyclaw_config::file::ReloadMode;
use rustyclaw_config::reload_plan::ReloadPlan;
use rustyclaw_config::{Config, Env, LoadedConfig};
use rustyclaw_gateway::{GatewayState, RestartRequest};
use rustyclaw_sandbox::Sandbox;
use rustyclaw_store::Store;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::listener::{self, ListenerOverrides};
use crate::report::Report;
use crate::{HostError, HostSetup};

/// The reason of a request to apply an edit of the file on disk.
pub(crate) const FILE_CHANGED: &str = "config file changed";

/// How long clients are told to expect the gateway back after a restart.
const RESTART_EXPECTED: std::time::Duration = std::time::Duration::from_secs(2);

/// The config in force, and what it was loaded from.
pub(crate) struct Current {
    pub config: Arc<Config>,
    pub env: Env,
    pub document: Value,
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

/// A restart the gateway has announced to its clients: the config it restarts with (already
/// in force for the runtime), where it listens next, and the socket when that is a new address
/// (bound before the restart was announced, so it cannot fail after).
pub(crate) struct Restart {
    pub config: Current,
    pub addr: SocketAddr,
    pub listener: Option<TcpListener>,
}

/// What became of a config change.
pub(crate) enum Applied {
    /// Applied, or refused and the running config kept; either way the gateway goes on.
    InPlace,
    /// The change needs a restart and the request asked for a delay first: nothing was done.
    RestartAfterDelay,
    /// The gateway has told its clients it restarts; the serve loop is to serve again.
    Restart(Box<Restart>),
}

/// What applying a change works with.
pub(crate) struct Changes<'a> {
    pub setup: &'a HostSetup,
    pub state: &'a GatewayState,
    pub runtime: &'a AgentRuntime,
    pub store: &'a Store,
    pub sandbox: &'a Sandbox,
    pub memory: &'a Arc<rustyclaw_memory::MemoryService>,
    pub report: &'a dyn Report,
    pub overrides: ListenerOverrides,
    /// Where the gateway listens now.
    pub bound: SocketAddr,
}

impl Changes<'_> {
    /// Loads the config file and applies it: in place, or by a restart when the plan says so
    /// (with `may_delay`, a restart whose request asked for a delay is only reported, for the
    /// caller to come back after it).
    pub async fn apply(
        &self,
        current: &mut Current,
        request: &RestartRequest,
        may_delay: bool,
    ) -> Applied {
        let loaded = match tokio::task::block_in_place(|| self.setup.load_config()) {
            Ok(loaded) => loaded,
            Err(error) => {
                self.keep_running("the new config does not load", &error);
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
        let new = Current::from(loaded);
        // Everything that can fail, before anything is announced or changed.
        let next_listener = if restarts {
            match self.next_listener(&new.config).await {
                Ok(next) => Some(next),
                Err(error) => {
                    self.keep_running("the gateway cannot restart with the new config", &error);
                    return Applied::InPlace;
                }
            }
        } else {
            None
        };
        let prepared = match self.prepare(&new).await {
            Ok(prepared) => prepared,
            Err(error) => {
                self.keep_running("the new config cannot be applied", &error);
                return Applied::InPlace;
            }
        };
        // Clients hear of a change that lowers isolation or widens the tool policy before
        // it applies (and, after a restart, again when they come back).
        self.state
            .announce_weakening(&current.config, &new.config, request)
            .await;
        self.runtime.apply(prepared);
        self.memory.reconfigure(new.config.clone()).await;
        self.sandbox
            .warn_missing(&crate::levels_in_use(&new.config));
        if !plan.next_start.is_empty() {
            tracing::warn!(
                changed = %plan.next_start.join(","),
                "these settings are read when the process starts; they take effect at its next start"
            );
        }
        if let Some((addr, listener)) = next_listener {
            tracing::info!(
                changed = %plan.restart.join(","),
                "the config change needs the gateway restarted"
            );
            self.state.begin_restart(
                &format!("restarting to apply the config ({})", request.reason),
                RESTART_EXPECTED,
            );
            return Applied::Restart(Box::new(Restart {
                config: new,
                addr,
                listener,
            }));
        }
        self.state.apply_config(new.config.clone());
        tracing::info!(
            reason = %request.reason,
            changed = %plan.hot.join(","),
            "config applied without a restart"
        );
        *current = new;
        Applied::InPlace
    }

    /// The runtime's part of `new`, built but not yet in force.
    async fn prepare(&self, new: &Current) -> Result<rustyclaw_agent::Reconfiguration, HostError> {
        let mut update = self
            .setup
            .runtime_update(new.config.clone(), &new.env, self.store)
            .await?;
        // Tools registered at run time (an MCP server's) outlive the configuration they were
        // registered under.
        update.tools.adopt_run_time_tools(&self.runtime.tools());
        self.runtime.prepare(update).map_err(|e| HostError::Tools {
            detail: e.to_string(),
        })
    }

    /// Where the restarted gateway listens, and its socket when that is a new address (bound
    /// now, while the running gateway still serves, so a taken port refuses the change instead
    /// of stopping the gateway).
    async fn next_listener(
        &self,
        config: &Config,
    ) -> Result<(SocketAddr, Option<TcpListener>), HostError> {
        let mut addr = listener::address(config, &self.overrides)?;
        if self.overrides.port == Some(0) {
            // `--port 0` picked a port at start; restarts keep it.
            addr.set_port(self.bound.port());
        }
        if addr == self.bound {
            // The same address: bound again once the running gateway lets go of it.
            return Ok((addr, None));
        }
        let listener = crate::listener::bind(addr).await?;
        Ok((addr, Some(listener)))
    }

    /// Logs and reports why a change was not applied; the running config stays in force.
    fn keep_running(&self, what: &str, error: &dyn std::fmt::Display) {
        tracing::error!(%error, "{what}; keeping the running config");
        self.report
            .problem(&format!("{what} ({error}); keeping the running config"));
    }
}
