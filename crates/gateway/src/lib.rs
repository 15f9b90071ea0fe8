//! The gateway: OpenClaw's WebSocket protocol (v4) and HTTP probes on one port, in front of the
//! agent runtime.
//!
//! Design: [`router`] is a pure function of a [`GatewayState`], so handlers are testable without a
//! socket, and [`serve`] adds the listener, the limits on connections that have not
//! authenticated, and graceful shutdown. Each WebSocket connection is one task reading frames
//! and one task writing them; everything sent to a client goes through a queue bounded in bytes
//! per client and across clients, so clients that stop reading are disconnected instead of
//! growing memory. The agent runtime's events are mapped once (in [`pump`]) into `chat`/`agent`
//! event payloads and fanned out to every connection, which numbers them with its own `seq`. The
//! limits, most of them upstream's, are tabled in `limits`.

mod admission;
mod auth_limiter;
mod calendar;
pub mod channels;
mod chat_attachments;
mod chat_input;
mod clock;
mod conn;
mod control;
mod dedupe;
pub mod device;
mod error;
mod event;
mod first_frame;
mod handshake;
mod http;
/// The Control UI base path as a URL prefix (`/`, `/openclaw/`), for links to the UI.
pub use http::control_ui::base_path as control_ui_base_path;
mod inbound;
mod limits;
mod local_peer;
mod loopback_budget;
mod methods;
mod notice;
mod origin;
mod outbox;
pub mod pairing_notice;
mod peer;
mod preauth;
mod presence;
mod pump;
mod read_error;
mod rejection;
mod scope;
mod serve;
mod start;
mod state;
mod system_events;
pub mod weakening;

pub use control::RestartRequest;
pub use error::GatewayError;
pub use outbox::OutboundStats;
pub use state::{GatewayOptions, GatewayState};

use std::future::Future;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

/// The gateway's routes: `GET /healthz`, `/health`, `/readyz`, `/ready`, the HTTP API
/// (`/v1/models`, `/v1/chat/completions` when enabled, `/tools/invoke`), and a WebSocket upgrade
/// on any other path. [`serve`] drives it; to serve it otherwise, use
/// `into_make_service_with_connect_info::<SocketAddr>()`: the peer address decides loopback
/// trust and rate limits (the header deadline and the cap on unauthenticated connections are
/// [`serve`]'s).
pub fn router(state: GatewayState) -> Router {
    http::routes(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes, then sends every client a
/// `shutdown` event, closes the sockets and returns once they are gone (at most about a second).
///
/// At start the process's soft open-file limit is raised to its hard limit. Every connection
/// must send its request headers within `header_read_timeout`, and connections that have not
/// authenticated are capped (see [`GatewayOptions`]).
pub async fn serve(
    listener: TcpListener,
    state: GatewayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    let app = router(state.clone());
    let stopping = state.clone();
    serve::run(listener, app, &state, async move {
        shutdown.await;
        stopping.begin_shutdown("gateway stopping");
    })
    .await;
    // Upgraded sockets are not tracked by the accept loop: wait for them here.
    state.wait_for_connections(Duration::from_secs(1)).await;
    Ok(())
}
