//! Large requests: a budget of their bytes in flight, shared by every connection.
//!
//! A request of several megabytes (a pasted document in `chat.send`) costs several copies of
//! itself while it is handled: the parsed params, the message handed to the agent, its
//! transcript row, the model request. Upstream accepts frames up to `maxPayload` (25 MiB) and
//! refusing what it accepts would break its clients, so a burst of them is slowed down instead:
//! a frame of at least [`LARGE_REQUEST_BYTES`](crate::limits::LARGE_REQUEST_BYTES) takes its
//! size (at most the whole budget) from this budget before it is parsed, and gives it back when
//! the work it started is over — for `chat.send`, when its run ends. While a connection waits
//! for its share it reads nothing more from its socket, so TCP holds its client back; the other
//! clients, and the events to this one, go on.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bytes of large requests being handled, from all connections together.
#[derive(Debug)]
pub(crate) struct InboundBudget {
    /// One permit per byte.
    bytes: Arc<Semaphore>,
    /// The whole budget: the most one request takes, so a request larger than it still runs.
    limit: u32,
}

/// A large request's share of the budget, given back when dropped.
#[derive(Debug)]
pub(crate) struct InboundPermit {
    _bytes: Option<OwnedSemaphorePermit>,
}

impl InboundBudget {
    /// A budget of `limit` bytes (at most `u32::MAX`; at least one byte).
    pub fn new(limit: usize) -> Self {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX).max(1);
        Self {
            bytes: Arc::new(Semaphore::new(limit as usize)),
            limit,
        }
    }

    /// Waits until `bytes` (capped at the whole budget) are free and takes them. Requests queue
    /// in arrival order, so a large one is not starved by smaller ones behind it.
    pub async fn admit(&self, bytes: usize) -> InboundPermit {
        let wanted = u32::try_from(bytes)
            .unwrap_or(u32::MAX)
            .clamp(1, self.limit);
        // The semaphore is never closed, so acquiring cannot fail; should it ever, the request
        // goes on holding nothing rather than failing.
        let bytes = Arc::clone(&self.bytes)
            .acquire_many_owned(wanted)
            .await
            .ok();
        InboundPermit { _bytes: bytes }
    }

    /// Bytes of the budget not taken (for tests).
    #[cfg(test)]
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn large_requests_wait_for_each_other_and_one_larger_than_the_budget_still_runs() {
        let budget = InboundBudget::new(10);
        let first = budget.admit(6).await;
        assert_eq!(budget.available(), 4);
        // The second does not fit until the first is done.
        let second = budget.admit(6);
        tokio::pin!(second);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), &mut second)
                .await
                .is_err()
        );
        drop(first);
        let second = second.await;
        drop(second);
        // Larger than the whole budget: it takes all of it, and is not refused.
        let huge = budget.admit(1000).await;
        assert_eq!(budget.available(), 0);
        drop(huge);
        assert_eq!(budget.available(), 10);
    }
}
