//! One WebSocket connection: challenge, handshake, then requests, fanned-out events, ticks and
//! shutdown. A reader (this task) and a writer task share a bounded queue; when a client reads
//! too slowly for events to fit in it, the connection is dropped.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use rustyclaw_protocol::gateway::{
    ConnectChallenge, EventFrame, Frame, MAX_PREAUTH_PAYLOAD_BYTES, RequestFrame, ResponseFrame,
    ShutdownEvent, StateVersion, TickEvent,
};
use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::MissedTickBehavior;

use crate::handshake::{self, Granted, close};
use crate::methods;
use crate::peer::Peer;
use crate::pump::OutEvent;
use crate::state::{GatewayState, now_ms};

/// Something for the writer task to put on the socket.
#[derive(Debug)]
pub(crate) enum Out {
    /// A JSON text frame.
    Text(String),
    /// A close frame; the writer stops after it.
    Close(u16, String),
}

/// The sending side handed to method handlers.
#[derive(Clone)]
pub(crate) struct Sender(mpsc::Sender<Out>);

impl Sender {
    /// Queues a response, waiting for room (a response is never dropped for a slow client; the
    /// handler waits instead).
    pub async fn respond(&self, response: ResponseFrame) {
        let _ = self
            .0
            .send(Out::Text(encode(&Frame::Response(response))))
            .await;
    }
}

fn encode(frame: &Frame) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}

/// Runs the connection to completion.
pub(crate) async fn run(
    socket: WebSocket,
    state: GatewayState,
    peer: Peer,
    admission: crate::limits::Admission,
) {
    let _guard = state.connection_guard();
    let conn_id = uuid::Uuid::new_v4().to_string();
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::channel(state.0.options.send_queue_frames.max(4));
    let writer = tokio::spawn(write(sink, rx));
    let challenge = ConnectChallenge {
        nonce: uuid::Uuid::new_v4().to_string(),
        ts: now_ms(),
        capabilities: None,
    };
    let _ = tx
        .send(Out::Text(event_text("connect.challenge", &challenge, None)))
        .await;

    let timeout = state.0.options.handshake_timeout;
    let shaking = handshake(
        &state,
        &mut stream,
        &tx,
        &peer,
        &conn_id,
        &challenge.nonce,
        &admission.key,
    );
    let granted = match tokio::time::timeout(timeout, shaking).await {
        Ok(Some(granted)) => granted,
        Ok(None) => return finish(writer).await,
        Err(_) => {
            let _ = tx
                .send(Out::Close(close::POLICY, "handshake timeout".into()))
                .await;
            return finish(writer).await;
        }
    };
    // Authenticated: the socket no longer counts against its IP's pre-auth budget.
    drop(admission.slot);
    tracing::debug!(client = %granted.client.id, scopes = ?granted.scopes, "gateway client connected");
    crate::methods::presence_connected(&state, &granted);
    // An operator who may approve counts as an approver while connected, so exec requests wait
    // for them instead of settling by askFallback.
    let _approver = crate::methods::approver_for(&state, &granted);
    session(&state, &mut stream, tx, Arc::new(granted)).await;
    crate::methods::presence_disconnected(&state, &conn_id);
    crate::methods::unsubscribe_sessions(&state, &conn_id);
    finish(writer).await;
}

/// Lets the writer flush what is queued (a close frame last), but not for ever.
async fn finish(writer: tokio::task::JoinHandle<()>) {
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(1), writer)
        .await
        .is_err()
    {
        abort.abort();
    }
}

async fn write(mut sink: SplitSink<WebSocket, Message>, mut rx: mpsc::Receiver<Out>) {
    while let Some(out) = rx.recv().await {
        let (message, last) = match out {
            Out::Text(text) => (Message::Text(Utf8Bytes::from(text)), false),
            Out::Close(code, reason) => (
                Message::Close(Some(CloseFrame {
                    code,
                    reason: Utf8Bytes::from(reason),
                })),
                true,
            ),
        };
        if sink.send(message).await.is_err() || last {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Reads the first frame and answers it; `Some` when the client may proceed.
async fn handshake(
    state: &GatewayState,
    stream: &mut SplitStream<WebSocket>,
    tx: &mpsc::Sender<Out>,
    peer: &Peer,
    conn_id: &str,
    nonce: &str,
    key: &crate::limits::RateKey,
) -> Option<Granted> {
    loop {
        let text = match stream.next().await? {
            Ok(Message::Text(text)) => text,
            Ok(Message::Binary(_)) | Err(_) => {
                let _ = tx.send(Out::Close(close::NORMAL, String::new())).await;
                return None;
            }
            Ok(Message::Close(_)) => return None,
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
        };
        if text.len() > MAX_PREAUTH_PAYLOAD_BYTES {
            let _ = tx
                .send(Out::Close(
                    close::TOO_BIG,
                    "preauth payload too large".into(),
                ))
                .await;
            return None;
        }
        // Upstream closes normally, without a response, on a frame that is not JSON.
        let Ok(frame) = serde_json::from_str::<Value>(&text) else {
            let _ = tx.send(Out::Close(close::NORMAL, String::new())).await;
            return None;
        };
        let request = match serde_json::from_value::<Frame>(frame.clone()) {
            Ok(Frame::Request(request)) if request.method == "connect" => request,
            other => {
                let id = match other {
                    Ok(Frame::Request(request)) => request.id,
                    _ => frame
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                };
                let message = "invalid handshake: first request must be connect";
                reject(
                    tx,
                    &id,
                    ErrorShape::new(ErrorCode::InvalidRequest, message),
                    close::POLICY,
                )
                .await;
                return None;
            }
        };
        if let Err(rejection) = crate::limits::screen_connect(state, peer, key) {
            reject(tx, &request.id, *rejection.error, rejection.close_code).await;
            return None;
        }
        let checked = handshake::check(request.params.as_ref(), state, peer, conn_id, nonce).await;
        crate::limits::record_connect(state, key, checked.as_ref().map(|g| g.method));
        return match checked {
            Ok(granted) => {
                let hello = methods::hello(state, &granted).await;
                let _ = tx
                    .send(Out::Text(encode(&Frame::Response(ResponseFrame::ok(
                        request.id, hello,
                    )))))
                    .await;
                Some(granted)
            }
            Err(rejection) => {
                reject(tx, &request.id, *rejection.error, rejection.close_code).await;
                None
            }
        };
    }
}

async fn reject(tx: &mpsc::Sender<Out>, id: &str, error: ErrorShape, code: u16) {
    let reason = error.message.clone();
    let _ = tx
        .send(Out::Text(encode(&Frame::Response(ResponseFrame::err(
            id, error,
        )))))
        .await;
    let _ = tx.send(Out::Close(code, reason)).await;
}

/// Per-connection event numbering.
struct Events {
    tx: mpsc::Sender<Out>,
    seq: u64,
}

impl Events {
    /// Queues an event without waiting; `false` when the client is too slow.
    fn push(&mut self, event: &str, payload: &impl serde::Serialize) -> bool {
        self.push_versioned(event, payload, None)
    }

    /// [`Self::push`] with the presence/health versions the event carries.
    fn push_versioned(
        &mut self,
        event: &str,
        payload: &impl serde::Serialize,
        state_version: Option<StateVersion>,
    ) -> bool {
        self.seq += 1;
        let mut frame = event_frame(event, payload, Some(self.seq));
        frame.state_version = state_version;
        match self.tx.try_send(Out::Text(encode(&Frame::Event(frame)))) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => false,
            // The writer is gone: the socket failed, nothing more to do.
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

fn event_text(event: &str, payload: &impl serde::Serialize, seq: Option<u64>) -> String {
    encode(&Frame::Event(event_frame(event, payload, seq)))
}

fn event_frame(event: &str, payload: &impl serde::Serialize, seq: Option<u64>) -> EventFrame {
    EventFrame {
        event: event.to_owned(),
        payload: Some(serde_json::to_value(payload).unwrap_or(Value::Null)),
        seq,
        state_version: None,
        recipient_profile_id: None,
    }
}

async fn session(
    state: &GatewayState,
    stream: &mut SplitStream<WebSocket>,
    tx: mpsc::Sender<Out>,
    granted: Arc<Granted>,
) {
    let mut fanout = state.0.events.subscribe();
    let mut shutdown = state.0.shutdown.subscribe();
    let period = state.0.options.tick_interval;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let sender = Sender(tx.clone());
    let mut events = Events { tx, seq: 0 };
    loop {
        tokio::select! {
            incoming = stream.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                };
                match serde_json::from_str::<Frame>(&text) {
                    Ok(Frame::Request(request)) => spawn_call(state, &granted, &sender, request),
                    // Upstream ignores frames it cannot use after the handshake.
                    Ok(_) | Err(_) => tracing::debug!("ignored a frame that is not a request"),
                }
            }
            received = fanout.recv() => {
                let ok = match received {
                    Ok(event) => !receives(state, &granted, &event) || forward(&mut events, &event),
                    Err(RecvError::Lagged(_)) => false,
                    Err(RecvError::Closed) => return,
                };
                if !ok {
                    tracing::warn!(client = %granted.client.id, "gateway client too slow; disconnecting");
                    // The queue is full, so a close frame cannot be queued; dropping the socket
                    // (when this task and the writer end) closes the connection.
                    return;
                }
            }
            _ = tick.tick() => {
                if !events.push("tick", &TickEvent { ts: now_ms() }) {
                    tracing::warn!(client = %granted.client.id, "gateway client too slow; disconnecting");
                    return;
                }
            }
            changed = shutdown.changed() => {
                let reason = match changed {
                    Ok(()) => shutdown.borrow().clone().unwrap_or_default(),
                    Err(_) => "gateway stopping".to_owned(),
                };
                events.push("shutdown", &ShutdownEvent { reason, restart_expected_ms: state.0.control.restart_expected_ms() });
                let _ = events.tx.try_send(Out::Close(close::RESTART, "service restart".into()));
                return;
            }
        }
    }
}

/// Whether this client may see `event` (upstream's broadcast gating by scope; `sessions.changed`
/// goes only to connections that called `sessions.subscribe`).
fn receives(state: &GatewayState, granted: &Granted, event: &OutEvent) -> bool {
    event
        .scope
        .is_none_or(|scope| methods::has_scope(&granted.scopes, scope))
        && (event.event != "sessions.changed"
            || methods::subscribed_to_sessions(state, &granted.conn_id))
}

fn forward(events: &mut Events, event: &OutEvent) -> bool {
    events.seq += 1;
    match events.tx.try_send(Out::Text(event.frame_text(events.seq))) {
        Ok(()) => true,
        // Full: the client is too slow; closed: the socket failed, nothing more to do.
        Err(TrySendError::Full(_) | TrySendError::Closed(_)) => false,
    }
}

fn spawn_call(
    state: &GatewayState,
    granted: &Arc<Granted>,
    sender: &Sender,
    request: RequestFrame,
) {
    let (state, granted, sender) = (state.clone(), granted.clone(), sender.clone());
    tokio::spawn(async move { methods::dispatch(&state, &granted, &sender, request).await });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_event_frame_is_the_frame_serde_writes() {
        use crate::pump::OutEvent;
        let event = OutEvent {
            event: "presence",
            payload: serde_json::json!({"presence": [{"text": "a \"quoted\" row", "ts": 1}]}),
            scope: None,
            state_version: Some(StateVersion {
                presence: 3,
                health: 4,
            }),
            encoded: Default::default(),
        };
        let mut expected = event_frame("presence", &event.payload, Some(7));
        expected.state_version = event.state_version;
        let expected: Value = serde_json::from_str(&encode(&Frame::Event(expected))).unwrap();
        let shared: Value = serde_json::from_str(&event.frame_text(7)).unwrap();
        assert_eq!(shared, expected);
        // Every other connection reuses the serialized payload with its own seq.
        assert!(event.encoded.get().is_some());
        let again: Value = serde_json::from_str(&event.frame_text(8)).unwrap();
        assert_eq!(again["seq"], 8);
        assert_eq!(again["payload"], expected["payload"]);
    }
}
