//! The accept loop: HTTP/1.1 with upgrades on every accepted socket, a deadline for request
//! headers, and the table of connections that have not authenticated (see
//! [`crate::admission`]).
//!
//! `axum::serve` has neither a header deadline (its hyper connection has no timer) nor a hook
//! per connection, so a client sending half a request held its socket for ever, and 1,100 of
//! them used up the descriptors /healthz and every client needed. This loop drives the same
//! hyper connection axum would, with hyper's header read timeout switched on, enters each
//! connection in the table, and drops one the table evicted.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::admission::{Ticket, Unauthenticated};
use crate::state::GatewayState;

/// Serves `app` on `listener` until `shutdown` completes, then lets open HTTP connections
/// finish (upgraded sockets are the connections' own business) and returns.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    state: &GatewayState,
    shutdown: impl Future<Output = ()>,
) {
    let options = &state.0.options;
    let fd_limit = raise_fd_limit();
    let table = Unauthenticated::new(unauthenticated_cap(
        options.max_unauthenticated_connections,
        fd_limit,
    ));
    let service = TowerToHyperService::new(app);
    let header_timeout = options.header_read_timeout;
    // `stop` tells the connections to finish; `done` is closed once every one has.
    let (stop, stopping) = watch::channel(false);
    let (done, running) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error, &table).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Frames are small and often written back to back (a response, then the run's events):
        // with Nagle's algorithm the second waits for the peer's delayed ACK, ~40 ms per turn.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a gateway connection");
        }
        let connection = Connection {
            ticket: Arc::new(table.admit()),
            addr,
            header_timeout,
            stopping: stopping.clone(),
            _running: running.clone(),
        };
        tokio::spawn(connection.serve(stream, service.clone()));
    }
    drop(listener);
    stop.send_replace(true);
    drop(running);
    done.closed().await;
}

/// One accepted socket.
struct Connection {
    ticket: Arc<Ticket>,
    addr: SocketAddr,
    header_timeout: Duration,
    stopping: watch::Receiver<bool>,
    /// Held until the connection ends, so `run` can wait for all of them.
    _running: watch::Receiver<()>,
}

impl Connection {
    async fn serve(mut self, stream: TcpStream, router: TowerToHyperService<Router>) {
        let (addr, ticket) = (self.addr, Arc::clone(&self.ticket));
        // What axum's `into_make_service_with_connect_info` would add, plus the ticket, which
        // the upgrade handler hands to the WebSocket and the bearer check clears.
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(addr));
            request.extensions_mut().insert(Arc::clone(&ticket));
            hyper::service::Service::call(&router, request)
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout);
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let mut connection = std::pin::pin!(connection);
        let mut graceful = false;
        loop {
            tokio::select! {
                served = connection.as_mut() => {
                    // Includes a stalled client's header timeout; after an upgrade the socket
                    // lives on in the WebSocket task.
                    if let Err(error) = served {
                        tracing::debug!(%error, "gateway HTTP connection ended");
                    }
                    return;
                }
                // Dropping the connection closes the socket.
                () = self.ticket.evicted() => return,
                () = wait_true(&mut self.stopping), if !graceful => {
                    // A connection that never authenticated (a stalled half request) would
                    // hold the stop up until its header deadline; only proven clients get to
                    // finish what they are doing.
                    if self.ticket.waiting() {
                        return;
                    }
                    graceful = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn wait_true(flag: &mut watch::Receiver<bool>) {
    if flag.wait_for(|set| *set).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Retries after a failed `accept`. Out of descriptors, the unauthenticated connection that
/// waited longest is closed to make room (whoever is filling the table must not also block
/// every new client); other failures wait a second, as axum does.
async fn accept_failed(error: &std::io::Error, table: &Arc<Unauthenticated>) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    let out_of_descriptors = [rustix::io::Errno::MFILE, rustix::io::Errno::NFILE]
        .iter()
        .any(|errno| error.raw_os_error() == Some(errno.raw_os_error()));
    if out_of_descriptors && table.evict_oldest() {
        tracing::warn!(%error, "gateway out of file descriptors; closed the oldest unauthenticated connection");
        // Let the evicted connection's task close its socket before accepting again.
        tokio::time::sleep(Duration::from_millis(10)).await;
        return;
    }
    tracing::error!(%error, "gateway accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The cap on unauthenticated connections: `configured`, held to a quarter of the open-file
/// limit so they can never take the descriptors authenticated clients and the gateway's own
/// files need.
fn unauthenticated_cap(configured: usize, fd_limit: Option<u64>) -> usize {
    let quarter = fd_limit
        .and_then(|limit| usize::try_from(limit / 4).ok())
        .unwrap_or(usize::MAX);
    configured.min(quarter).max(1)
}

/// Raises the soft limit on open files to the hard limit, as servers should: the usual soft
/// default of 1,024 is a few hundred stalled sockets away from refusing everyone. Returns the
/// soft limit in force (`None`: unlimited or unknown).
#[cfg(unix)]
fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    /// macOS refuses an unlimited soft limit; this is its `OPEN_MAX`.
    const FALLBACK: u64 = 10_240;
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        let fallback = Rlimit {
            current: Some(limit.maximum.map_or(FALLBACK, |max| max.min(FALLBACK))),
            maximum: limit.maximum,
        };
        if let Err(error) =
            setrlimit(Resource::Nofile, raised).or_else(|_| setrlimit(Resource::Nofile, fallback))
        {
            tracing::debug!(%error, "could not raise the open-file limit");
        }
    }
    let current = getrlimit(Resource::Nofile).current;
    tracing::debug!(?current, "gateway open-file limit");
    current
}

#[cfg(not(unix))]
fn raise_fd_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_under_a_quarter_of_the_descriptor_limit() {
        assert_eq!(unauthenticated_cap(512, Some(1024)), 256);
        assert_eq!(unauthenticated_cap(512, Some(1_048_576)), 512);
        assert_eq!(unauthenticated_cap(512, None), 512);
        assert_eq!(unauthenticated_cap(512, Some(2)), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_descriptor_limit_is_raised_to_the_hard_one() {
        let limit = raise_fd_limit();
        let now = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(limit, now.current);
        // Either raised, or capped by what the platform accepts (macOS's `OPEN_MAX`).
        assert!(
            now.current == now.maximum || now.current >= Some(10_240),
            "{now:?}"
        );
    }
}
