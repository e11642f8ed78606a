//! `impersync bench sync-poll`: one incremental poll of N mailboxes × 4 folders in which
//! nothing changed. The mailboxes are synced once first (not timed), then all made due
//! again and polled; the poll must apply nothing and append no feed row.

use super::machine::{Machine, reset_peak_rss, rss_mib};
use super::report::write_section;
use super::scenario::FolderItems;
use super::sync_bench::SyncBench;
use super::{sync_drive, sync_org, sync_verify};
use anyhow::{Context, bail};
use impersync_store::{Backend, PageReport};
use std::path::PathBuf;

/// Arguments of `impersync bench sync-poll`.
#[derive(Debug, clap::Args)]
pub struct SyncPollArgs {
    /// Mailboxes to poll.
    #[arg(long, default_value_t = 10_000)]
    mailboxes: u32,
    /// Generated items in each of the four folders.
    #[arg(long, default_value_t = 2)]
    items: u32,
    /// The database (`postgres://...`, empty); SQLite in a temporary folder when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Worker tasks claiming mailboxes from the same database.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Mailboxes a worker claims at once.
    #[arg(long, default_value_t = 500)]
    batch: u32,
    /// Mailboxes each worker syncs at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Record the results in the `--write` file.
    #[arg(long)]
    record: bool,
    /// Markdown file to record into (its `sync-poll` section).
    #[arg(long, default_value = "docs/benchmarks.md")]
    write: PathBuf,
}

/// Runs the benchmark; with `--record`, writes its section of the report.
pub async fn run(args: SyncPollArgs) -> anyhow::Result<()> {
    let items = FolderItems::each(args.items);
    let bench = SyncBench::start(
        "poll",
        args.mailboxes,
        &items,
        args.database_url.as_deref(),
        *impersync_store::POLL_INTERVAL_RANGE.end(),
        args.concurrency,
    )
    .await?;
    let backend = bench.store.backend();
    let polled = first_sync_then_poll(&bench, &items, args.workers, args.batch).await?;
    let (secs, requests, peak) = (polled.secs, polled.requests, polled.peak_rss_mib);
    eprintln!(
        "poll: {} mailboxes in {secs:.2} s, {requests} requests, peak RSS {peak:.0} MiB",
        args.mailboxes
    );

    let body = format!(
        "## Incremental poll without changes (`impersync bench sync-poll`)\n\n\
         Command: `cargo run --release -- bench sync-poll --mailboxes {mb} --items {n} --workers {workers} \
         --batch {batch} --concurrency {conc}`  \n\
         {machine}  \n\
         The simulator runs in its own process on loopback; the engine in the bench process, into {database}. \
         Every mailbox ({n} generated items in each of Inbox, Sent Items, Calendar, Contacts) is synced once \
         first (not timed), then all are made due again (\"sync now\") and one round is timed: \
         {workers} worker task(s) calling `Engine::sync_due` with batches of {batch}, {conc} mailboxes in flight. \
         The poll must commit no page (a page without changes leaves the stored SyncState valid), apply no change and append no feed row; the leases end in group commits.\n\n\
         | measure | result | target |\n|---|---|---|\n\
         | {mb} mailboxes × 4 folders, nothing changed | {secs:.2} s ({per_sec:.0} mailboxes/s) | < 15 s ({verdict}) |\n\
         | EWS requests | {requests} ({per_mb:.1} per mailbox) | |\n\
         | peak RSS of the Impersync process during the poll | {peak:.0} MiB | |\n",
        mb = args.mailboxes,
        n = args.items,
        workers = args.workers,
        batch = args.batch,
        conc = args.concurrency,
        machine = Machine::detect().line(),
        database = match backend {
            Backend::Sqlite => "SQLite (WAL, in a temporary folder)",
            Backend::Postgres => "PostgreSQL",
        },
        per_sec = f64::from(args.mailboxes) / secs,
        per_mb = requests as f64 / f64::from(args.mailboxes),
        verdict = if secs < 15.0 { "met" } else { "NOT met" },
    );
    if args.record {
        write_section(&args.write, "sync-poll", &body)
            .with_context(|| format!("writing {}", args.write.display()))?;
    }
    println!("{body}");
    bench.finish().await;
    Ok(())
}

/// What a timed poll without changes did.
pub struct NoChangePoll {
    /// Seconds of the round.
    pub secs: f64,
    /// EWS requests it sent.
    pub requests: u64,
    /// This process's peak RSS during the round.
    pub peak_rss_mib: f64,
}

/// Syncs every mailbox of `bench` once (not timed, checked to hold `items`), makes them all
/// due again and times one round of `workers` worker tasks (batches of `batch`), which must
/// apply nothing, append no feed row and commit one page per folder.
pub async fn first_sync_then_poll(
    bench: &SyncBench,
    items: &FolderItems,
    workers: usize,
    batch: u32,
) -> anyhow::Result<NoChangePoll> {
    let mailboxes = bench.users.len() as u64;
    let bar = sync_drive::progress(mailboxes, "synced (not timed)");
    let first = sync_drive::drive(&bench.engine, workers, batch, &bar).await?;
    if first.failed > 0 {
        bail!(
            "the first sync failed for {} mailboxes: {:?}",
            first.failed,
            first.failures
        );
    }
    sync_verify::initial_sync(&bench.store, bench.org, &bench.users, items)
        .await
        .context("the first sync is not complete")?;
    sync_now_all(bench).await?;
    let feed_before = sync_verify::feed_rows(&bench.store, bench.org, |_| Ok(())).await?;

    reset_peak_rss();
    let requests_before = bench.sim.ews_requests().await?;
    let bar = sync_drive::progress(mailboxes, "polled");
    let driven = sync_drive::drive(&bench.engine, workers, batch, &bar).await?;
    let requests = bench.sim.ews_requests().await? - requests_before;
    let (_, peak) = rss_mib();

    if driven.failed > 0 || driven.synced != mailboxes {
        bail!(
            "the poll synced {} of {mailboxes} mailboxes; the benchmark is not valid: {:?}",
            driven.synced,
            driven.failures
        );
    }
    let nothing = PageReport::default();
    if driven.applied != nothing {
        bail!(
            "the poll applied changes where there were none: {:?}",
            driven.applied
        );
    }
    let feed_after = sync_verify::feed_rows(&bench.store, bench.org, |_| Ok(())).await?;
    if feed_after != feed_before {
        bail!("the poll appended {} feed rows", feed_after - feed_before);
    }
    if driven.pages != 0 {
        bail!(
            "the poll committed {} pages; a poll without changes writes none",
            driven.pages
        );
    }
    Ok(NoChangePoll {
        secs: driven.elapsed.as_secs_f64(),
        requests,
        peak_rss_mib: peak,
    })
}

/// Makes every mailbox of `bench` due now ("sync now"), in the order of its users.
pub async fn sync_now_all(bench: &SyncBench) -> anyhow::Result<()> {
    let scope = bench.store.org(&sync_org::operator(), bench.org).await?;
    for &user in &bench.users {
        scope.mailboxes().sync_now(user).await?;
    }
    Ok(())
}
