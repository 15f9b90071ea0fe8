//! `health`, `status`, and the connect snapshot built from the same data.

use rustyclaw_protocol::gateway::{
    ClientMode, HealthAgent, HealthSessions, HealthSnapshot, PresenceEntry, RecentSession,
    SessionDefaults, Snapshot, StateVersion,
};
use rustyclaw_protocol::{AgentId, SessionKey};
use serde_json::{Map, Value, json};

use super::channels::{HealthProbe, health_channels};
use super::{ADMIN, Call, READ, Reply, has_scope, unavailable, unhandled};
use crate::event::OutEvent;
use crate::handshake::Granted;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("health", READ),
    ("status", READ),
    ("system-presence", READ),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "health" => {
            // Upstream reads `probe` and checks nothing else.
            let probe = match params.get("probe").and_then(Value::as_bool) {
                Some(true) => HealthProbe::Run {
                    details: has_scope(&call.granted.scopes, ADMIN),
                },
                _ => HealthProbe::Skip,
            };
            health(call.state, probe).await
        }
        "status" => {
            let view = StatusView {
                // Session paths, recent sessions and the default model are for admins; a
                // read-only client sees counts (upstream's `includeSensitive`).
                sensitive: has_scope(&call.granted.scopes, ADMIN),
                cli_projection: params.get("includeCliProjection") == Some(&Value::Bool(true)),
            };
            status(call.state, view).await
        }
        "system-presence" => {
            Ok(serde_json::to_value(presence_rows(call.state)).unwrap_or_default())
        }
        _ => unhandled(method),
    }
}

/// Records a long-lived client that completed the handshake and tells every reader. CLI
/// calls, backends and probes come and go in a second and are not listed (upstream
/// `isEphemeralGatewayClient`): announcing each of them to every connection would cost a
/// broadcast per scripted call. A node is one row per device (else instance) however many
/// sockets it opens; anyone else is one row per connection, as upstream.
pub(crate) fn presence_connected(state: &GatewayState, granted: &Granted) {
    let client = &granted.client;
    if matches!(
        client.mode,
        ClientMode::Cli | ClientMode::Backend | ClientMode::Probe
    ) {
        return;
    }
    let key = if granted.role == "node" || client.mode == ClientMode::Node {
        granted
            .device_id
            .clone()
            .or_else(|| client.instance_id.clone())
            .unwrap_or_else(|| granted.conn_id.clone())
    } else {
        granted.conn_id.clone()
    };
    let mode = client.mode.to_string();
    let name = client
        .display_name
        .clone()
        .unwrap_or_else(|| client.id.to_string());
    let mut other = Map::new();
    if let Some(device_id) = &granted.device_id {
        other.insert("deviceId".into(), json!(device_id));
    }
    other.insert("roles".into(), json!([granted.role]));
    other.insert("scopes".into(), json!(granted.scopes));
    let entry = PresenceEntry {
        ts: now_ms(),
        host: Some(name.clone()),
        ip: Some(granted.peer.ip().to_string()),
        version: Some(client.version.clone()),
        platform: Some(client.platform.clone()),
        device_family: client.device_family.clone(),
        mode: Some(mode.clone()),
        reason: Some("connect".into()),
        instance_id: client.instance_id.clone(),
        text: Some(format!(
            "{name} · app {} · mode {mode} · reason connect",
            client.version
        )),
        other,
    };
    let version = state.0.presence.upsert(&key, &granted.conn_id, entry);
    broadcast_presence(state, version);
}

/// How often connected clients get a fresh `health` snapshot (upstream
/// `HEALTH_REFRESH_INTERVAL_MS`).
const HEALTH_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// Broadcasts a `health` event every minute while anyone is connected, for the life of the
/// gateway; each one bumps the health state version so clients can tell they missed one.
pub(crate) fn spawn_health_refresh(state: &GatewayState) {
    let weak = std::sync::Arc::downgrade(&state.0);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(HEALTH_REFRESH);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            let Some(shared) = weak.upgrade() else { return };
            let state = GatewayState(shared);
            if state.connection_count() == 0 {
                continue;
            }
            match health_snapshot(&state, HealthProbe::Skip).await {
                Ok(snapshot) => {
                    let version = state.0.presence.bump_health();
                    state.send_event(OutEvent {
                        event: "health",
                        payload: serde_json::to_value(snapshot).unwrap_or(Value::Null),
                        scope: None,
                        state_version: Some(version),
                        encoded: Default::default(),
                    });
                }
                Err(error) => tracing::warn!(%error, "health refresh failed"),
            }
        }
    });
}

/// Forgets a closed connection and tells everyone if the list changed.
pub(crate) fn presence_disconnected(state: &GatewayState, conn_id: &str) {
    if let Some(version) = state.0.presence.remove(conn_id) {
        broadcast_presence(state, version);
    }
}

fn broadcast_presence(state: &GatewayState, version: StateVersion) {
    state.send_event(OutEvent {
        event: "presence",
        payload: json!({"presence": presence_rows(state)}),
        // Who is connected is operator information (upstream's event scope guard).
        scope: Some(READ),
        state_version: Some(version),
        encoded: Default::default(),
    });
}

/// The gateway's own row, then every connected client.
fn presence_rows(state: &GatewayState) -> Vec<PresenceEntry> {
    let options = &state.0.options;
    let mut rows = vec![PresenceEntry {
        ts: now_ms(),
        host: None,
        ip: None,
        version: Some(options.version.clone()),
        platform: Some(std::env::consts::OS.to_owned()),
        device_family: None,
        mode: Some("gateway".into()),
        reason: Some("self".into()),
        instance_id: Some(state.0.boot_id.clone()),
        text: Some(format!(
            "Gateway · app {} · mode gateway · reason self",
            options.version
        )),
        other: Map::new(),
    }];
    rows.extend(state.0.presence.list());
    rows
}
use crate::clock::now_ms;
use crate::state::GatewayState;

/// Recent sessions listed per agent.
const RECENT: usize = 5;
/// Sessions counted per agent at most.
const COUNTED: usize = 1000;

pub(super) async fn health(state: &GatewayState, probe: HealthProbe) -> Reply {
    let snapshot = health_snapshot(state, probe)
        .await
        .map_err(|e| unavailable("health", &e))?;
    Ok(serde_json::to_value(snapshot).unwrap_or(Value::Null))
}

async fn health_snapshot(
    state: &GatewayState,
    probe: HealthProbe,
) -> Result<HealthSnapshot, rustyclaw_store::StoreError> {
    let started = std::time::Instant::now();
    let config = state.config();
    let now = now_ms();
    let path = state.sessions_path();
    let mut agents = Vec::new();
    let mut default_sessions = None;
    for agent in &config.agents.list {
        let id = AgentId::normalize(&agent.id);
        let stored = state.0.store.list_sessions(Some(&id), COUNTED).await?;
        let count = stored.len() as u64;
        let recent: Vec<RecentSession> = stored
            .iter()
            .take(RECENT)
            .map(|s| {
                let updated_at = u64::try_from(s.entry.updated_at).unwrap_or(0);
                RecentSession {
                    key: s.key.as_str().to_owned(),
                    updated_at,
                    age: now.saturating_sub(updated_at),
                }
            })
            .collect();
        // The store has no count query: listing up to COUNTED rows gives the exact count below
        // that and a lower bound above it.
        let sessions = HealthSessions {
            path: path.clone(),
            count,
            recent,
        };
        let is_default = agent.id == config.agents.default_agent_id;
        if is_default {
            default_sessions = Some(sessions.clone());
        }
        agents.push(HealthAgent {
            agent_id: agent.id.clone(),
            // Named only when the config names it.
            name: agent.configured_name.clone(),
            is_default,
            sessions: Some(sessions),
            other: heartbeat_disabled(),
        });
    }
    let channels = health_channels(state, probe).await;
    Ok(HealthSnapshot {
        ok: true,
        ts: now,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(0),
        channels: channels.channels,
        channel_order: channels.order,
        channel_labels: channels.labels,
        heartbeat_seconds: None,
        default_agent_id: Some(config.agents.default_agent_id.clone()),
        agents,
        sessions: default_sessions,
        other: health_extras(&config),
    })
}

/// `configReload` (whether edits of the config file apply without a restart) and `plugins`
/// (rustyclaw's providers, channels and tools are built in: no plugin is loaded, none failed).
fn health_extras(config: &rustyclaw_config::Config) -> Map<String, Value> {
    let mut other = Map::new();
    let reload = match config.gateway.reload_mode {
        rustyclaw_config::file::ReloadMode::Off => "disabled",
        _ => "active",
    };
    other.insert("configReload".into(), json!({"hotReloadStatus": reload}));
    other.insert(
        "plugins".into(),
        json!({"loaded": [], "errors": [], "unavailable": []}),
    );
    // Model runtimes start with the process: none is pending or degraded.
    other.insert(
        "modelRuntime".into(),
        json!({"degraded": false, "pendingAgents": []}),
    );
    other
}

/// The `heartbeat` summary of an agent: rustyclaw runs no heartbeats, so every agent reports
/// the shape upstream gives an agent whose heartbeat is disabled (the schema requires it).
fn heartbeat_disabled() -> Map<String, Value> {
    let mut other = Map::new();
    other.insert(
        "heartbeat".into(),
        json!({"enabled": false, "every": "disabled", "everyMs": null, "prompt": "",
               "target": "none", "ackMaxChars": 0}),
    );
    other
}

/// What a `status` caller may see and asked for.
#[derive(Debug, Clone, Copy)]
pub(super) struct StatusView {
    /// Whether session details (store path, recent sessions, default model) are shown: only
    /// to admins, as upstream.
    pub sensitive: bool,
    /// Whether to add `cliProjection`, the agent list the official `openclaw status` reads
    /// from the gateway instead of the local config.
    pub cli_projection: bool,
}

/// `status`: upstream's status summary (what `openclaw status` renders). Tasks, channels and
/// queued system events are not part of rustyclaw yet and are reported empty.
pub(super) async fn status(state: &GatewayState, view: StatusView) -> Reply {
    let config = state.config();
    let health = health_snapshot(state, HealthProbe::Skip)
        .await
        .map_err(|e| unavailable("status", &e))?;
    let total: u64 = health
        .agents
        .iter()
        .filter_map(|a| a.sessions.as_ref().map(|s| s.count))
        .sum();
    let sessions = if view.sensitive {
        sensitive_sessions(state, &config, &health, total).await?
    } else {
        redacted_sessions(&health, total)
    };
    // rustyclaw runs no heartbeats yet: each agent's is reported disabled, as upstream
    // reports an agent whose heartbeat is off.
    let heartbeats: Vec<Value> = config
        .agents
        .list
        .iter()
        .map(|agent| {
            json!({"agentId": agent.id, "enabled": false, "every": "disabled",
                   "everyMs": null, "waitingForRoute": false})
        })
        .collect();
    let mut out = json!({
        "runtimeVersion": state.0.options.version,
        "pid": std::process::id(),
        "heartbeat": {"defaultAgentId": config.agents.default_agent_id, "agents": heartbeats},
        "channelSummary": [],
        "queuedSystemEvents": [],
        // Nothing is degraded that could be: no secret owner or plugin runs apart.
        "degradedSecretOwners": [],
        "degradedPlugins": [],
        "modelRuntime": {"degraded": false, "pendingAgents": []},
        "sessions": sessions,
    });
    if view.cli_projection {
        out["cliProjection"] = cli_projection(&config);
    }
    Ok(out)
}

/// The agents as the official CLI's `status` shows them: the default, the rows with the
/// names the config gives, the update channel and the memory slot.
fn cli_projection(config: &rustyclaw_config::Config) -> Value {
    let rows: Vec<Value> = config
        .agents
        .list
        .iter()
        .map(|agent| match &agent.configured_name {
            Some(name) => json!({"id": agent.id, "name": name}),
            None => json!({"id": agent.id}),
        })
        .collect();
    json!({
        "agents": {
            "defaultId": config.agents.default_agent_id,
            // rustyclaw always resolves one default agent (upstream's "sole" owner).
            "ownership": "sole",
            "selectionRequired": false,
            "rows": rows,
        },
        "updateChannel": null,
        // Memory is built in, not a plugin slot (issue #18 brings its tools).
        "memoryPlugin": {"enabled": true, "slot": "memory-core"},
    })
}

/// `sessions` for an admin: where they are stored, the most recent, the default model.
async fn sensitive_sessions(
    state: &GatewayState,
    config: &rustyclaw_config::Config,
    health: &HealthSnapshot,
    total: u64,
) -> Result<Value, super::Fail> {
    let sessions = state
        .0
        .store
        .list_sessions(None, RECENT)
        .await
        .map_err(|e| unavailable("status", &e))?;
    let now = now_ms();
    let recent: Vec<Value> = sessions
        .iter()
        .map(|s| {
            let updated_at = u64::try_from(s.entry.updated_at).unwrap_or(0);
            json!({
                "key": s.key.as_str(),
                "sessionId": s.entry.session_id.as_str(),
                "agentId": s.key.agent_id().map(|a| a.as_str().to_owned()),
                "updatedAt": updated_at,
                "age": now.saturating_sub(updated_at),
            })
        })
        .collect();
    let by_agent: Vec<Value> = health
        .agents
        .iter()
        .map(|agent| {
            let sessions = agent.sessions.as_ref();
            json!({
                "agentId": agent.agent_id,
                "path": sessions.map(|s| s.path.clone()).unwrap_or_default(),
                "count": sessions.map_or(0, |s| s.count),
                "recent": sessions.map(|s| s.recent.clone()).unwrap_or_default(),
            })
        })
        .collect();
    let default_agent = config.agents.get(&config.agents.default_agent_id);
    let default_model = default_agent
        .and_then(|a| a.model.primary.as_ref())
        .and_then(|r| state.0.runtime.models().resolve(&r.0).ok());
    Ok(json!({
        "paths": [state.sessions_path()],
        "count": total,
        // Upstream names the default model by its id, without the provider.
        "defaults": {
            "model": default_model.as_ref().map(|spec| spec.id.clone()),
            "contextTokens": default_model.as_ref().map(|spec| spec.context_window),
        },
        "recent": recent,
        "byAgent": by_agent,
    }))
}

/// `sessions` for a read-only client: counts only.
fn redacted_sessions(health: &HealthSnapshot, total: u64) -> Value {
    let by_agent: Vec<Value> = health
        .agents
        .iter()
        .map(|agent| {
            json!({
                "agentId": agent.agent_id,
                "path": "[redacted]",
                "count": agent.sessions.as_ref().map_or(0, |s| s.count),
                "recent": [],
            })
        })
        .collect();
    json!({
        "paths": [],
        "count": total,
        "defaults": {"model": null, "contextTokens": null},
        "recent": [],
        "byAgent": by_agent,
    })
}

pub(super) async fn snapshot(state: &GatewayState) -> Snapshot {
    let config = state.config();
    let options = &state.0.options;
    let health = match health_snapshot(state, HealthProbe::Skip).await {
        Ok(health) => health,
        Err(error) => {
            tracing::warn!(%error, "health snapshot failed");
            HealthSnapshot {
                ok: false,
                ts: now_ms(),
                duration_ms: 0,
                channels: Map::new(),
                channel_order: Vec::new(),
                channel_labels: Map::new(),
                heartbeat_seconds: None,
                default_agent_id: Some(config.agents.default_agent_id.clone()),
                agents: Vec::new(),
                sessions: None,
                other: Map::new(),
            }
        }
    };
    let default_agent = AgentId::normalize(&config.agents.default_agent_id);
    let mut other = Map::new();
    other.insert("suspension".into(), json!({"phase": "accepting"}));
    Snapshot {
        presence: presence_rows(state),
        health,
        state_version: state.0.presence.version(),
        uptime_ms: u64::try_from(state.0.started.elapsed().as_millis()).unwrap_or(0),
        config_path: options.config_path.clone(),
        state_dir: options.state_dir.clone(),
        session_defaults: Some(SessionDefaults {
            default_agent_id: default_agent.as_str().to_owned(),
            main_key: "main".into(),
            main_session_key: SessionKey::main(&default_agent).as_str().to_owned(),
            scope: Some("per-sender".into()),
            other: Map::new(),
        }),
        auth_mode: Some(auth_mode(state).into()),
        other,
    }
}

fn auth_mode(state: &GatewayState) -> &'static str {
    use rustyclaw_config::file::GatewayAuthMode;
    match state.config().gateway.auth.mode {
        GatewayAuthMode::None => "none",
        GatewayAuthMode::Token => "token",
        GatewayAuthMode::Password => "password",
        GatewayAuthMode::TrustedProxy => "trusted-proxy",
    }
}
