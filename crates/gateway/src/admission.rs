//! Connections that have not authenticated yet, oldest first, under one cap for all clients.
//!
//! Every accepted TCP connection is entered here until it proves who it is: a WebSocket whose
//! `connect` succeeded, or an HTTP request whose bearer secret was accepted. Until then it is
//! a file descriptor and some buffers that may belong to nothing but a stalled attacker, so
//! their number is capped well below the descriptor limit. When the cap is reached, the entry
//! that has waited longest is closed to admit the newcomer, rather than newcomers being
//! refused: a local process that opens sockets in a loop then cannot lock out the owner's CLI,
//! whose socket is the newest one and authenticates within milliseconds. Authenticated
//! connections are not in the table, so it never closes them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The connections that have not authenticated.
#[derive(Debug)]
pub(crate) struct Unauthenticated {
    max: usize,
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    /// By admission order; the value tells the connection it was evicted.
    waiting: BTreeMap<u64, watch::Sender<bool>>,
}

impl Unauthenticated {
    /// A table admitting at most `max` connections at a time (at least one).
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            table: Mutex::new(Table::default()),
        })
    }

    /// Enters a new connection, evicting the one that has waited longest when the table is
    /// full.
    pub fn admit(self: &Arc<Self>) -> Ticket {
        let (evict, evicted) = watch::channel(false);
        let mut table = lock(&self.table);
        while table.waiting.len() >= self.max {
            let Some((_, oldest)) = table.waiting.pop_first() else {
                break;
            };
            oldest.send_replace(true);
            tracing::debug!(
                max = self.max,
                "too many unauthenticated connections; closed the oldest"
            );
        }
        let id = table.next_id;
        table.next_id += 1;
        table.waiting.insert(id, evict);
        Ticket {
            table: Arc::clone(self),
            id,
            evicted,
        }
    }

    /// Evicts the connection that has waited longest; `false` when the table is empty.
    pub fn evict_oldest(&self) -> bool {
        let oldest = lock(&self.table).waiting.pop_first();
        oldest.is_some_and(|(_, evict)| {
            evict.send_replace(true);
            true
        })
    }

    /// Connections in the table.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        lock(&self.table).waiting.len()
    }

    fn remove(&self, id: u64) {
        lock(&self.table).waiting.remove(&id);
    }
}

/// One connection's place in the table; dropping it (the connection ended) leaves the table.
#[derive(Debug)]
pub(crate) struct Ticket {
    table: Arc<Unauthenticated>,
    id: u64,
    evicted: watch::Receiver<bool>,
}

impl Ticket {
    /// Takes the connection out of the table for good: it authenticated.
    pub fn authenticated(&self) {
        self.table.remove(self.id);
    }

    /// Whether the connection is still in the table: it has neither authenticated nor been
    /// evicted.
    pub fn waiting(&self) -> bool {
        lock(&self.table.table).waiting.contains_key(&self.id)
    }

    /// Completes when the table closed this connection to admit a newer one; never once the
    /// connection authenticated.
    pub async fn evicted(&self) {
        let mut evicted = self.evicted.clone();
        // `Err`: the entry was removed without an eviction (authenticated), so it never will be.
        if evicted.wait_for(|evicted| *evicted).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.table.remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn is_evicted(ticket: &Ticket) -> bool {
        *ticket.evicted.borrow()
    }

    #[tokio::test]
    async fn a_full_table_evicts_the_oldest_and_admits_the_newcomer() {
        let table = Unauthenticated::new(2);
        let first = table.admit();
        let second = table.admit();
        assert!(!is_evicted(&first));
        let third = table.admit();
        assert!(is_evicted(&first) && !is_evicted(&second) && !is_evicted(&third));
        tokio::time::timeout(Duration::from_secs(5), first.evicted())
            .await
            .unwrap();
        assert!(!first.waiting() && second.waiting());
        assert_eq!(table.len(), 2);
        // An authenticated connection leaves the table and is never evicted.
        second.authenticated();
        assert_eq!(table.len(), 1);
        let fourth = table.admit();
        let _fifth = table.admit();
        assert!(!is_evicted(&second) && is_evicted(&third));
        assert!(
            tokio::time::timeout(Duration::from_millis(50), second.evicted())
                .await
                .is_err()
        );
        drop(fourth);
        assert_eq!(table.len(), 1);
    }
}
