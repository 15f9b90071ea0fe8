//! The failed-auth rate limiter with lockout (`gateway.auth.rateLimit`), shared by WebSocket
//! connects and HTTP bearer auth. Loopback clients it exempts draw on the shared failure budget
//! of [`crate::loopback_budget`] instead; another local user than the gateway's is locked out on
//! its own (see [`crate::local_peer`]).
//!
//! Failures are keyed by the client IP as the gateway sees it: the socket's peer address, or
//! the address a proxy listed in `gateway.trustedProxies` forwarded (`X-Forwarded-For`, see
//! [`crate::peer::client_ip`]). Forwarded headers from anyone else are ignored, so a client
//! cannot pick its own key.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rustyclaw_config::GatewayAuth;

use crate::limits::MAX_AUTH_FAILURE_RECORDS;
use crate::loopback_budget::LoopbackBudget;
use crate::peer::unmap;

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
            _ if ip.is_loopback() && ip == unmap(addr.ip()) => RateKey::Local(addr),
            _ => RateKey::Ip(ip),
        }
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
    loopback: LoopbackBudget,
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
            loopback: LoopbackBudget::default(),
        }
    }

    /// Whom `key`'s failures are charged to. A loopback client that is not a browser page is
    /// exempt from the lockout while `exemptLoopback` is on, and draws on the shared loopback
    /// budget instead — unless it belongs to another local user than the gateway's (looked up
    /// only when `resolve_users` is set: it reads the kernel's socket tables), which is locked
    /// out on its own.
    fn charge(&self, key: &RateKey, resolve_users: bool) -> Charge {
        match key {
            RateKey::Local(addr) if !self.exempts_loopback(unmap(addr.ip())) => {
                Charge::Entry(RateKey::Ip(unmap(addr.ip())))
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
        if !entries.contains_key(&key) && entries.len() >= MAX_AUTH_FAILURE_RECORDS {
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

/// Whole milliseconds, rounded up so a client never retries a moment too early.
pub(crate) fn millis(duration: Duration) -> u64 {
    let ms = duration.as_millis() + u128::from(!duration.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(ms).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(exempt_loopback: bool) -> AuthLimiter {
        AuthLimiter {
            max_attempts: 3,
            window: Duration::from_secs(60),
            lockout: Duration::from_millis(200),
            exempt_loopback,
            own_uid: crate::local_peer::own_uid(),
            entries: Mutex::new(HashMap::new()),
            loopback: LoopbackBudget::default(),
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
}
