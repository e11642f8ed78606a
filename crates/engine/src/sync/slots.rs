//! [`Slots`]: what a worker has claimed and not yet finished, across its rounds, and the
//! permits that bound how many of those mailboxes sync at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Notify, Semaphore};

/// The mailboxes a worker holds leases on and has not finished, and its sync permits.
#[derive(Debug)]
pub(super) struct Slots {
    /// One permit per mailbox that may sync at the same time.
    pub(super) permits: Arc<Semaphore>,
    held: AtomicUsize,
    freed: Notify,
}

impl Slots {
    /// Slots for `concurrency` mailboxes syncing at once (at least one).
    pub(super) fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            held: AtomicUsize::new(0),
            freed: Notify::new(),
        }
    }

    /// Mailboxes claimed and not yet ended.
    pub(super) fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// Counts `n` newly claimed mailboxes.
    pub(super) fn claimed(&self, n: usize) {
        self.held.fetch_add(n, Ordering::AcqRel);
    }

    /// One mailbox's sync ended (synced, failed or lost its lease).
    pub(super) fn ended(&self) {
        self.held.fetch_sub(1, Ordering::AcqRel);
        self.freed.notify_one();
    }

    /// Completes once a mailbox has ended since the last call.
    pub(super) async fn freed(&self) {
        self.freed.notified().await;
    }
}
