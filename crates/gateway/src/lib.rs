//! The gateway: OpenClaw's WebSocket protocol (v4) and HTTP probes on one port, in front of the
//! agent runtime.
//!
//! Design: [`router`] is a pure function of a [`GatewayState`], so handlers are testable without a
//! socket, and [`serve`] adds the listener and graceful shutdown. Each WebSocket connection is
//! one task reading frames and one task writing them; everything sent to a client goes through a
//! bounded queue, so a client that stops reading is disconnected instead of growing memory. The
//! agent runtime's events are mapped once (in [`pump`]) into `chat`/`agent` event payloads and
//! fanned out to every connection, which numbers them with its own `seq`.

mod conn;
mod control;
mod dedupe;
pub mod device;
mod error;
mod handshake;
mod http;
mod limits;
mod methods;
mod origin;
mod peer;
mod presence;
mod pump;
mod state;
mod system_events;

pub use control::RestartRequest;
pub use error::GatewayError;
pub use state::{GatewayOptions, GatewayState};

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

/// The gateway's routes: `GET /healthz`, `/health`, `/readyz`, `/ready`, the HTTP API
/// (`/v1/models`, `/v1/chat/completions` when enabled, `/tools/invoke`), and a WebSocket upgrade
/// on any other path. Serve it with `into_make_service_with_connect_info::<SocketAddr>()` (as [`serve`]
/// does): the peer address decides loopback trust and rate limits.
pub fn router(state: GatewayState) -> Router {
    http::routes(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes, then sends every client a
/// `shutdown` event, closes the sockets and returns once they are gone (at most about a second).
pub async fn serve(
    listener: TcpListener,
    state: GatewayState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    let app = router(state.clone());
    let stopping = state.clone();
    // Frames are small and often written back to back (a response, then the run's events):
    // with Nagle's algorithm the second waits for the peer's delayed ACK, ~40 ms per turn.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a gateway connection");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        stopping.begin_shutdown("gateway stopping");
    })
    .await
    .map_err(|source| GatewayError::Serve { source })?;
    // Upgraded sockets are not tracked by axum's graceful shutdown: wait for them here.
    state.wait_for_connections(Duration::from_secs(1)).await;
    Ok(())
}
