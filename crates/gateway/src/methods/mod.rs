//! The RPC methods: the dispatch table, scope checks, and `hello-ok`.
//!
//! Only implemented methods are advertised in `hello-ok.features.methods`; anything else gets
//! upstream's `unknown method: <name>`.

mod catalog;
mod chat;
mod system;

use rustyclaw_protocol::gateway::{
    ErrorCode, ErrorShape, Features, HelloAuth, HelloOk, HelloOkType, MAX_BUFFERED_BYTES,
    MAX_PAYLOAD_BYTES, PROTOCOL_VERSION, Policy, RequestFrame, ResponseFrame, ServerInfo,
};
use serde_json::{Map, Value, json};

use crate::conn::Sender;
use crate::handshake::Granted;
use crate::state::GatewayState;

/// A method's error for the response (boxed: it is large and the success path is the common one).
pub(crate) type Fail = Box<ErrorShape>;

/// The result of a method: a payload, or an error for the response.
pub(crate) type Reply = Result<Value, Fail>;

/// Methods answered, with the scope each needs (upstream `method-scopes.ts`).
const METHODS: &[(&str, &str)] = &[
    ("health", "operator.read"),
    ("status", "operator.read"),
    ("models.list", "operator.read"),
    ("agents.list", "operator.read"),
    ("sessions.list", "operator.read"),
    ("chat.history", "operator.read"),
    ("chat.send", "operator.write"),
    ("chat.abort", "operator.write"),
    ("agent", "operator.write"),
    ("agent.wait", "operator.write"),
];

/// Events this gateway emits.
const EVENTS: &[&str] = &["connect.challenge", "agent", "chat", "tick", "shutdown"];

/// Whether `granted` satisfies `needed`: admin satisfies everything, write satisfies read.
pub(crate) fn has_scope(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|s| {
        s == needed || s == "operator.admin" || (needed == "operator.read" && s == "operator.write")
    })
}

/// Answers one request (and, for `agent`, its second response).
pub(crate) async fn dispatch(
    state: &GatewayState,
    granted: &Granted,
    sender: &Sender,
    request: RequestFrame,
) {
    let RequestFrame {
        id, method, params, ..
    } = request;
    let Some((_, scope)) = METHODS.iter().find(|(name, _)| *name == method) else {
        let error = ErrorShape::new(
            ErrorCode::InvalidRequest,
            format!("unknown method: {method}"),
        );
        return sender.respond(ResponseFrame::err(id, error)).await;
    };
    if !has_scope(&granted.scopes, scope) {
        let error = ErrorShape::new(ErrorCode::Forbidden, format!("missing scope: {scope}"))
            .with_details(json!({
                "code": "MISSING_SCOPE",
                "missingScope": scope,
                "requiredScopes": [scope],
            }));
        return sender.respond(ResponseFrame::err(id, error)).await;
    }
    let params = params.unwrap_or(Value::Object(Map::new()));
    let reply = match method.as_str() {
        "health" => system::health(state).await,
        "status" => system::status(state).await,
        "models.list" => catalog::models(state),
        "agents.list" => catalog::agents(state),
        "sessions.list" => catalog::sessions(state, &params).await,
        "chat.history" => chat::history(state, &params).await,
        "chat.send" => chat::send(state, &params).await,
        "chat.abort" => chat::abort(state, &params),
        "agent" => return chat::agent(state, &id, &params, sender).await,
        "agent.wait" => chat::wait(state, &params).await,
        _ => Err(invalid(format!("unknown method: {method}"))),
    };
    let response = match reply {
        Ok(payload) => ResponseFrame::ok(id, payload),
        Err(error) => ResponseFrame::err(id, *error),
    };
    sender.respond(response).await;
}

/// The `hello-ok` payload for a client that passed the handshake.
pub(crate) async fn hello(state: &GatewayState, granted: &Granted) -> Value {
    let options = &state.0.options;
    let hello = HelloOk {
        kind: HelloOkType::HelloOk,
        protocol: PROTOCOL_VERSION,
        server: ServerInfo {
            version: options.version.clone(),
            conn_id: uuid::Uuid::new_v4().to_string(),
            build_id: None,
            boot_id: Some(state.0.boot_id.clone()),
            other: Map::new(),
        },
        features: Features {
            methods: METHODS.iter().map(|(name, _)| (*name).to_owned()).collect(),
            events: EVENTS.iter().map(|name| (*name).to_owned()).collect(),
            capabilities: Some(Vec::new()),
        },
        snapshot: system::snapshot(state).await,
        auth: HelloAuth {
            role: granted.role.clone(),
            scopes: granted.scopes.clone(),
            method: Some(granted.method.to_owned()),
            device_token: None,
            other: Map::new(),
        },
        policy: Policy {
            max_payload: MAX_PAYLOAD_BYTES as u64,
            max_buffered_bytes: MAX_BUFFERED_BYTES as u64,
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
