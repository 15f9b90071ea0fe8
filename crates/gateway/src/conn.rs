//! One WebSocket connection: challenge, handshake, then requests, fanned-out events, ticks and
//! shutdown. A reader (this task) and a writer task share an [`Outbox`] bounded in bytes: a
//! client that reads too slowly for its backlog to fit is closed as a slow consumer. A frame the
//! WebSocket layer refuses (too large, not UTF-8, a protocol violation) is answered with the
//! close code for it (see [`crate::read_error`]). A large request first waits for its share of
//! the large-request budget, and the socket is not read until it has it (see [`crate::inbound`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use rustyclaw_protocol::gateway::{
    ConnectChallenge, EventFrame, Frame, ResponseFrame, ShutdownEvent, TickEvent,
};
use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::MissedTickBehavior;

use crate::auth_limiter::RateKey;
use crate::clock::now_ms;
use crate::event::OutEvent;
use crate::first_frame::{self, First};
use crate::handshake::{self, Granted};
use crate::inbound::InboundPermit;
use crate::limits::{MAX_PREAUTH_PAYLOAD_BYTES, close};
use crate::methods;
use crate::outbox::{Item, Outbox, Sender, encode};
use crate::peer::Peer;
use crate::preauth::{Admission, PreauthSlot};
use crate::scope::has_scope;
use crate::state::GatewayState;

/// Runs the connection to completion.
pub(crate) async fn run(socket: WebSocket, state: GatewayState, peer: Peer, admission: Admission) {
    let _guard = state.connection_guard();
    let conn_id = uuid::Uuid::new_v4().to_string();
    let (sink, mut stream) = socket.split();
    let options = &state.0.options;
    let outbox = Outbox::open(&state.0.outbound, options.max_buffered_bytes);
    let writer = tokio::spawn(write(sink, Arc::clone(&outbox)));
    let grace = options.close_grace;
    let challenge = ConnectChallenge {
        nonce: uuid::Uuid::new_v4().to_string(),
        ts: now_ms(),
        capabilities: None,
    };
    outbox.push_text(encode(&Frame::Event(event_frame(
        "connect.challenge",
        &challenge,
    ))));

    let Admission { key, slot, ticket } = admission;
    // Closed to make room for newer sockets: from the table of all unauthenticated
    // connections, or from this address's pre-auth budget (loopback only).
    let slot_evicted = slot.evicted();
    let evicted = async {
        match &ticket {
            Some(ticket) => tokio::select! {
                () = ticket.evicted() => {}
                () = slot_evicted => {}
            },
            None => slot_evicted.await,
        }
    };
    let mut slot = Some(slot);
    let shaking = handshake(
        &state,
        &mut stream,
        &outbox,
        &peer,
        &conn_id,
        &challenge.nonce,
        Preauth {
            key: &key,
            slot: &mut slot,
        },
    );
    let (granted, fanout) = tokio::select! {
        shaken = tokio::time::timeout(options.handshake_timeout, shaking) => match shaken {
            Ok(Some(connected)) => connected,
            Ok(None) => return finish(&outbox, writer, grace).await,
            Err(_) => {
                outbox.close(close::POLICY, "handshake timeout");
                return finish(&outbox, writer, grace).await;
            }
        },
        () = evicted => {
            outbox.close(close::TRY_AGAIN_LATER, "too many unauthenticated connections");
            return finish(&outbox, writer, grace).await;
        }
    };
    // Authenticated: the socket leaves the unauthenticated table and its IP's pre-auth budget.
    if let Some(ticket) = ticket {
        ticket.authenticated();
    }
    drop(slot);
    // Ids, never credentials: who connected, as what, from where.
    tracing::info!(
        conn = %conn_id,
        client = %granted.client.id,
        mode = ?granted.client.mode,
        version = %granted.client.version,
        role = %granted.role,
        auth = granted.method,
        "client connected"
    );
    let connected_at = std::time::Instant::now();
    crate::methods::presence_connected(&state, &granted);
    // An operator who may approve counts as an approver while connected, so exec requests wait
    // for them instead of settling by askFallback.
    let _approver = crate::methods::approver_for(&state, &granted);
    // A config weakening announced before a restart is repeated to operators coming back.
    for notice in state.held_notices() {
        if receives(&state, &granted, &notice) {
            outbox.push_event(notice);
        }
    }
    session(&state, &mut stream, &outbox, Arc::new(granted), fanout).await;
    tracing::info!(
        conn = %conn_id,
        duration_ms = u64::try_from(connected_at.elapsed().as_millis()).unwrap_or(u64::MAX),
        "client disconnected"
    );
    crate::methods::presence_disconnected(&state, &conn_id);
    crate::methods::unsubscribe_sessions(&state, &conn_id);
    finish(&outbox, writer, grace).await;
}

/// Lets the writer flush what is queued (a close frame last), but not for longer than `grace`.
async fn finish(outbox: &Outbox, writer: tokio::task::JoinHandle<()>, grace: Duration) {
    outbox.finish();
    let abort = writer.abort_handle();
    if tokio::time::timeout(grace, writer).await.is_err() {
        abort.abort();
    }
}

async fn write(mut sink: SplitSink<WebSocket, Message>, outbox: Arc<Outbox>) {
    // Events are numbered here, as they are written, so one that replaced an older queued
    // event (see `outbox`) leaves no hole in the client's `seq`.
    let mut seq = 0;
    while let Some((item, bytes)) = outbox.next().await {
        let (message, last) = match item {
            Item::Text(text) => (Message::Text(Utf8Bytes::from(text)), false),
            Item::Event { event, earlier } => {
                seq += 1;
                let text = event.frame_text_after(&earlier, seq);
                (Message::Text(Utf8Bytes::from(text)), false)
            }
            Item::Ping(number) => (Message::Ping(number.to_be_bytes().to_vec().into()), false),
            Item::Close(code, reason) => (
                Message::Close(Some(CloseFrame {
                    code,
                    reason: Utf8Bytes::from(reason),
                })),
                true,
            ),
        };
        let sent = sink.send(message).await;
        outbox.sent(bytes);
        if sent.is_err() {
            outbox.fail();
            break;
        }
        if last {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Answers a frame the WebSocket layer refused, or lets the connection go when the peer is gone.
fn refuse(outbox: &Outbox, error: axum::Error) {
    match crate::read_error::close_for(error) {
        Some((code, reason)) => outbox.close(code, reason),
        None => outbox.fail(),
    }
}

/// What the pre-auth limits know of a socket still shaking hands.
struct Preauth<'a> {
    /// Who its failures are charged to.
    key: &'a RateKey,
    /// Its place in its address's budget, given back while a wrong secret waits for its answer.
    slot: &'a mut Option<PreauthSlot>,
}

/// Reads the first frame and answers it; `Some` when the client may proceed, with its grant
/// and the fan-out it listens to (subscribed before the hello went out). On `None` the outbox
/// is closing.
async fn handshake(
    state: &GatewayState,
    stream: &mut SplitStream<WebSocket>,
    outbox: &Outbox,
    peer: &Peer,
    conn_id: &str,
    nonce: &str,
    limits: Preauth<'_>,
) -> Option<(Granted, broadcast::Receiver<Arc<OutEvent>>)> {
    let Preauth { key, slot } = limits;
    loop {
        let text = match stream.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            // Upstream reads a binary frame as text, and one that is not JSON closes normally.
            Some(Ok(Message::Binary(_))) => {
                outbox.close(close::NORMAL, "");
                return None;
            }
            Some(Ok(Message::Close(_))) | None => {
                outbox.finish();
                return None;
            }
            Some(Err(error)) => {
                refuse(outbox, error);
                return None;
            }
        };
        if text.len() > MAX_PREAUTH_PAYLOAD_BYTES {
            outbox.close(close::TOO_BIG, "preauth payload too large");
            return None;
        }
        let request = match first_frame::judge(&text) {
            First::Connect(request) => request,
            First::NotConnect(id) => {
                let message = "invalid handshake: first request must be connect";
                let error = ErrorShape::new(ErrorCode::InvalidRequest, message);
                reject(outbox, &id, error, close::POLICY);
                return None;
            }
            First::NotARequest => {
                outbox.close(close::POLICY, "invalid request frame");
                return None;
            }
            First::NotJson => {
                outbox.close(close::NORMAL, "");
                return None;
            }
        };
        let limiter = &state.0.limiter;
        let allowed_origins = &state.config().gateway.allowed_origins;
        if let Err(rejection) = handshake::screen_connect(limiter, allowed_origins, peer, key) {
            reject(outbox, &request.id, *rejection.error, rejection.close_code);
            return None;
        }
        let checked = handshake::check(request.params.as_ref(), state, peer, conn_id, nonce).await;
        let wait = handshake::record_connect(limiter, key, checked.as_ref().map(|g| g.method));
        if checked.is_err() && !wait.is_zero() {
            // An exempt loopback client's wrong secret is answered when the shared budget
            // allows (the handshake timeout may close the socket first). Waiting does not hold
            // the address's pre-auth slot, so a guesser's waiting sockets cannot fill the
            // owner's budget.
            slot.take();
            tokio::time::sleep(wait).await;
        }
        return match checked {
            Ok(granted) => {
                // Listening before the client hears it is in: an event caused by its first
                // request (or by anyone right after its hello) is not missed.
                let fanout = state.0.events.subscribe();
                let hello = methods::hello(state, &granted).await;
                outbox.push_text(encode(&Frame::Response(ResponseFrame::ok(
                    request.id, hello,
                ))));
                Some((granted, fanout))
            }
            Err(rejection) => {
                reject(outbox, &request.id, *rejection.error, rejection.close_code);
                None
            }
        };
    }
}

fn reject(outbox: &Outbox, id: &str, error: ErrorShape, code: u16) {
    let reason = error.message.clone();
    outbox.push_text(encode(&Frame::Response(ResponseFrame::err(id, error))));
    outbox.close(code, &reason);
}

fn event_frame(event: &str, payload: &impl serde::Serialize) -> EventFrame {
    EventFrame {
        event: event.to_owned(),
        payload: Some(serde_json::to_value(payload).unwrap_or(Value::Null)),
        seq: None,
        state_version: None,
        recipient_profile_id: None,
    }
}

async fn session(
    state: &GatewayState,
    stream: &mut SplitStream<WebSocket>,
    outbox: &Arc<Outbox>,
    granted: Arc<Granted>,
    mut fanout: broadcast::Receiver<Arc<OutEvent>>,
) {
    let mut shutdown = state.0.shutdown.subscribe();
    let period = state.0.options.tick_interval;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let sender = Sender::new(Arc::clone(outbox));
    let large = state.0.options.large_request_bytes;
    // A large request waiting for its share of the large-request budget (see `inbound`); the
    // socket is not read meanwhile.
    let mut waiting: Option<(Utf8Bytes, Waiting<'_>)> = None;
    loop {
        tokio::select! {
            incoming = stream.next(), if waiting.is_none() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Pong(payload))) => {
                        outbox.pong(&payload);
                        continue;
                    }
                    Some(Ok(Message::Ping(_) | Message::Binary(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Err(error)) => return refuse(outbox, error),
                };
                if text.len() >= large {
                    let admission = Box::pin(state.0.inbound.admit(text.len()));
                    waiting = Some((text, admission));
                    continue;
                }
                handle_request(state, &granted, &sender, &text, None);
            }
            permit = async {
                match waiting.as_mut() {
                    Some((_, admitted)) => admitted.as_mut().await,
                    None => std::future::pending().await,
                }
            }, if waiting.is_some() => {
                if let Some((text, _)) = waiting.take() {
                    handle_request(state, &granted, &sender, &text, Some(permit));
                }
            }
            received = fanout.recv() => match received {
                // A push refused for slowness closes the outbox; the branch below then ends.
                Ok(event) => if receives(state, &granted, &event) {
                    outbox.push_event(event);
                },
                // This task fell behind the fan-out itself: the client would miss events.
                Err(RecvError::Lagged(_)) => return outbox.close_slow_consumer(),
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                outbox.push_event(Arc::new(OutEvent::unscoped("tick", &TickEvent { ts: now_ms() })));
            }
            () = outbox.closed() => {
                tracing::debug!(client = %granted.client.id, "gateway connection closing");
                return;
            }
            changed = shutdown.changed() => {
                // Events sent before the shutdown began (a restart's announcement) go first:
                // `select!` may have picked this branch while they were waiting.
                while let Ok(event) = fanout.try_recv() {
                    if receives(state, &granted, &event) {
                        outbox.push_event(event);
                    }
                }
                let reason = match changed {
                    Ok(()) => shutdown.borrow().clone().unwrap_or_default(),
                    Err(_) => "gateway stopping".to_owned(),
                };
                let event = ShutdownEvent { reason, restart_expected_ms: state.0.control.restart_expected_ms() };
                outbox.push_event(Arc::new(OutEvent::unscoped("shutdown", &event)));
                outbox.close(close::RESTART, "service restart");
                return;
            }
        }
    }
}

/// Whether this client may see `event` (upstream's broadcast gating by scope; `sessions.changed`
/// goes only to connections that called `sessions.subscribe`, tool activity only to clients that
/// declared the `tool-events` capability).
fn receives(state: &GatewayState, granted: &Granted, event: &OutEvent) -> bool {
    event
        .scope
        .is_none_or(|scope| has_scope(&granted.scopes, scope))
        && (event.event != "sessions.changed"
            || methods::subscribed_to_sessions(state, &granted.conn_id))
        && (granted.tool_events || !event.is_tool_activity())
}

/// A large request's wait for its share of the large-request budget.
type Waiting<'a> = std::pin::Pin<Box<dyn Future<Output = InboundPermit> + Send + 'a>>;

/// Parses a text frame and answers it on its own task; `permit` (a large request's share of
/// the large-request budget) goes with the call, which holds it as long as its work runs.
fn handle_request(
    state: &GatewayState,
    granted: &Arc<Granted>,
    sender: &Sender,
    text: &str,
    permit: Option<InboundPermit>,
) {
    match serde_json::from_str::<Frame>(text) {
        Ok(Frame::Request(request)) => {
            let (state, granted, sender) = (state.clone(), granted.clone(), sender.clone());
            tokio::spawn(async move {
                methods::dispatch(&state, &granted, &sender, request, permit).await;
            });
        }
        // Upstream ignores frames it cannot use after the handshake.
        Ok(_) | Err(_) => tracing::debug!("ignored a frame that is not a request"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyclaw_protocol::gateway::StateVersion;

    #[test]
    fn a_shared_event_frame_is_the_frame_serde_writes() {
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
        let mut expected = event_frame("presence", &event.payload);
        expected.seq = Some(7);
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
