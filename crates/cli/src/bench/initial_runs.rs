//! `bench all`'s initial syncs: the large mailboxes synced from the shared simulator into
//! a fresh store, by worker tasks in this process (SQLite) or by `impersync worker`
//! processes (PostgreSQL, see `pg_workers`), checked against the store before they count.

use super::machine::{reset_peak_rss, rss_mib};
use super::scenario::FolderItems;
use super::sim_process::SimProcess;
use super::sync_bench::{self, SyncBench, SyncTarget};
use super::{sync_drive, sync_verify};
use anyhow::{Context, bail};
use std::sync::Arc;

/// One initial sync's figures.
#[derive(Debug, Clone, Copy)]
pub struct InitialRun {
    /// Workers (tasks on SQLite, processes on PostgreSQL).
    pub workers: usize,
    /// Mailboxes each worker syncs at once.
    pub concurrency: usize,
    /// Items per second, end to end.
    pub rate: f64,
    /// Seconds, end to end.
    pub secs: f64,
    /// Peak RSS of the syncing process (the largest worker process on PostgreSQL).
    pub peak_rss_mib: f64,
}

impl InitialRun {
    /// Mailboxes syncing at once: workers × concurrency.
    pub fn in_flight(&self) -> usize {
        self.workers * self.concurrency
    }
}

/// The large mailboxes and what each holds.
pub struct LargeSet<'a> {
    /// The shared simulator.
    pub sim: &'a Arc<SimProcess>,
    /// The mailboxes.
    pub addresses: &'a [String],
    /// The items of each.
    pub items: &'a FolderItems,
    /// Mailboxes one claim takes.
    pub batch: u32,
}

/// Syncs the set into a fresh SQLite store with one worker task and `concurrency`
/// mailboxes in flight.
pub async fn sqlite(set: &LargeSet<'_>, concurrency: usize) -> anyhow::Result<InitialRun> {
    let dir = sync_bench::temp_dir(&format!("initial-sqlite-{concurrency}"))?;
    let target = SyncTarget {
        addresses: set.addresses,
        database_url: None,
        poll_interval_secs: 3_600,
        concurrency,
    };
    let bench = SyncBench::on(set.sim.clone(), dir, &target).await?;
    reset_peak_rss();
    let bar = sync_drive::progress(set.addresses.len() as u64, "synced");
    let driven = sync_drive::drive(&bench.engine, 1, set.batch, &bar).await?;
    let (_, peak) = rss_mib();
    if driven.failed > 0 {
        bail!(
            "{} mailboxes failed; the benchmark is not valid: {:?}",
            driven.failed,
            driven.failures
        );
    }
    verify(&bench, set).await?;
    let secs = driven.elapsed.as_secs_f64();
    bench.finish().await;
    Ok(InitialRun {
        workers: 1,
        concurrency,
        rate: expected(set) as f64 / secs,
        secs,
        peak_rss_mib: peak,
    })
}

/// Items the set holds in all.
pub fn expected(set: &LargeSet<'_>) -> u64 {
    set.items.per_mailbox() * set.addresses.len() as u64
}

/// Fails unless the store holds exactly the set's items and one `created` row each.
pub async fn verify(bench: &SyncBench, set: &LargeSet<'_>) -> anyhow::Result<()> {
    sync_verify::initial_sync(&bench.store, bench.org, &bench.users, set.items)
        .await
        .context("the store does not hold what the simulator does")
}
