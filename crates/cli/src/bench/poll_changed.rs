//! The "1 % changed" poll on Impersync's side: new mail is delivered to 1 % of the synced
//! mailboxes, every mailbox is made due, and the real worker loop (`Engine::run_worker`)
//! polls them all while a consumer tails the change feed; the round's mailboxes/s, and for
//! each message the time from its delivery to its row being visible in the feed.

use super::deliver::{self, Delivered};
use super::machine::{reset_peak_rss, rss_mib};
use super::sync_bench::SyncBench;
use super::{sync_org, sync_poll, sync_verify};
use anyhow::{Context, bail};
use impersync_engine::sync::{WorkerOptions, WorkerReport};
use impersync_store::{FeedCursor, FeedKind, PageRequest, now_millis};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the feed consumer reads the feed while it waits for rows.
pub const FEED_READ_EVERY: Duration = Duration::from_millis(20);

/// The longest a round may take before the benchmark gives up.
const ROUND_LIMIT: Duration = Duration::from_secs(600);

/// How the round's workers run.
#[derive(Debug, Clone, Copy)]
pub struct RoundOptions {
    /// Worker loops in this process.
    pub workers: usize,
    /// Mailboxes one claim takes.
    pub batch: u32,
    /// Mailboxes a worker syncs at once.
    pub concurrency: usize,
}

/// What the round measured.
pub struct ChangedPoll {
    /// Seconds from the workers' start until every mailbox was polled.
    pub secs: f64,
    /// Messages delivered (1 % of the mailboxes).
    pub delivered: usize,
    /// Seconds from each delivery to its row being read from the feed.
    pub latencies: Vec<f64>,
    /// This process's peak RSS during the round.
    pub peak_rss_mib: f64,
}

/// Runs the round over `bench`'s mailboxes, which must be synced and idle.
pub async fn run(bench: &SyncBench, options: RoundOptions) -> anyhow::Result<ChangedPoll> {
    let cursor = last_cursor(bench).await?;
    sync_poll::sync_now_all(bench).await?;
    let chosen = deliver::spread(&bench.addresses, 1);
    let delivered = deliver::deliver(&bench.sim.base_url, &chosen, "impersync-poll").await?;

    reset_peak_rss();
    let started = Instant::now();
    let (stop, stopped) = watch::channel(false);
    let workers: Vec<_> = (1..=options.workers.max(1))
        .map(|n| {
            let engine = bench.engine.clone();
            let mut stopped = stopped.clone();
            let worker = WorkerOptions {
                owner: format!("bench-poll-{n}"),
                batch: options.batch,
                concurrency: options.concurrency,
                max_idle: Duration::from_millis(200),
                ..WorkerOptions::default()
            };
            tokio::spawn(async move {
                engine
                    .run_worker(worker, async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await
            })
        })
        .collect();
    let tailed = tail_until_polled(bench, cursor, &delivered, started).await;
    let secs = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let mut report = WorkerReport::default();
    for worker in workers {
        let done = worker
            .await
            .context("a worker loop panicked")?
            .context("a worker loop stopped")?;
        report.synced += done.synced;
        report.failed += done.failed;
        report.lost += done.lost;
    }
    let (_, peak) = rss_mib();
    let seen = tailed.context("reading the change feed during the round")?;
    let mailboxes = bench.users.len() as u64;
    if report.synced != mailboxes || report.failed > 0 || report.lost > 0 {
        bail!(
            "the round synced {} of {mailboxes} mailboxes ({} failed, {} leases lost); it is not valid",
            report.synced,
            report.failed,
            report.lost
        );
    }
    Ok(ChangedPoll {
        secs,
        delivered: delivered.len(),
        latencies: deliver::latencies(&delivered, &seen)?,
        peak_rss_mib: peak,
    })
}

/// Reads the feed from `cursor` every [`FEED_READ_EVERY`], noting when each row was first
/// read, until every mailbox has been polled and every delivered message was read; fails on
/// any other row, a failing mailbox or after [`ROUND_LIMIT`].
async fn tail_until_polled(
    bench: &SyncBench,
    mut cursor: FeedCursor,
    delivered: &[Delivered],
    started: Instant,
) -> anyhow::Result<HashMap<String, i64>> {
    let scope = bench.store.org(&sync_org::operator(), bench.org).await?;
    let expected: HashMap<&str, &str> = delivered
        .iter()
        .map(|d| (d.item_id.as_str(), d.mailbox.as_str()))
        .collect();
    let mut seen = HashMap::with_capacity(delivered.len());
    loop {
        let page = scope
            .change_feed()
            .changes(cursor, PageRequest::MAX_LIMIT)
            .await?;
        let now = now_millis();
        cursor = page.next_cursor;
        for change in page.changes {
            if change.kind != FeedKind::Created
                || expected.get(change.item_id.as_str()) != Some(&change.user_email.as_str())
            {
                bail!(
                    "feed row {} ({:?} in {}) is not one of the delivered messages",
                    change.seq,
                    change.kind,
                    change.user_email
                );
            }
            if seen.insert(change.item_id, now).is_some() {
                bail!("feed row {} repeats a delivered message", change.seq);
            }
        }
        if seen.len() == delivered.len() && bench.all_synced().await? {
            return Ok(seen);
        }
        if started.elapsed() > ROUND_LIMIT {
            bail!(
                "the round did not end within {} s ({} of {} messages seen)",
                ROUND_LIMIT.as_secs(),
                seen.len(),
                delivered.len()
            );
        }
        tokio::time::sleep(FEED_READ_EVERY).await;
    }
}

/// The cursor after the organisation's last feed row.
async fn last_cursor(bench: &SyncBench) -> anyhow::Result<FeedCursor> {
    let mut last = FeedCursor::default();
    sync_verify::feed_rows(&bench.store, bench.org, |change| {
        last = FeedCursor(change.seq);
        Ok(())
    })
    .await?;
    Ok(last)
}
