//! [`Engine::run_worker`]: the sync scheduler's loop. It claims batches of due mailboxes,
//! syncs them with bounded concurrency, and sleeps until the next mailbox is due (at most
//! [`WorkerOptions::max_idle`], and no longer once [`Engine::wake_worker`] is called). On
//! shutdown it claims nothing more, stops the mailboxes in flight (each committed page
//! stays; the rest is redone later) and gives their leases back.

use super::run::{LEASE_FOR, MailboxOutcome, SyncRunError};
use crate::Engine;
use futures_util::FutureExt;
use impersync_store::{Lease, Principal, SyncWorker, now_millis};
use std::future::Future;
use std::time::Duration;

/// How a worker claims and syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOptions {
    /// The worker's name on its leases; unique per process (default `hostname-pid`).
    pub owner: String,
    /// How many mailboxes one claim takes.
    pub batch: u32,
    /// How many mailboxes sync at the same time.
    pub concurrency: usize,
    /// How long a claim holds a mailbox; renewed every third of it while the mailbox waits
    /// or syncs.
    pub lease_for: Duration,
    /// The longest sleep while nothing is due.
    pub max_idle: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            owner: default_owner(),
            batch: 16,
            concurrency: 4,
            lease_for: LEASE_FOR,
            max_idle: Duration::from_secs(5),
        }
    }
}

/// `hostname-pid`: distinct for each worker process.
pub fn default_owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "impersync".into());
    format!("{host}-{}", std::process::id())
}

/// What a worker did until it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Mailboxes claimed.
    pub claimed: u64,
    /// Mailboxes synced to the end.
    pub synced: u64,
    /// Mailboxes whose sync failed (backed off or needing attention).
    pub failed: u64,
    /// Mailboxes whose lease was lost meanwhile.
    pub lost: u64,
    /// Leases given back at shutdown.
    pub released: u64,
}

impl WorkerReport {
    fn add(&mut self, outcomes: &[MailboxOutcome]) {
        for outcome in outcomes {
            match &outcome.result {
                Ok(_) => self.synced += 1,
                Err(_) if outcome.lease_lost => self.lost += 1,
                Err(_) => self.failed += 1,
            }
        }
    }
}

impl Engine {
    /// Wakes the workers of this process at once, e.g. after "sync now" or an activation.
    pub fn wake_worker(&self) {
        self.inner.wake.notify_one();
    }

    /// Runs the sync scheduler until `shutdown` completes; returns what it did. A store
    /// that fails to answer is tried again after [`WorkerOptions::max_idle`].
    pub async fn run_worker(
        &self,
        options: WorkerOptions,
        shutdown: impl Future<Output = ()>,
    ) -> Result<WorkerReport, SyncRunError> {
        let principal = Principal::system(&options.owner);
        let worker = self.store().sync_worker(&principal)?;
        let mut report = WorkerReport::default();
        tracing::info!(owner = %options.owner, batch = options.batch, concurrency = options.concurrency, "worker: started");
        let shutdown = shutdown.fuse();
        tokio::pin!(shutdown);
        loop {
            if (&mut shutdown).now_or_never().is_some() {
                break;
            }
            self.side_rounds(&options.owner).await;
            let claimed = worker
                .claim_due(
                    &options.owner,
                    options.batch.max(1),
                    options.lease_for,
                    now_millis(),
                )
                .await;
            let leases = match claimed {
                Ok(leases) => leases,
                Err(e) => {
                    tracing::warn!(error = %e, "worker: cannot claim mailboxes; trying again");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(options.max_idle) => continue,
                    }
                }
            };
            if leases.is_empty() {
                let wait = self.idle_wait(&worker, &options).await;
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(wait) => {}
                    () = self.inner.wake.notified() => {}
                }
                continue;
            }
            report.claimed += leases.len() as u64;
            let round = self.sync_leases(&options, leases.clone());
            tokio::select! {
                biased;
                outcomes = round => {
                    report.add(&outcomes);
                    tracing::info!(
                        claimed = report.claimed,
                        synced = report.synced,
                        failed = report.failed,
                        lost = report.lost,
                        "worker: batch of {} finished",
                        outcomes.len()
                    );
                }
                () = &mut shutdown => {
                    report.released += release_all(&worker, &leases).await;
                    break;
                }
            }
        }
        tracing::info!(
            claimed = report.claimed,
            synced = report.synced,
            failed = report.failed,
            lost = report.lost,
            released = report.released,
            "worker: stopped"
        );
        Ok(report)
    }

    /// The work a worker does besides mailboxes, once per turn of its loop: deliver the
    /// change feed to due webhooks, and refresh room directories older than an hour.
    /// Failures are logged and tried again on a later turn.
    async fn side_rounds(&self, owner: &str) {
        match self.deliver_webhooks(owner).await {
            Ok(round) if !round.attempts.is_empty() => tracing::info!(
                attempts = round.attempts.len(),
                delivered = round.delivered(),
                "worker: webhook deliveries"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "worker: cannot deliver webhooks"),
        }
        if let Err(e) = self.sync_rooms_due(owner).await {
            tracing::warn!(error = %e, "worker: cannot refresh room directories");
        }
    }

    /// How long to sleep with nothing claimed: until the next mailbox is due, at most
    /// `max_idle`.
    async fn idle_wait(&self, worker: &SyncWorker<'_>, options: &WorkerOptions) -> Duration {
        match worker.next_due_at().await {
            Ok(Some(due)) => {
                let ms = u64::try_from(due.saturating_sub(now_millis())).unwrap_or(0);
                Duration::from_millis(ms).min(options.max_idle)
            }
            Ok(None) => options.max_idle,
            Err(e) => {
                tracing::warn!(error = %e, "worker: cannot read the schedule");
                options.max_idle
            }
        }
    }
}

/// Gives back the leases still held (the others finished or were lost); how many.
async fn release_all(worker: &SyncWorker<'_>, leases: &[Lease]) -> u64 {
    let mut released = 0;
    for lease in leases {
        if worker.release(lease, now_millis()).await.is_ok() {
            released += 1;
            tracing::info!(email = %lease.email, "worker: lease given back at shutdown");
        }
    }
    released
}
