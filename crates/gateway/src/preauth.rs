//! The per-IP budget of sockets that have not finished the handshake, and what the upgrade
//! handler hands a new socket (its failed-auth key, its slot, its place among the
//! unauthenticated connections).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use crate::admission::Ticket;
use crate::auth_limiter::RateKey;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
    pub ticket: Option<Arc<Ticket>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
}
