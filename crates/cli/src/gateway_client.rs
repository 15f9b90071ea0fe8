//! A client of a running gateway over its WebSocket protocol, connecting as OpenClaw's `cli`
//! client does: used by `gateway call`, `gateway status`, `health` and `agent`.
//!
//! One [`Connection`] carries any number of requests. Responses are matched by id; events that
//! arrive meanwhile are handed to the caller, because `agent` streams its reply as events
//! between its two responses.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustyclaw_config::{ExposeSecret, LoadedConfig};
use rustyclaw_protocol::gateway::{
    ConnectAuth, EventFrame, Frame, PROTOCOL_VERSION, ResponseFrame,
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::UserError;

/// The scopes the official CLI asks for.
const CLI_SCOPES: &[&str] = &[
    "operator.admin",
    "operator.read",
    "operator.write",
    "operator.approvals",
    "operator.pairing",
    "operator.talk.secrets",
];

/// Where and how to connect.
pub struct Target {
    /// The gateway's WebSocket URL.
    pub url: String,
    auth: ConnectAuth,
    /// Bound on connecting and each plain request.
    pub timeout: Duration,
    /// Capabilities declared in `connect` (`tool-events` for tool activity).
    pub caps: Vec<&'static str>,
}

impl Target {
    /// `--url` or the configured loopback port; `--token` or the configured shared secret.
    pub fn new(
        loaded: &LoadedConfig,
        url: Option<&str>,
        token: Option<&str>,
        timeout_ms: u64,
    ) -> Self {
        let gateway = &loaded.config.gateway;
        let url = url.map_or_else(|| format!("ws://127.0.0.1:{}", gateway.port), str::to_owned);
        let mut auth = ConnectAuth::default();
        // An explicit --token wins; otherwise the configured shared secret (which already
        // includes OPENCLAW_GATEWAY_TOKEN / OPENCLAW_GATEWAY_PASSWORD).
        match token {
            Some(token) => auth.token = Some(token.to_owned()),
            None => {
                auth.token = gateway
                    .auth
                    .token
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned());
                auth.password = gateway
                    .auth
                    .password
                    .as_ref()
                    .map(|p| p.expose_secret().to_owned());
            }
        }
        Self {
            url,
            auth,
            timeout: Duration::from_millis(timeout_ms.max(1)),
            caps: Vec::new(),
        }
    }
}

/// Why a connection could not be opened.
pub enum OpenError {
    /// Nothing listens at the URL (connection refused): callers may fall back or report the
    /// gateway as down.
    Unreachable {
        /// The URL tried.
        url: String,
        /// What the operating system said.
        reason: String,
    },
    /// Something answered but the connection or handshake failed.
    Failed(anyhow::Error),
}

impl From<OpenError> for anyhow::Error {
    fn from(error: OpenError) -> Self {
        match error {
            OpenError::Unreachable { url, reason } => {
                UserError::new(format!("cannot connect to the gateway at {url}: {reason}"))
                    .hint("start it with `rustyclaw gateway run`, or pass --url")
                    .into()
            }
            OpenError::Failed(error) => error,
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The gateway's tick interval when `hello-ok` does not name one (upstream's default).
const DEFAULT_TICK_MS: u64 = 30_000;

/// An open, authenticated connection.
pub struct Connection {
    ws: Socket,
    next_id: u64,
    /// The gateway's `hello-ok` payload.
    pub hello: Value,
    url: String,
    /// Silence after which the gateway counts as hung: two of its tick intervals (a live
    /// gateway sends a `tick` event every interval, whatever else it is doing).
    silence_limit: Duration,
}

impl Connection {
    /// Connects and performs the handshake, within the target's timeout.
    pub async fn open(target: &Target) -> Result<Self, OpenError> {
        match tokio::time::timeout(target.timeout, Self::handshake(target)).await {
            Ok(result) => result,
            Err(_) => Err(OpenError::Failed(
                UserError::new(format!(
                    "no answer from {} within {:?}",
                    target.url, target.timeout
                ))
                .into(),
            )),
        }
    }

    async fn handshake(target: &Target) -> Result<Self, OpenError> {
        let (ws, _) = tokio_tungstenite::connect_async(target.url.as_str())
            .await
            .map_err(|error| match &error {
                tungstenite::Error::Io(io)
                    if matches!(
                        io.kind(),
                        std::io::ErrorKind::ConnectionRefused
                            | std::io::ErrorKind::AddrNotAvailable
                    ) =>
                {
                    OpenError::Unreachable {
                        url: target.url.clone(),
                        reason: io.to_string(),
                    }
                }
                _ => OpenError::Failed(
                    UserError::new(format!(
                        "cannot connect to the gateway at {}: {error}",
                        target.url
                    ))
                    .into(),
                ),
            })?;
        let mut connection = Self {
            ws,
            next_id: 0,
            hello: Value::Null,
            url: target.url.clone(),
            // Until hello-ok names the interval, the target's timeout bounds the handshake.
            silence_limit: Duration::from_millis(2 * DEFAULT_TICK_MS),
        };
        let auth = serde_json::to_value(&target.auth).map_err(|e| OpenError::Failed(e.into()))?;
        let params = json!({
            "minProtocol": PROTOCOL_VERSION, "maxProtocol": PROTOCOL_VERSION,
            "client": {
                "id": "cli", "version": env!("CARGO_PKG_VERSION"),
                "platform": std::env::consts::OS, "mode": "cli",
                "instanceId": uuid::Uuid::new_v4().to_string(),
            },
            "caps": target.caps, "role": "operator", "scopes": CLI_SCOPES,
            "auth": auth,
        });
        let hello = connection
            .request("connect", params)
            .await
            .map_err(OpenError::Failed)?;
        let tick_ms = hello
            .pointer("/policy/tickIntervalMs")
            .and_then(Value::as_u64)
            .filter(|ms| *ms > 0)
            .unwrap_or(DEFAULT_TICK_MS);
        connection.silence_limit = Duration::from_millis(tick_ms.saturating_mul(2));
        connection.hello = hello;
        Ok(connection)
    }

    /// Sends a request and returns its id.
    pub async fn send(&mut self, method: &str, params: Value) -> anyhow::Result<String> {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let request = json!({"type": "req", "id": id, "method": method, "params": params});
        self.ws.send(Message::text(request.to_string())).await?;
        Ok(id)
    }

    /// Sends a request and returns the payload of its (first) response, dropping events.
    pub async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.send(method, params).await?;
        payload_of(self.response(&id, |_| {}).await?, method)
    }

    /// The next response to `id`, handing every event read meanwhile to `on_event`.
    pub async fn response(
        &mut self,
        id: &str,
        mut on_event: impl FnMut(&EventFrame),
    ) -> anyhow::Result<ResponseFrame> {
        loop {
            match self.next_frame().await? {
                Frame::Response(response) if response.id == id => return Ok(response),
                Frame::Event(event) => on_event(&event),
                _ => {}
            }
        }
    }

    /// Reads events until `done` says one ends the wait (responses read meanwhile are dropped).
    pub async fn until_event(
        &mut self,
        mut done: impl FnMut(&EventFrame) -> bool,
    ) -> anyhow::Result<()> {
        loop {
            if let Frame::Event(event) = self.next_frame().await?
                && done(&event)
            {
                return Ok(());
            }
        }
    }

    /// The next frame from the gateway; an error when it goes silent or closes.
    async fn next_frame(&mut self) -> anyhow::Result<Frame> {
        loop {
            let Ok(message) = tokio::time::timeout(self.silence_limit, self.ws.next()).await else {
                return Err(UserError::new(format!(
                    "the gateway at {} stopped answering: nothing arrived for {} s, although a \
                     live gateway sends a tick every {} s",
                    self.url,
                    self.silence_limit.as_secs_f32(),
                    self.silence_limit.as_secs_f32() / 2.0,
                ))
                .hint("it may be hung or overloaded; `rustyclaw gateway status` checks it")
                .into());
            };
            let Some(message) = message else {
                return Err(UserError::new("the gateway closed the connection").into());
            };
            match message? {
                Message::Text(text) => {
                    if let Ok(frame) = serde_json::from_str::<Frame>(&text) {
                        return Ok(frame);
                    }
                }
                Message::Close(frame) => {
                    let reason = frame
                        .map(|f| format!(" ({}: {})", u16::from(f.code), f.reason))
                        .unwrap_or_default();
                    return Err(UserError::new(format!(
                        "the gateway closed the connection{reason}"
                    ))
                    .into());
                }
                _ => {}
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// The payload of a successful response, or the gateway's error as a user-facing one.
pub fn payload_of(response: ResponseFrame, method: &str) -> anyhow::Result<Value> {
    if response.ok {
        return Ok(response.payload.unwrap_or(Value::Null));
    }
    let error = response.error.map_or_else(
        || "unknown error".to_owned(),
        |e| format!("{}: {}", e.code, e.message),
    );
    Err(UserError::new(format!("{method} failed: {error}")).into())
}

/// Connects, sends one request and returns its payload, all within the target's timeout. Tells
/// a gateway that is not there ([`OpenError::Unreachable`], for commands that fall back to the
/// config) from every other failure, the gateway's own error answers included.
pub async fn call_once(target: &Target, method: &str, params: Value) -> Result<Value, OpenError> {
    let exchange = async {
        let mut connection = Connection::open(target).await?;
        let id = connection
            .send(method, params)
            .await
            .map_err(OpenError::Failed)?;
        let response = connection
            .response(&id, |_| {})
            .await
            .map_err(OpenError::Failed)?;
        connection.close().await;
        payload_of(response, method).map_err(OpenError::Failed)
    };
    match tokio::time::timeout(target.timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(OpenError::Failed(
            UserError::new(format!(
                "no answer from {} within {:?}",
                target.url, target.timeout
            ))
            .into(),
        )),
    }
}

/// Runs `work` on a fresh single-threaded runtime: these commands are one connection each.
pub fn block_on<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(work)
}
