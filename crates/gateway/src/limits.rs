//! The gateway's limits: one table of the per-ingress limits (sizes, budgets and timeouts, most
//! of them upstream's), then the abuse limits in front of authentication: the failed-auth rate
//! limiter with lockout (and, for the loopback clients it exempts, the shared failure budget of
//! [`crate::loopback_budget`]), and the per-IP budget of sockets that have not finished the
//! handshake.
//!
//! The abuse limits are keyed by the client IP as the gateway sees it: the socket's peer
//! address, or the address a proxy listed in `gateway.trustedProxies` forwarded
//! (`X-Forwarded-For`). Forwarded headers from anyone else are ignored, so a client cannot pick
//! its own key.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use rustyclaw_config::GatewayAuth;
use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
use serde_json::json;
use tokio::sync::watch;

use crate::handshake::{Rejection, close};
use crate::peer::Peer;
use crate::state::GatewayState;

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

/// Largest `POST /v1/chat/completions` body (upstream 20 MiB); a larger one gets 413.
pub(crate) const CHAT_COMPLETIONS_MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// Largest `POST /tools/invoke` body (upstream 2 MB); a larger one gets 413.
pub(crate) const TOOLS_INVOKE_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Failure records kept at most; beyond it the oldest unlocked ones are dropped (upstream's cap).
const MAX_ENTRIES: usize = 10_000;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Who a failed attempt is charged to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RateKey {
    /// A client IP.
    Ip(IpAddr),
    /// A browser page on this machine, by its origin: loopback is exempt for local tools, but a
    /// web page the user happens to visit must not get unlimited guesses at the token
    /// ("ClawJacked"), so browser-origin sockets from loopback are charged per origin and never
    /// exempt.
    BrowserOrigin(String),
    /// A direct loopback socket (no browser origin, no proxy), by its full address, so that
    /// the local user behind it can be looked up when it presents a wrong secret. Never a key
    /// of the failure table: it is charged as [`RateKey::LocalUser`] (another user),
    /// [`RateKey::Ip`] (loopback not exempt), or to the shared loopback budget.
    Local(SocketAddr),
    /// Another local user than the gateway's, on loopback: locked out like a remote client.
    /// Loopback is exempt so that no local process can lock the *owner* out; a process of
    /// another user locks out only that user.
    LocalUser(u32),
}

impl RateKey {
    /// The key of a client at `addr` (the socket's peer) whose client IP is `ip` (`addr`'s, or
    /// the one a trusted proxy forwarded): per origin for a browser on loopback,
    /// [`RateKey::Local`] for a direct loopback socket, else per IP.
    pub fn for_socket(addr: SocketAddr, ip: IpAddr, origin: Option<&str>) -> Self {
        match origin.map(str::trim).filter(|o| !o.is_empty()) {
            Some(origin) if ip.is_loopback() => {
                RateKey::BrowserOrigin(crate::origin::normalize(origin).unwrap_or_default())
            }
            _ if ip.is_loopback() && ip == unmapped(addr.ip()) => RateKey::Local(addr),
            _ => RateKey::Ip(ip),
        }
    }
}

/// `ip` with an IPv4-mapped IPv6 address unwrapped.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        ip => ip,
    }
}

/// Whom a failure of a key is charged to.
enum Charge {
    /// The shared loopback budget: never locked out, answered when the budget allows.
    LoopbackBudget,
    /// This entry of the failure table.
    Entry(RateKey),
}

#[derive(Debug)]
struct Entry {
    /// Failures inside the window, oldest first.
    failures: Vec<Instant>,
    locked_until: Option<Instant>,
    /// When the entry was created, for evicting the oldest first.
    created: Instant,
}

/// Failed-auth counter per client with lockout (`gateway.auth.rateLimit`).
#[derive(Debug)]
pub(crate) struct AuthLimiter {
    max_attempts: usize,
    window: Duration,
    lockout: Duration,
    exempt_loopback: bool,
    /// The gateway's effective uid: loopback clients of this user are the owner's.
    own_uid: u32,
    entries: Mutex<HashMap<RateKey, Entry>>,
    /// The failure budget the exempt loopback clients share.
    loopback: crate::loopback_budget::LoopbackBudget,
}

impl AuthLimiter {
    /// A limiter with the resolved `gateway.auth.rateLimit` settings.
    pub fn new(auth: &GatewayAuth) -> Self {
        Self {
            max_attempts: usize::try_from(auth.max_attempts.max(1)).unwrap_or(usize::MAX),
            window: auth.window,
            lockout: auth.lockout,
            exempt_loopback: auth.exempt_loopback,
            own_uid: crate::local_peer::own_uid(),
            entries: Mutex::new(HashMap::new()),
            loopback: crate::loopback_budget::LoopbackBudget::default(),
        }
    }

    /// Whom `key`'s failures are charged to. A loopback client that is not a browser page is
    /// exempt from the lockout while `exemptLoopback` is on, and draws on the shared loopback
    /// budget instead — unless it belongs to another local user than the gateway's (looked up
    /// only when `resolve_users` is set: it reads the kernel's socket tables), which is locked
    /// out on its own.
    fn charge(&self, key: &RateKey, resolve_users: bool) -> Charge {
        match key {
            RateKey::Local(addr) if !self.exempts_loopback(unmapped(addr.ip())) => {
                Charge::Entry(RateKey::Ip(unmapped(addr.ip())))
            }
            RateKey::Local(addr) => match resolve_users
                .then(|| crate::local_peer::uid_of(*addr))
                .flatten()
            {
                Some(uid) if uid != self.own_uid => Charge::Entry(RateKey::LocalUser(uid)),
                _ => Charge::LoopbackBudget,
            },
            RateKey::Ip(ip) if self.exempts_loopback(*ip) => Charge::LoopbackBudget,
            key => Charge::Entry(key.clone()),
        }
    }

    /// Whether any local user other than the gateway's has a failure record, so that a
    /// loopback client must be looked up to know whether it is locked out.
    fn has_local_users(&self) -> bool {
        lock(&self.entries)
            .keys()
            .any(|key| matches!(key, RateKey::LocalUser(_)))
    }

    /// Whether `ip` is a loopback address exempt from the lockout (`exemptLoopback`).
    pub fn exempts_loopback(&self, ip: IpAddr) -> bool {
        self.exempt_loopback && ip.is_loopback()
    }

    /// `Err(retry_after)` while `key` is locked out.
    pub fn check(&self, key: &RateKey) -> Result<(), Duration> {
        let resolve = matches!(key, RateKey::Local(_)) && self.has_local_users();
        let Charge::Entry(key) = self.charge(key, resolve) else {
            return Ok(());
        };
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        let Some(entry) = entries.get_mut(&key) else {
            return Ok(());
        };
        match entry.locked_until {
            Some(until) if now < until => Err(until - now),
            Some(_) => {
                entry.locked_until = None;
                entry.failures.clear();
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a wrong credential; the `max_attempts`-th inside the window starts the lockout.
    /// Returns how long the answer to it must wait: zero, except for an exempt loopback client,
    /// which is never locked out but is answered only when the shared loopback budget allows.
    #[must_use = "the answer to an exempt client's failure must wait for the budget"]
    pub fn record_failure(&self, key: &RateKey) -> Duration {
        let key = match self.charge(key, true) {
            Charge::LoopbackBudget => return self.loopback.charge(Instant::now()),
            Charge::Entry(key) => key,
        };
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        if !entries.contains_key(&key) && entries.len() >= MAX_ENTRIES {
            evict_oldest(&mut entries, now);
        }
        let entry = entries.entry(key).or_insert_with(|| Entry {
            failures: Vec::new(),
            locked_until: None,
            created: now,
        });
        if entry.locked_until.is_some_and(|until| now < until) {
            return Duration::ZERO;
        }
        let window = self.window;
        entry
            .failures
            .retain(|at| now.saturating_duration_since(*at) < window);
        entry.failures.push(now);
        if entry.failures.len() >= self.max_attempts {
            entry.locked_until = Some(now + self.lockout);
        }
        Duration::ZERO
    }

    /// Takes over the loopback failure budget of the limiter this one replaces (in-process
    /// restart), so a restart does not hand a guesser a fresh burst.
    pub fn inherit(&self, previous: &AuthLimiter) {
        self.loopback.inherit(&previous.loopback);
    }

    /// Forgets `key`'s failures after it authenticated (other clients keep theirs).
    pub fn reset(&self, key: &RateKey) {
        let resolve = matches!(key, RateKey::Local(_)) && self.has_local_users();
        if let Charge::Entry(key) = self.charge(key, resolve) {
            lock(&self.entries).remove(&key);
        }
    }
}

/// Drops the oldest entry that is not locked, so a flood of fresh addresses cannot free a
/// locked-out one by pushing it out.
fn evict_oldest(entries: &mut HashMap<RateKey, Entry>, now: Instant) {
    let oldest = entries
        .iter()
        .filter(|(_, e)| e.locked_until.is_none_or(|until| now >= until))
        .min_by_key(|(_, e)| e.created)
        .map(|(k, _)| k.clone());
    if let Some(key) = oldest {
        entries.remove(&key);
    }
}

/// Unauthenticated sockets per client IP.
#[derive(Debug, Default)]
pub(crate) struct PreauthBudget {
    open: Mutex<PreauthTable>,
}

#[derive(Debug, Default)]
struct PreauthTable {
    next_id: u64,
    /// Per address, the open sockets by admission order; the value tells a socket it was
    /// closed to make room.
    by_ip: HashMap<IpAddr, BTreeMap<u64, watch::Sender<bool>>>,
}

/// What to do when an address already has its budget of unauthenticated sockets open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenFull {
    /// Refuse the newcomer (upstream: HTTP 503).
    Refuse,
    /// Close that address's socket that has waited longest and admit the newcomer: for
    /// loopback, where every local process shares the owner's address.
    EvictOldest,
}

impl PreauthBudget {
    /// A slot for one more unauthenticated socket from `ip`, or `None` when it has `max` open
    /// and `when_full` is [`WhenFull::Refuse`].
    pub fn acquire(
        self: &Arc<Self>,
        ip: IpAddr,
        max: usize,
        when_full: WhenFull,
    ) -> Option<PreauthSlot> {
        let mut table = lock(&self.open);
        let id = table.next_id;
        table.next_id += 1;
        let open = table.by_ip.entry(ip).or_default();
        while open.len() >= max.max(1) {
            if when_full == WhenFull::Refuse {
                return None;
            }
            if let Some((_, oldest)) = open.pop_first() {
                oldest.send_replace(true);
                tracing::debug!(%ip, max, "too many unauthenticated sockets from one loopback address; closed the oldest");
            }
        }
        let (evict, evicted) = watch::channel(false);
        open.insert(id, evict);
        Some(PreauthSlot {
            budget: Arc::clone(self),
            ip,
            id,
            evicted,
        })
    }

    #[cfg(test)]
    fn open(&self, ip: IpAddr) -> usize {
        lock(&self.open).by_ip.get(&ip).map_or(0, BTreeMap::len)
    }
}

/// One counted unauthenticated socket; dropping it (when the handshake ends either way, when a
/// wrong secret waits for its answer, or when the upgrade never completes) gives the slot back.
#[derive(Debug)]
pub(crate) struct PreauthSlot {
    budget: Arc<PreauthBudget>,
    ip: IpAddr,
    id: u64,
    evicted: watch::Receiver<bool>,
}

impl PreauthSlot {
    /// Completes when the slot was taken back to admit a newer socket from the same loopback
    /// address; never once the slot was given back.
    pub fn evicted(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut evicted = self.evicted.clone();
        async move {
            // `Err`: the slot was given back without an eviction, so none will come.
            if evicted.wait_for(|evicted| *evicted).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

impl Drop for PreauthSlot {
    fn drop(&mut self) {
        let mut table = lock(&self.budget.open);
        if let Some(open) = table.by_ip.get_mut(&self.ip) {
            open.remove(&self.id);
            if open.is_empty() {
                table.by_ip.remove(&self.ip);
            }
        }
    }
}

/// What the upgrade handler hands a new socket: who it is charged to, its pre-auth slot and its
/// place among the unauthenticated connections, held until the handshake ends.
#[derive(Debug)]
pub(crate) struct Admission {
    /// The failed-auth key of the socket.
    pub key: RateKey,
    /// The socket's unauthenticated-socket slot.
    pub slot: PreauthSlot,
    /// The connection's entry in the unauthenticated table (`None` when the router is not
    /// driven by [`crate::serve`]).
    pub ticket: Option<Arc<crate::admission::Ticket>>,
}

/// The client IP of a request: the peer address, unless the peer is a trusted proxy, in which
/// case the nearest `X-Forwarded-For` hop that is not itself a trusted proxy.
pub(crate) fn client_ip(addr: SocketAddr, headers: &HeaderMap, trusted: &[String]) -> IpAddr {
    let peer = unmap(addr.ip());
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .map(unmap)
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip, trusted))
        .unwrap_or(peer)
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        ip => ip,
    }
}

/// Whether `ip` matches an entry of `gateway.trustedProxies` (an address or a CIDR block).
fn is_trusted(ip: IpAddr, trusted: &[String]) -> bool {
    trusted.iter().any(|entry| {
        let entry = entry.trim();
        let (base, bits) = match entry.split_once('/') {
            Some((base, bits)) => (base, bits.parse::<u32>().ok()),
            None => (entry, None),
        };
        let Ok(base) = base.parse::<IpAddr>().map(unmap) else {
            return false;
        };
        match (ip, base) {
            (IpAddr::V4(ip), IpAddr::V4(base)) => prefix_match(
                u128::from(ip.to_bits()),
                u128::from(base.to_bits()),
                32,
                bits,
            ),
            (IpAddr::V6(ip), IpAddr::V6(base)) => {
                prefix_match(ip.to_bits(), base.to_bits(), 128, bits)
            }
            _ => false,
        }
    })
}

fn prefix_match(ip: u128, base: u128, width: u32, bits: Option<u32>) -> bool {
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (ip >> shift) == (base >> shift)
}

/// The checks a WebSocket `connect` passes before its credentials are looked at: the browser
/// `Origin` allowlist, then the lockout of its client. `Err` is the rejection to send (close
/// 1008).
pub(crate) fn screen_connect(
    state: &GatewayState,
    peer: &Peer,
    key: &RateKey,
) -> Result<(), Rejection> {
    let gateway = &state.0.config.gateway;
    if let Some(origin) = peer.origin.as_deref().filter(|o| !o.trim().is_empty())
        && let Err(reason) = crate::origin::check(origin, &gateway.allowed_origins, peer.is_local())
    {
        return Err(policy(
            ErrorShape::new(
                ErrorCode::InvalidRequest,
                "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)",
            )
            .with_details(json!({"code": "CONTROL_UI_ORIGIN_NOT_ALLOWED", "reason": reason})),
        ));
    }
    if let Err(retry_after) = state.0.limiter.check(key) {
        let mut error = ErrorShape::new(
            ErrorCode::InvalidRequest,
            "unauthorized: too many failed authentication attempts (retry later)",
        )
        .with_details(json!({
            "code": "AUTH_RATE_LIMITED",
            "authReason": "rate_limited",
            "canRetryWithDeviceToken": false,
            "recommendedNextStep": "wait_then_retry",
        }));
        error.retryable = Some(true);
        error.retry_after_ms = Some(millis(retry_after));
        return Err(policy(error));
    }
    Ok(())
}

/// Charges a wrong credential to the client, or clears its record once it authenticated with
/// the shared secret. Missing credentials are not charged (a browser opening the page without
/// a token yet is not guessing), as upstream. Returns how long the rejection must wait before
/// it is sent (see [`AuthLimiter::record_failure`]); zero for everything else.
#[must_use = "the rejection of an exempt client's wrong secret must wait for the budget"]
pub(crate) fn record_connect(
    state: &GatewayState,
    key: &RateKey,
    outcome: Result<&str, &Rejection>,
) -> Duration {
    match outcome {
        Ok("token" | "password") => {
            state.0.limiter.reset(key);
            Duration::ZERO
        }
        Ok(_) => Duration::ZERO,
        Err(rejection) => {
            let code = rejection
                .error
                .details
                .as_ref()
                .and_then(|d| d.get("code"))
                .and_then(serde_json::Value::as_str);
            if code.is_some_and(is_wrong_credential) {
                state.0.limiter.record_failure(key)
            } else {
                Duration::ZERO
            }
        }
    }
}

/// Detail codes of a presented but wrong credential.
fn is_wrong_credential(code: &str) -> bool {
    matches!(
        code,
        "AUTH_TOKEN_MISMATCH"
            | "AUTH_PASSWORD_MISMATCH"
            | "AUTH_DEVICE_TOKEN_MISMATCH"
            | "AUTH_BOOTSTRAP_TOKEN_INVALID"
    )
}

fn policy(error: ErrorShape) -> Rejection {
    Rejection {
        error: Box::new(error),
        close_code: close::POLICY,
    }
}

/// Whole milliseconds, rounded up so a client never retries a moment too early.
pub(crate) fn millis(duration: Duration) -> u64 {
    let ms = duration.as_millis() + u128::from(!duration.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(ms).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn limiter(exempt_loopback: bool) -> AuthLimiter {
        AuthLimiter {
            max_attempts: 3,
            window: Duration::from_secs(60),
            lockout: Duration::from_millis(200),
            exempt_loopback,
            own_uid: crate::local_peer::own_uid(),
            entries: Mutex::new(HashMap::new()),
            loopback: crate::loopback_budget::LoopbackBudget::default(),
        }
    }

    #[test]
    fn another_local_user_is_locked_out_on_its_own_and_the_owner_stays_exempt() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server_end, peer) = listener.accept().unwrap();
        let key = RateKey::for_socket(peer, peer.ip(), None);
        assert_eq!(key, RateKey::Local(peer));

        // The socket is this process's: the owner's, exempt, charged to the budget.
        let owner = limiter(true);
        for _ in 0..5 {
            let _ = owner.record_failure(&key);
        }
        assert!(owner.check(&key).is_ok());
        assert!(lock(&owner.entries).is_empty());

        // Seen from a gateway running as another user, the same socket is a stranger's.
        let mut other = limiter(true);
        other.own_uid = crate::local_peer::own_uid().wrapping_add(1);
        for _ in 0..3 {
            assert_eq!(other.record_failure(&key), Duration::ZERO);
        }
        assert!(
            other.check(&key).is_err(),
            "another user was not locked out"
        );
        let uid = crate::local_peer::own_uid();
        assert!(lock(&other.entries).contains_key(&RateKey::LocalUser(uid)));
        // A socket of the gateway's own user is not caught by that lockout.
        assert!(
            other
                .check(&RateKey::Ip("127.0.0.1".parse().unwrap()))
                .is_ok()
        );

        // With loopback not exempt, a loopback socket is locked out by address as before.
        let strict = limiter(false);
        for _ in 0..3 {
            let _ = strict.record_failure(&key);
        }
        assert!(
            strict
                .check(&RateKey::Ip("127.0.0.1".parse().unwrap()))
                .is_err()
        );
    }

    #[test]
    fn locks_after_max_attempts_and_unlocks_after_lockout() {
        let limiter = limiter(true);
        let key = RateKey::Ip("203.0.113.7".parse().unwrap());
        for _ in 0..2 {
            let _ = limiter.record_failure(&key);
            assert!(limiter.check(&key).is_ok());
        }
        let _ = limiter.record_failure(&key);
        let retry = limiter.check(&key).unwrap_err();
        assert!(retry <= Duration::from_millis(200) && retry > Duration::ZERO);
        // Another client is unaffected.
        assert!(
            limiter
                .check(&RateKey::Ip("203.0.113.8".parse().unwrap()))
                .is_ok()
        );
        std::thread::sleep(Duration::from_millis(250));
        assert!(limiter.check(&key).is_ok());
        // The counter restarted with the lockout's end.
        let _ = limiter.record_failure(&key);
        assert!(limiter.check(&key).is_ok());
    }

    #[test]
    fn loopback_is_exempt_unless_configured_or_a_browser_origin() {
        let key = RateKey::Ip("127.0.0.1".parse().unwrap());
        let exempt = limiter(true);
        for _ in 0..5 {
            let _ = exempt.record_failure(&key);
        }
        assert!(exempt.check(&key).is_ok());
        let browser = RateKey::for_socket(
            "127.0.0.1:5000".parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
            Some("http://evil.example:8080"),
        );
        assert_eq!(
            browser,
            RateKey::BrowserOrigin("http://evil.example:8080".into())
        );
        for _ in 0..3 {
            let _ = exempt.record_failure(&browser);
        }
        assert!(exempt.check(&browser).is_err());
        let strict = limiter(false);
        for _ in 0..3 {
            let _ = strict.record_failure(&key);
        }
        assert!(strict.check(&key).is_err());
    }

    #[test]
    fn eviction_keeps_locked_entries() {
        let limiter = limiter(false);
        let locked = RateKey::Ip("198.51.100.1".parse().unwrap());
        for _ in 0..3 {
            let _ = limiter.record_failure(&locked);
        }
        let mut entries = lock(&limiter.entries);
        let now = Instant::now();
        entries.insert(
            RateKey::Ip("198.51.100.2".parse().unwrap()),
            Entry {
                failures: vec![now],
                locked_until: None,
                created: now,
            },
        );
        evict_oldest(&mut entries, now);
        assert!(entries.contains_key(&locked));
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn preauth_slots_are_counted_and_released() {
        let budget = Arc::new(PreauthBudget::default());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let refuse = WhenFull::Refuse;
        let a = budget.acquire(ip, 2, refuse).unwrap();
        let _b = budget.acquire(ip, 2, refuse).unwrap();
        assert!(budget.acquire(ip, 2, refuse).is_none());
        assert!(
            budget
                .acquire("192.0.2.2".parse().unwrap(), 2, refuse)
                .is_some()
        );
        drop(a);
        assert_eq!(budget.open(ip), 1);
        assert!(budget.acquire(ip, 2, refuse).is_some());
    }

    #[tokio::test]
    async fn a_full_loopback_address_evicts_its_oldest_socket() {
        let budget = Arc::new(PreauthBudget::default());
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let evict = WhenFull::EvictOldest;
        let first = budget.acquire(ip, 2, evict).unwrap();
        let second = budget.acquire(ip, 2, evict).unwrap();
        let third = budget.acquire(ip, 2, evict).unwrap();
        assert_eq!(budget.open(ip), 2);
        tokio::time::timeout(Duration::from_secs(5), first.evicted())
            .await
            .unwrap();
        let quiet = Duration::from_millis(50);
        assert!(tokio::time::timeout(quiet, second.evicted()).await.is_err());
        // A slot given back is never evicted, and dropping the evicted one changes nothing.
        let waiting = second.evicted();
        drop(second);
        assert!(tokio::time::timeout(quiet, waiting).await.is_err());
        drop(first);
        assert_eq!(budget.open(ip), 1);
        drop(third);
        assert_eq!(budget.open(ip), 0);
    }

    #[test]
    fn forwarded_for_is_used_only_from_trusted_proxies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 10.0.0.2"),
        );
        let proxy: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        assert_eq!(
            client_ip(proxy, &headers, &[]),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        let trusted = vec!["10.0.0.0/24".to_owned()];
        assert_eq!(
            client_ip(proxy, &headers, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:1".parse().unwrap();
        assert!(client_ip(mapped, &HeaderMap::new(), &[]).is_loopback());
    }
}
