//! [`Engine::run_worker`]: the sync scheduler's loop. It claims batches of due mailboxes and
//! syncs them with bounded concurrency, claiming again as soon as half a batch has ended
//! (so one slow mailbox does not hold back the rest), and sleeps until the next mailbox is
//! due (at most [`WorkerOptions::max_idle`], and no longer once [`Engine::wake_worker`] is
//! called). On shutdown it claims nothing more, stops the mailboxes in flight (each
//! committed page stays; the rest is redone later) and gives their leases back.

use super::commits::CommitLine;
use super::run::{LEASE_FOR, MailboxOutcome, SyncRunError};
use super::slots::Slots;
use crate::Engine;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use impersync_store::{Lease, Principal, SyncWorker, now_millis};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// How a worker claims and syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOptions {
    /// The worker's name on its leases; unique per process (default `hostname-pid`).
    pub owner: String,
    /// How many mailboxes the worker holds leases on at most; it claims again once half
    /// of them have ended.
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
        let slots = Slots::new(options.concurrency);
        let committer = CommitLine::start(self.store().clone(), principal.clone());
        let batch = options.batch.max(1) as usize;
        let mut rounds = FuturesUnordered::new();
        let mut held: BTreeMap<u64, Vec<Lease>> = BTreeMap::new();
        let mut next_round = 0u64;
        loop {
            if (&mut shutdown).now_or_never().is_some() {
                break;
            }
            // Claims again once half a batch has ended, whichever rounds they were in, so a
            // slow mailbox holds back only its own slot.
            let mut wait = None;
            if slots.held() <= batch / 2 {
                self.side_rounds(&options.owner).await;
                let room = (batch - slots.held()) as u32;
                let now = now_millis();
                match worker
                    .claim_due(&options.owner, room, options.lease_for, now)
                    .await
                {
                    Ok(leases) if leases.is_empty() => {
                        wait = Some(self.idle_wait(&worker, &options).await);
                    }
                    Ok(leases) => {
                        report.claimed += leases.len() as u64;
                        slots.claimed(leases.len());
                        next_round += 1;
                        held.insert(next_round, leases.clone());
                        let round = self.sync_leases(&options, leases, &slots, committer.queue());
                        rounds.push(round.map(move |outcomes| (next_round, outcomes)));
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "worker: cannot claim mailboxes; trying again");
                        wait = Some(options.max_idle);
                    }
                }
            }
            let sleep = tokio::time::sleep(wait.unwrap_or(options.max_idle));
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some((id, outcomes)) = rounds.next(), if !rounds.is_empty() => {
                    held.remove(&id);
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
                () = slots.freed(), if wait.is_none() => {}
                () = self.inner.wake.notified() => {}
                () = sleep, if wait.is_some() => {}
            }
        }
        drop(rounds);
        committer.finish().await;
        for leases in held.values() {
            report.released += release_all(&worker, leases).await;
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
