//! A small gateway protocol client: the handshake, requests, and the frames that follow.
//!
//! It speaks protocol v4 exactly as OpenClaw's own CLI does (a `cli` client with the shared
//! token, no device identity), so the same load runs against either gateway. Buffers are kept
//! small so tens of thousands of idle clients fit in the load generator.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Operator scopes the benchmark clients ask for.
pub const SCOPES: &[&str] = &["operator.admin", "operator.read", "operator.write"];

/// How long one handshake or request may take before the benchmark gives up on it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The gateway's address.
    pub addr: SocketAddr,
    /// The shared gateway token.
    pub token: String,
}

/// One frame, parsed.
pub type Frame = Value;

/// An authenticated gateway connection.
pub struct Client {
    ws: WebSocketStream<TcpStream>,
    next_id: u64,
}

impl Client {
    /// Opens a socket (from `source` when given: spreading clients over several loopback
    /// addresses gives each its own ephemeral port range) and completes the handshake.
    pub async fn connect(endpoint: &Endpoint, source: Option<IpAddr>) -> Result<Self> {
        tokio::time::timeout(REQUEST_TIMEOUT, Self::connect_inner(endpoint, source))
            .await
            .map_err(|_| anyhow!("handshake with {} timed out", endpoint.addr))?
    }

    async fn connect_inner(endpoint: &Endpoint, source: Option<IpAddr>) -> Result<Self> {
        let socket = TcpSocket::new_v4().context("creating a socket")?;
        if let Some(ip) = source {
            socket
                .bind(SocketAddr::new(ip, 0))
                .with_context(|| format!("binding {ip}"))?;
        }
        let stream = socket
            .connect(endpoint.addr)
            .await
            .with_context(|| format!("connecting to {}", endpoint.addr))?;
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
            .max_message_size(Some(64 << 20));
        let url = format!("ws://{}/", endpoint.addr);
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
            .await
            .context("WebSocket upgrade")?;
        let mut client = Self { ws, next_id: 0 };
        let challenge = client.next_frame().await?;
        if challenge["event"] != "connect.challenge" {
            bail!("expected connect.challenge first, got {challenge}");
        }
        let params = json!({
            "minProtocol": 4, "maxProtocol": 4,
            "client": {"id": "cli", "version": env!("CARGO_PKG_VERSION"), "platform": "linux",
                       "mode": "cli", "instanceId": uuid::Uuid::new_v4().to_string()},
            "caps": [], "role": "operator", "scopes": SCOPES,
            "auth": {"token": endpoint.token},
        });
        let hello = client.request("connect", params).await?;
        if hello["type"] != "hello-ok" {
            bail!("connect did not answer hello-ok: {hello}");
        }
        Ok(client)
    }

    /// Sends a request and returns its id without waiting for the answer.
    pub async fn send(&mut self, method: &str, params: Value) -> Result<String> {
        self.next_id += 1;
        let id = format!("b{}", self.next_id);
        let frame = json!({"type": "req", "id": id, "method": method, "params": params});
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .with_context(|| format!("sending {method}"))?;
        Ok(id)
    }

    /// Sends a request and waits for its response; events that arrive meanwhile are dropped.
    /// Returns the payload of an `ok` response, an error naming the method otherwise.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        let id = self.send(method, params).await?;
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = tokio::time::timeout(left, self.next_frame())
                .await
                .map_err(|_| anyhow!("{method} got no response in {REQUEST_TIMEOUT:?}"))??;
            if frame["type"] == "res" && frame["id"] == id.as_str() {
                if frame["ok"] == true {
                    return Ok(frame["payload"].clone());
                }
                bail!("{method} failed: {}", frame["error"]);
            }
        }
    }

    /// The next text frame, parsed; pings are answered by the library, closes are errors.
    pub async fn next_frame(&mut self) -> Result<Frame> {
        let text = self.next_text().await?;
        serde_json::from_str(&text).context("a frame is not JSON")
    }

    /// The next text frame as it arrived (for receivers that only look for a marker).
    pub async fn next_text(&mut self) -> Result<String> {
        loop {
            let message = self
                .ws
                .next()
                .await
                .ok_or_else(|| anyhow!("the gateway closed the connection"))?
                .context("reading a frame")?;
            match message {
                Message::Text(text) => return Ok(text.as_str().to_owned()),
                Message::Close(close) => bail!("the gateway closed the connection: {close:?}"),
                _ => {}
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// The run a `chat` event that ends a run (`final`, `error` or `aborted`) belongs to; `None`
/// for any other frame. Both gateways use the request's `idempotencyKey` as the run id.
pub fn chat_end_run(frame: &Frame) -> Option<&str> {
    let ends = frame["type"] == "event"
        && frame["event"] == "chat"
        && matches!(
            frame["payload"]["state"].as_str(),
            Some("final" | "error" | "aborted")
        );
    if ends {
        frame["payload"]["runId"].as_str()
    } else {
        None
    }
}

/// Whether a run-ending `chat` event reports a failure (the benchmark refuses to time errors).
pub fn chat_failed(frame: &Frame) -> bool {
    frame["payload"]["state"] != "final"
}
