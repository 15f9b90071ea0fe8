//! The RPC methods: the dispatch table, scope checks, and `hello-ok`.
//!
//! Each family of methods lives in its own module, which lists the methods it answers with the
//! scope each needs (upstream `method-scopes.ts`) and answers them in its `call`. Only the methods
//! listed here are advertised in `hello-ok.features.methods`; anything else gets upstream's
//! `unknown method: <name>`.

mod agent_files;
mod approvals;
mod catalog;
mod channel_pairing;
mod channels;
mod chat;
mod chat_view;
mod config;
mod devices;
mod ledger;
mod logs;
mod memory;
mod platform;
mod runtime;
mod send;
mod sessions;
mod skills;
mod system;
mod tools;
mod usage;

use rustyclaw_protocol::gateway::{
    ErrorCode, ErrorShape, Features, HelloAuth, HelloOk, HelloOkType, Policy, RequestFrame,
    ResponseFrame, ServerInfo,
};
use serde_json::{Map, Value, json};

use crate::handshake::Granted;
use crate::inbound::InboundPermit;
use crate::outbox::Sender;
// The families name the scopes of their tables through this module.
pub(crate) use crate::scope::{ADMIN, APPROVALS, PAIRING, READ, WRITE, has_scope};
use crate::state::GatewayState;

/// A method's error for the response (boxed: it is large and the success path is the common one).
pub(crate) type Fail = Box<ErrorShape>;

/// The result of a method: a payload, or an error for the response.
pub(crate) type Reply = Result<Value, Fail>;

/// One request being answered: who asked, and where the answer goes.
pub(crate) struct Call<'a> {
    /// Gateway state.
    pub state: &'a GatewayState,
    /// What the caller's handshake granted.
    pub granted: &'a Granted,
    /// The caller's outgoing queue.
    pub sender: &'a Sender,
    /// The request id.
    pub id: &'a str,
    /// A large request's share of the large-request budget (see [`crate::inbound`]), held as
    /// long as the call runs unless a method takes it for work that outlives the answer.
    pub inbound: std::sync::Mutex<Option<InboundPermit>>,
}

impl Call<'_> {
    /// Takes the request's share of the large-request budget, for a method whose work goes on
    /// after it answers (`chat.send` hands it to the run it starts).
    pub fn take_inbound(&self) -> Option<InboundPermit> {
        self.inbound
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// The method families, in the order their methods are advertised.
#[derive(Debug, Clone, Copy)]
enum Family {
    System,
    Catalog,
    Chat,
    ChatView,
    Sessions,
    Config,
    Logs,
    Approvals,
    Devices,
    Tools,
    AgentFiles,
    Runtime,
    Channels,
    ChannelPairing,
    Send,
    Platform,
    Skills,
    Memory,
}

const FAMILIES: &[(Family, &[(&str, &str)])] = &[
    (Family::System, system::METHODS),
    (Family::Catalog, catalog::METHODS),
    (Family::Chat, chat::METHODS),
    (Family::ChatView, chat_view::METHODS),
    (Family::Sessions, sessions::METHODS),
    (Family::Config, config::METHODS),
    (Family::Logs, logs::METHODS),
    (Family::Approvals, approvals::METHODS),
    (Family::Devices, devices::METHODS),
    (Family::Tools, tools::METHODS),
    (Family::AgentFiles, agent_files::METHODS),
    (Family::Runtime, runtime::METHODS),
    (Family::Channels, channels::METHODS),
    (Family::ChannelPairing, channel_pairing::METHODS),
    (Family::Send, send::METHODS),
    (Family::Platform, platform::METHODS),
    (Family::Skills, skills::METHODS),
    (Family::Memory, memory::METHODS),
];

/// Events this gateway emits.
const EVENTS: &[&str] = &[
    "connect.challenge",
    "agent",
    "chat",
    "tick",
    "shutdown",
    "presence",
    "health",
    "sessions.changed",
    "exec.approval.requested",
    "exec.approval.resolved",
    "device.pair.requested",
    "device.pair.resolved",
    crate::notice::EVENT,
];

/// Every advertised method with the scope it needs.
pub(crate) fn methods() -> impl Iterator<Item = (&'static str, &'static str)> {
    FAMILIES
        .iter()
        .flat_map(|(_, methods)| methods.iter().copied())
}

fn lookup(method: &str) -> Option<(Family, &'static str)> {
    FAMILIES.iter().find_map(|(family, methods)| {
        methods
            .iter()
            .find(|(name, _)| *name == method)
            .map(|(_, scope)| (*family, *scope))
    })
}

/// `FORBIDDEN` with upstream's `MISSING_SCOPE` details.
pub(crate) fn missing_scope(scope: &str) -> Fail {
    Box::new(
        ErrorShape::new(ErrorCode::Forbidden, format!("missing scope: {scope}")).with_details(
            json!({
                "code": "MISSING_SCOPE",
                "missingScope": scope,
                "requiredScopes": [scope],
            }),
        ),
    )
}

/// Answers one request (and, for `agent`, its second response). `inbound`, a large request's
/// share of the large-request budget, is held until the request's work is over: the answer, or
/// for `chat.send` and `agent` the end of the run it started.
pub(crate) async fn dispatch(
    state: &GatewayState,
    granted: &Granted,
    sender: &Sender,
    request: RequestFrame,
    inbound: Option<InboundPermit>,
) {
    let RequestFrame {
        id, method, params, ..
    } = request;
    let Some((family, scope)) = lookup(&method) else {
        let error = ErrorShape::new(
            ErrorCode::InvalidRequest,
            format!("unknown method: {method}"),
        );
        return sender.respond(ResponseFrame::err(id, error)).await;
    };
    if !has_scope(&granted.scopes, scope) {
        return sender
            .respond(ResponseFrame::err(id, *missing_scope(scope)))
            .await;
    }
    let params = params.unwrap_or(Value::Object(Map::new()));
    let call = Call {
        state,
        granted,
        sender,
        id: &id,
        inbound: std::sync::Mutex::new(inbound),
    };
    let reply = match family {
        Family::System => system::call(&call, &method, &params).await,
        Family::Catalog => catalog::call(&call, &method, &params).await,
        // `agent` answers twice, so it sends its own responses.
        Family::Chat if method == "agent" => return chat::agent(state, &id, &params, sender).await,
        // `chat.send` answers before its turn starts, so it sends its own response.
        Family::Chat if method == "chat.send" => {
            return chat::send(state, &id, &params, sender, call.take_inbound()).await;
        }
        Family::Chat => chat::call(&call, &method, &params).await,
        Family::ChatView => chat_view::call(state, &method, &params).await,
        Family::Sessions => sessions::call(&call, &method, &params).await,
        Family::Config => config::call(&call, &method, &params).await,
        Family::Logs => logs::call(&call, &method, &params).await,
        Family::Approvals => approvals::call(&call, &method, &params).await,
        Family::Devices => devices::call(&call, &method, &params).await,
        Family::Tools => tools::call(&call, &method, &params).await,
        Family::AgentFiles => agent_files::call(state, &method, &params).await,
        Family::Runtime => runtime::call(&call, &method, &params).await,
        Family::Channels => channels::call(&call, &method, &params).await,
        Family::Platform => platform::call(&method, &params),
        Family::ChannelPairing => channel_pairing::call(state, &method, &params).await,
        Family::Send => send::call(&call, &method, &params).await,
        Family::Skills => skills::call(&call, &method, &params).await,
        Family::Memory => memory::call(&call, &method, &params).await,
    };
    let response = match reply {
        Ok(payload) => ResponseFrame::ok(id, payload),
        Err(error) => ResponseFrame::err(id, *error),
    };
    sender.respond(response).await;
}

pub(crate) use approvals::approver_for;
pub(crate) use sessions::{subscribed_to_sessions, unsubscribe_sessions, watch_sessions};
pub(crate) use system::{presence_connected, presence_disconnected};

/// Starts the tasks that turn runtime-side events (approvals) and periodic refreshes (health)
/// into gateway events.
pub(crate) fn spawn_forwarders(state: &GatewayState) {
    approvals::spawn_forwarder(state);
    system::spawn_health_refresh(state);
}

/// The answer of a family's `call` for a method it lists but does not know (a bug: the table and
/// the `match` disagree).
pub(crate) fn unhandled(method: &str) -> Reply {
    Err(invalid(format!("unknown method: {method}")))
}

/// `server.controlUiBuildSource`: `configured` when the UI comes from `gateway.controlUi.root`,
/// which tells OpenClaw's UI not to reload itself because the server's build id is not its own.
fn control_ui_build_source(state: &GatewayState) -> Map<String, Value> {
    let source = if state.0.control_ui.is_some() {
        "configured"
    } else {
        "bundled"
    };
    Map::from_iter([("controlUiBuildSource".to_owned(), Value::from(source))])
}

/// The `hello-ok` payload for a client that passed the handshake.
pub(crate) async fn hello(state: &GatewayState, granted: &Granted) -> Value {
    let options = &state.0.options;
    let hello = HelloOk {
        kind: HelloOkType::HelloOk,
        protocol: granted.protocol,
        server: ServerInfo {
            version: options.version.clone(),
            conn_id: granted.conn_id.clone(),
            build_id: Some(concat!("rustyclaw-", env!("CARGO_PKG_VERSION")).to_owned()),
            boot_id: Some(state.0.boot_id.clone()),
            other: control_ui_build_source(state),
        },
        features: Features {
            methods: methods().map(|(name, _)| name.to_owned()).collect(),
            events: EVENTS.iter().map(|name| (*name).to_owned()).collect(),
            // `openclaw models list` asks `models.list` only of a gateway announcing this.
            capabilities: Some(vec!["published-model-catalog".to_owned()]),
        },
        snapshot: system::snapshot(state).await,
        auth: HelloAuth {
            role: granted.role.clone(),
            scopes: granted.scopes.clone(),
            method: Some(granted.method.to_owned()),
            device_token: granted.device_token.as_ref().map(|t| t.token.clone()),
            // Upstream sends when the device token was issued, so clients can keep the newest.
            other: granted
                .device_token
                .as_ref()
                .map(|t| Map::from_iter([("issuedAtMs".to_owned(), json!(t.issued_at_ms()))]))
                .unwrap_or_default(),
        },
        policy: Policy {
            max_payload: u64::try_from(crate::limits::MAX_PAYLOAD_BYTES).unwrap_or(u64::MAX),
            // The budget this gateway enforces (see `outbox`), which is upstream's by default.
            max_buffered_bytes: u64::try_from(options.max_buffered_bytes).unwrap_or(u64::MAX),
            tick_interval_ms: u64::try_from(options.tick_interval.as_millis()).unwrap_or(u64::MAX),
            other: Map::new(),
        },
        other: Map::new(),
    };
    serde_json::to_value(hello).unwrap_or(Value::Null)
}

/// `INVALID_REQUEST` with `message`.
pub(crate) fn invalid(message: impl Into<String>) -> Fail {
    Box::new(ErrorShape::new(ErrorCode::InvalidRequest, message))
}

/// `UNAVAILABLE` for an internal failure; the detail goes to the log, not the client.
pub(crate) fn unavailable(what: &str, error: &dyn std::fmt::Display) -> Fail {
    tracing::warn!(%error, "{what} failed");
    Box::new(ErrorShape::new(
        ErrorCode::Unavailable,
        format!("{what} failed"),
    ))
}

/// A required string parameter.
pub(crate) fn string_param<'a>(params: &'a Value, name: &str) -> Result<&'a str, Fail> {
    params
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            invalid(format!(
                "invalid params: must have required property '{name}'"
            ))
        })
}
