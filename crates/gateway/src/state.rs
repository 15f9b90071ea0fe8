//! State shared by every connection: configuration, runtime handles, the event fan-out, the
//! idempotency cache and the shutdown signal.
//!
//! This module sits below everything that uses the state (connections, the handshake, method
//! families, HTTP) and imports none of them: what it holds are leaf types (limits, budgets,
//! presence, the control-plane state). The tasks that feed it (the runtime event mapper and the
//! forwarders) are started from above, by [`GatewayState::new`] in `start.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustyclaw_agent::AgentRuntime;
use rustyclaw_config::Config;
use rustyclaw_protocol::gateway::TICK_INTERVAL_MS;
use rustyclaw_store::Store;
use tokio::sync::{Notify, broadcast, watch};

use crate::auth_limiter::AuthLimiter;
use crate::channels::ChannelControl;
use crate::control::{Control, RestartRequest};
use crate::dedupe::Dedupe;
use crate::device::DeviceStore;
use crate::event::OutEvent;
use crate::inbound::InboundBudget;
use crate::outbox::{OutboundBudget, OutboundStats};
use crate::preauth::PreauthBudget;
use crate::presence::Presence;
use crate::system_events::SystemEvents;

/// Events buffered between the runtime mapper and the connections.
const EVENT_FANOUT: usize = 4096;

/// Tunables of the gateway. The defaults are the limits of [`crate::limits`] (upstream's where
/// upstream has one); tests shrink them.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Interval between `tick` events (upstream 30 s).
    pub tick_interval: Duration,
    /// Time from the WebSocket upgrade to a successful `connect` (upstream 15 s).
    pub handshake_timeout: Duration,
    /// Time a client has to send an HTTP request's headers, and the longest a keep-alive
    /// connection idles between requests (10 s).
    pub header_read_timeout: Duration,
    /// Bytes waiting to be written to one client before it is closed as a slow consumer
    /// (upstream 50 MiB); announced as `hello-ok.policy.maxBufferedBytes`.
    pub max_buffered_bytes: usize,
    /// Bytes waiting to be written to all clients together (256 MiB); past it the largest
    /// backlog is closed as a slow consumer.
    pub max_buffered_bytes_total: usize,
    /// Time a closing socket gets to write its queue and close frame (upstream 1 s).
    pub close_grace: Duration,
    /// Version reported in `hello-ok.server.version`.
    pub version: String,
    /// Path of the config file, reported in the snapshot.
    pub config_path: Option<String>,
    /// State directory, reported in the snapshot.
    pub state_dir: Option<String>,
    /// The log file `logs.tail` reads: the configured `logging.file`; when the file rotates
    /// daily, the newest `<stem>.<date>.<ext>` beside it is read.
    pub log_file: Option<std::path::PathBuf>,
    /// Concurrent sockets per client IP that have not finished the handshake (upstream 32).
    pub max_preauth_sockets_per_ip: usize,
    /// Connections that have not authenticated, from all clients together (512, and at most a
    /// quarter of the open-file limit); the one waiting longest is closed to admit a new one.
    pub max_unauthenticated_connections: usize,
    /// Requests from this size up take their size from the large-request budget before they
    /// are parsed (1 MiB).
    pub large_request_bytes: usize,
    /// Bytes of large requests handled at once, from all connections together (25 MiB).
    pub max_large_request_bytes_in_flight: usize,
    /// The host's chat channels, for `channels.status`, `channels.logout`, `send`,
    /// `message.action` and the channel part of `health`. Without them the gateway answers as
    /// OpenClaw does with no channel configured: empty lists, and sends refused.
    pub channels: Option<Arc<dyn ChannelControl>>,
    /// Where the agents' skills are found, for `skills.status` and `skills.bins`; without it
    /// those methods answer that this gateway has no skills.
    pub skills: Option<rustyclaw_skills::SkillsHost>,
    /// What runs skills' install steps (`skills.install {name, installId}`); without it that
    /// mode answers that installers are unavailable.
    pub installer: Option<rustyclaw_skills::installer::Installer>,
    /// The agents' memory, for `memory.search`; without it that method answers that memory
    /// search is unavailable.
    pub memory: Option<Arc<rustyclaw_memory::MemoryService>>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        use crate::limits;
        Self {
            tick_interval: Duration::from_millis(TICK_INTERVAL_MS),
            handshake_timeout: limits::HANDSHAKE_TIMEOUT,
            header_read_timeout: limits::HTTP_HEADER_READ_TIMEOUT,
            max_buffered_bytes: limits::MAX_BUFFERED_BYTES,
            max_buffered_bytes_total: limits::MAX_BUFFERED_BYTES_TOTAL,
            close_grace: limits::CLOSE_GRACE,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            config_path: None,
            state_dir: None,
            log_file: None,
            max_preauth_sockets_per_ip: limits::MAX_PREAUTH_SOCKETS_PER_IP,
            max_unauthenticated_connections: limits::MAX_UNAUTHENTICATED_CONNECTIONS,
            large_request_bytes: limits::LARGE_REQUEST_BYTES,
            max_large_request_bytes_in_flight: limits::MAX_LARGE_REQUEST_BYTES_IN_FLIGHT,
            channels: None,
            skills: None,
            installer: None,
            memory: None,
        }
    }
}

/// Everything a connection needs; cheap to clone.
#[derive(Clone)]
pub struct GatewayState(pub(crate) Arc<Shared>);

impl std::fmt::Debug for GatewayState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayState")
            .field("boot_id", &self.0.boot_id)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    /// The configuration now in force; see [`GatewayState::config`].
    config: std::sync::RwLock<Arc<Config>>,
    pub runtime: Arc<AgentRuntime>,
    pub store: Store,
    pub options: GatewayOptions,
    pub started: Instant,
    pub boot_id: String,
    pub events: broadcast::Sender<Arc<OutEvent>>,
    pub dedupe: Dedupe,
    /// Connected clients and the presence/health versions.
    pub presence: Presence,
    /// System events waiting for a session's next turn (`wake`).
    pub system_events: SystemEvents,
    /// `Some(reason)` once the gateway is stopping.
    pub shutdown: watch::Sender<Option<String>>,
    /// Config write lock, control-plane write budgets and the restart request.
    pub control: Control,
    /// The device pairing store, in the state directory (none when the options name no state
    /// directory: devices then cannot pair).
    pub devices: Option<DeviceStore>,
    /// The built UI named by `gateway.controlUi.root` (read when the gateway starts; changing
    /// the root needs a restart, as upstream); `None` serves the embedded UI.
    pub control_ui: Option<crate::http::control_ui::DirectoryUi>,
    /// Failed-auth counters and lockouts, shared by WebSocket connects and HTTP bearer auth.
    pub limiter: AuthLimiter,
    /// Unauthenticated sockets per client IP.
    pub preauth: Arc<PreauthBudget>,
    /// The byte budget all connections' outgoing queues share.
    pub outbound: Arc<OutboundBudget>,
    /// The byte budget of large requests being handled, shared by all connections.
    pub inbound: InboundBudget,
    /// Connections that called `sessions.subscribe`: only they receive `sessions.changed`.
    pub session_subscribers: std::sync::Mutex<std::collections::HashSet<String>>,
    connections: AtomicUsize,
    connections_changed: Notify,
}

impl GatewayState {
    /// Builds the state alone, without the tasks that feed it (see [`GatewayState::new`]).
    pub(crate) fn assemble(
        config: Arc<Config>,
        runtime: Arc<AgentRuntime>,
        store: Store,
        options: GatewayOptions,
    ) -> Self {
        // The fan-out buffer is independent of the per-client queue: it only has to absorb bursts
        // between the mapper and the connection tasks.
        let (events, _) = broadcast::channel(EVENT_FANOUT);
        let (shutdown, _) = watch::channel(None);
        let limiter = AuthLimiter::new(&config.gateway.auth);
        let devices = options
            .state_dir
            .as_deref()
            .map(|dir| DeviceStore::in_state_dir(std::path::Path::new(dir)));
        let control_ui = config
            .gateway
            .control_ui_root
            .as_deref()
            .map(crate::http::control_ui::DirectoryUi::open);
        let outbound = OutboundBudget::new(options.max_buffered_bytes_total);
        let inbound = InboundBudget::new(options.max_large_request_bytes_in_flight);
        Self(Arc::new(Shared {
            config: std::sync::RwLock::new(config),
            runtime,
            store,
            options,
            started: Instant::now(),
            boot_id: uuid::Uuid::new_v4().to_string(),
            events,
            dedupe: Dedupe::default(),
            presence: Presence::default(),
            system_events: SystemEvents::default(),
            shutdown,
            control: Control::default(),
            devices,
            control_ui,
            limiter,
            preauth: Arc::default(),
            outbound,
            inbound,
            session_subscribers: Default::default(),
            connections: AtomicUsize::new(0),
            connections_changed: Notify::new(),
        }))
    }

    /// The configuration now in force. Read it where it is used, not once per connection: a
    /// config change applied without a restart ([`GatewayState::apply_config`]) reaches the
    /// next request, handshake and HTTP call of every client already connected.
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(
            &self
                .0
                .config
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Puts `config` in force for the gateway itself (the runtime is reconfigured apart, by
    /// whoever owns both): what reads [`GatewayState::config`] sees it from now on. A config
    /// weakening announced for it is from now on repeated as applied.
    pub fn apply_config(&self, config: Arc<Config>) {
        *self
            .0
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
        self.0.control.mark_notices_applied();
    }

    /// Sends `payload` as event `event` to every connection whose scopes include `scope` (every
    /// connection when `None`).
    pub(crate) fn broadcast(
        &self,
        event: &'static str,
        scope: Option<&'static str>,
        payload: &impl serde::Serialize,
    ) {
        self.send_event(OutEvent {
            event,
            payload: serde_json::to_value(payload).unwrap_or(serde_json::Value::Null),
            scope,
            state_version: None,
            encoded: Default::default(),
        });
    }

    /// Sends an event that is already built (no receivers just means no client is connected).
    pub(crate) fn send_event(&self, event: OutEvent) {
        let _ = self.0.events.send(Arc::new(event));
    }

    /// Tells every connection to send `shutdown` and close.
    pub fn begin_shutdown(&self, reason: &str) {
        // The first reason wins: a restart announced to clients is not renamed by the generic
        // stop that follows it.
        self.0.shutdown.send_if_modified(|current| {
            let first = current.is_none();
            if first {
                *current = Some(reason.to_owned());
            }
            first
        });
    }

    /// What waits to be written to the clients: bytes queued now, the most ever queued at once,
    /// and how many clients were closed as slow consumers.
    pub fn outbound(&self) -> OutboundStats {
        self.0.outbound.stats()
    }

    /// Number of open WebSocket connections.
    pub fn connection_count(&self) -> usize {
        self.0.connections.load(Ordering::SeqCst)
    }

    /// Waits until every connection has closed, or `limit` has passed.
    pub async fn wait_for_connections(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.connection_count() > 0 {
            let notified = self.0.connections_changed.notified();
            if self.connection_count() == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                break;
            }
        }
    }

    /// Asks whoever runs the gateway to apply the config on disk (restarting the gateway when
    /// the change needs it), on behalf of `actor`. Returns `true` when a request was already
    /// pending (this one is coalesced into it, and `actor` added to its actors).
    pub fn request_restart(&self, reason: &str, actor: &str, delay: Duration) -> bool {
        self.0.control.request_restart(reason, actor, delay)
    }

    /// Takes the pending request to apply the config, once it was applied without a restart.
    pub fn take_restart_request(&self) -> Option<RestartRequest> {
        self.0.control.take_restart_request()
    }

    /// Completes when the config is to be applied (at once if a request is pending).
    pub async fn restart_requested(&self) -> RestartRequest {
        self.0.control.restart_requested().await
    }

    /// Like [`GatewayState::begin_shutdown`], announcing that the gateway will be back within
    /// `expected` (the `shutdown` event's `restartExpectedMs`).
    pub fn begin_restart(&self, reason: &str, expected: Duration) {
        self.0.control.expect_restart(expected);
        self.begin_shutdown(reason);
    }

    /// Carries over from the gateway this one replaces what a restart must not reset: the
    /// control-plane write budgets, the loopback failure budget, and the announcements of
    /// config weakenings, repeated from now on as applied.
    pub fn inherit_control_state(&self, previous: &GatewayState) {
        self.0.control.inherit(&previous.0.control);
        self.0.limiter.inherit(&previous.0.limiter);
    }

    /// Where sessions are stored, as `health`, `status` and `sessions.list` report it: the
    /// state database (upstream: one SQLite file per agent). Empty without a state directory.
    pub(crate) fn sessions_path(&self) -> String {
        self.0
            .options
            .state_dir
            .as_ref()
            .map(|dir| {
                std::path::Path::new(dir)
                    .join(rustyclaw_config::DATABASE_FILE_NAME)
                    .display()
                    .to_string()
            })
            .unwrap_or_default()
    }

    pub(crate) fn connection_guard(&self) -> ConnectionGuard {
        self.0.connections.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard(self.clone())
    }
}

/// Counts a live connection for graceful shutdown; decrements on drop.
pub(crate) struct ConnectionGuard(GatewayState);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.0.connections.fetch_sub(1, Ordering::SeqCst);
        self.0.0.connections_changed.notify_waiters();
    }
}
