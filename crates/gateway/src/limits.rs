//! The gateway's limits: one table of the per-ingress limits (sizes, budgets and timeouts, most
//! of them upstream's) and the WebSocket close codes the gateway sends. Numbers only, so that
//! every module can read them: the limiters that enforce the abuse limits in front of
//! authentication are [`crate::auth_limiter`] (failed-auth lockout, and for the loopback clients
//! it exempts the shared failure budget of [`crate::loopback_budget`]) and [`crate::preauth`]
//! (the per-IP budget of sockets that have not finished the handshake).

use std::time::Duration;

// The per-ingress limits. `GatewayOptions` defaults to these; tests shrink them.

/// Largest WebSocket frame, and message, after the handshake (upstream `MAX_PAYLOAD_BYTES`,
/// 25 MiB), announced as `hello-ok.policy.maxPayload`. A larger one is closed with 1009, as
/// upstream's `ws` library does; the library's own 16 MiB frame default is raised to it.
pub(crate) const MAX_PAYLOAD_BYTES: usize = rustyclaw_protocol::gateway::MAX_PAYLOAD_BYTES;

/// Largest frame before the handshake completed (upstream `MAX_PREAUTH_PAYLOAD_BYTES`, 64 KiB):
/// a larger one is closed with 1009 "preauth payload too large".
pub(crate) const MAX_PREAUTH_PAYLOAD_BYTES: usize =
    rustyclaw_protocol::gateway::MAX_PREAUTH_PAYLOAD_BYTES;

/// Bytes waiting to be written to one client (upstream `MAX_BUFFERED_BYTES`, 50 MiB), announced
/// as `hello-ok.policy.maxBufferedBytes`. A client whose backlog would pass it is closed with
/// 1008 "slow consumer", upstream's code and reason.
pub(crate) const MAX_BUFFERED_BYTES: usize = rustyclaw_protocol::gateway::MAX_BUFFERED_BYTES;

/// Bytes waiting to be written to all clients together (ours: upstream's Node process has no
/// such bound). Past it, the client with the largest backlog is closed as a slow consumer until
/// the total fits, so a crowd of clients that stop reading cannot add up to gigabytes even
/// though each stays under its own budget.
pub(crate) const MAX_BUFFERED_BYTES_TOTAL: usize = 256 * 1024 * 1024;

/// Time from the WebSocket upgrade to a successful `connect` (upstream
/// `DEFAULT_PREAUTH_HANDSHAKE_TIMEOUT_MS`, 15 s). A socket still silent then is closed.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Time a client has to send a request's headers, counted from the connection's first read or
/// the end of its previous request (ours; Node's `headersTimeout` is 60 s). A connection that
/// sends half a request and stalls, or idles between keep-alive requests, is closed after it.
pub(crate) const HTTP_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Time a closing socket gets to write what is queued and its close frame before it is dropped
/// (upstream `WEBSOCKET_CLOSE_GRACE_MS`, 1 s).
pub(crate) const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Connections that have not authenticated, from all clients together (ours). Each costs a
/// file descriptor, so the cap is also held to a quarter of the process's descriptor limit;
/// when it is reached, the connection that has waited longest is closed to admit the new one.
pub(crate) const MAX_UNAUTHENTICATED_CONNECTIONS: usize = 512;

/// Concurrent WebSocket sockets per client IP that have not finished the handshake (upstream
/// `MAX_PREAUTH_CONNECTIONS_PER_IP`); the next upgrade is refused with 503. On loopback (while
/// loopback is exempt from the lockout) the socket of that address that has waited longest is
/// closed instead, so no local process can keep the owner's CLI out by holding 32 silent
/// sockets.
pub(crate) const MAX_PREAUTH_SOCKETS_PER_IP: usize = 32;

/// Wrong secrets from loopback clients exempt from the lockout that are answered at once,
/// before the shared failure budget spaces them out (ours; see [`crate::loopback_budget`]).
pub(crate) const LOOPBACK_FAILURE_BURST: u32 = 10;

/// Spacing of the answers to wrong secrets from exempt loopback clients once the burst is
/// spent, for all of them together (ours).
pub(crate) const LOOPBACK_FAILURE_SPACING: Duration = Duration::from_secs(1);

/// Failures after which that spacing doubles (ours).
pub(crate) const LOOPBACK_FAILURE_DOUBLING: u32 = 100;

/// The longest spacing (ours): under sustained guessing, one answer per 30 s, about 2,900 a
/// day. The slowdown drains by one failure per this interval.
pub(crate) const LOOPBACK_FAILURE_MAX_SPACING: Duration = Duration::from_secs(30);

/// Failure records the failed-auth limiter keeps at most; beyond it the oldest unlocked ones
/// are dropped (upstream's cap).
pub(crate) const MAX_AUTH_FAILURE_RECORDS: usize = 10_000;

/// Requests from this size up are large (ours): each takes its size from the budget below
/// before it is parsed, and its connection reads nothing more until it got it (see
/// [`crate::inbound`]). A typed chat message is far below it.
pub(crate) const LARGE_REQUEST_BYTES: usize = 1024 * 1024;

/// Bytes of large requests handled at once, from all connections together (ours: upstream's
/// Node process has no such bound). It is one `maxPayload`, so the largest frame upstream
/// accepts still goes through, alone; a burst of them is handled a few at a time instead of
/// all at once, each one's bytes held until the work it started (a `chat.send`'s run) is over.
pub(crate) const MAX_LARGE_REQUEST_BYTES_IN_FLIGHT: usize = MAX_PAYLOAD_BYTES;

/// Largest `POST /v1/chat/completions` body (upstream 20 MiB); a larger one gets 413.
pub(crate) const CHAT_COMPLETIONS_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// Largest `POST /tools/invoke` body (upstream 2 MB); a larger one gets 413.
pub(crate) const TOOLS_INVOKE_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// WebSocket close codes the gateway uses.
pub(crate) mod close {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// Protocol error (protocol version mismatch, a malformed WebSocket frame).
    pub const PROTOCOL: u16 = 1002;
    /// Invalid frame payload data (a text frame that is not UTF-8).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Policy violation (bad handshake, auth failure, slow consumer).
    pub const POLICY: u16 = 1008;
    /// Message too big (pre-auth payload cap, `maxPayload`).
    pub const TOO_BIG: u16 = 1009;
    /// Server restart or shutdown.
    pub const RESTART: u16 = 1012;
    /// Try again later (too many unauthenticated connections: this one waited longest).
    pub const TRY_AGAIN_LATER: u16 = 1013;
}
