//! `impersync bench sync-initial`: the initial sync of N generated mailboxes (four folders
//! each) from the simulator in its own process into a fresh store (SQLite, or PostgreSQL
//! with `--database-url`), by `--workers` worker tasks; items/s end to end, requests and
//! this process's peak RSS, checked against the store before the figures count.

use super::machine::{Machine, rss_mib};
use super::report::write_section;
use super::scenario::{self as bench_scenario, FolderItems};
use super::sync_bench::SyncBench;
use super::{sync_drive, sync_peer, sync_verify};
use anyhow::{Context, bail};
use impersync_store::Backend;
use std::path::PathBuf;

/// Arguments of `impersync bench sync-initial`.
#[derive(Debug, clap::Args)]
pub struct SyncInitialArgs {
    /// Mailboxes to sync.
    #[arg(long, default_value_t = 1_000)]
    mailboxes: u32,
    /// Inbox items per mailbox.
    #[arg(long, default_value_t = 200)]
    inbox: u32,
    /// Sent Items items per mailbox.
    #[arg(long, default_value_t = 50)]
    sent: u32,
    /// Calendar items per mailbox.
    #[arg(long, default_value_t = 30)]
    calendar: u32,
    /// Contacts per mailbox.
    #[arg(long, default_value_t = 20)]
    contacts: u32,
    /// The database (`postgres://...`, empty); SQLite in a temporary folder when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Worker tasks in this process, each claiming batches of due mailboxes under leases
    /// (sharing one connection pool; `bench all` runs `impersync worker` processes instead).
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Mailboxes a worker claims at once.
    #[arg(long, default_value_t = 250)]
    batch: u32,
    /// Mailboxes each worker syncs at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Mailboxes the exchangelib peer syncs (0: no peer).
    #[arg(long, default_value_t = 100)]
    peer_mailboxes: u32,
    /// Threads of the exchangelib peer.
    #[arg(long, default_value_t = 16)]
    peer_threads: u32,
    /// Python with exchangelib for the peer; the peer is skipped (loudly) when it is missing.
    #[arg(long, default_value = ".venv/bin/python")]
    python: PathBuf,
    /// Record the results in the `--write` file.
    #[arg(long)]
    record: bool,
    /// Markdown file to record into (its `sync-initial` or `sync-initial-postgres` section).
    #[arg(long, default_value = "docs/benchmarks.md")]
    write: PathBuf,
}

/// Runs the benchmark; with `--record`, writes its section of the report.
pub async fn run(args: SyncInitialArgs) -> anyhow::Result<()> {
    let items = FolderItems {
        inbox: args.inbox,
        sent: args.sent,
        calendar: args.calendar,
        contacts: args.contacts,
    };
    let bench = SyncBench::start(
        "sync",
        args.mailboxes,
        &items,
        args.database_url.as_deref(),
        3_600,
        args.concurrency,
    )
    .await?;
    let backend = bench.store.backend();
    let requests_before = bench.sim.ews_requests().await?;
    let bar = sync_drive::progress(u64::from(args.mailboxes), "synced");
    let driven = sync_drive::drive(&bench.engine, args.workers, args.batch, &bar).await?;
    let requests = bench.sim.ews_requests().await? - requests_before;
    let (_, peak) = rss_mib();

    let expected = items.per_mailbox() * u64::from(args.mailboxes);
    if driven.failed > 0 {
        bail!(
            "{} mailboxes failed; the benchmark is not valid: {:?}",
            driven.failed,
            driven.failures
        );
    }
    if u64::from(driven.applied.created) != expected || driven.applied.feed_rows != expected {
        bail!(
            "the sync created {} items and {} feed rows, not {expected}",
            driven.applied.created,
            driven.applied.feed_rows
        );
    }
    sync_verify::initial_sync(&bench.store, bench.org, &bench.users, &items)
        .await
        .context("the store does not hold what the simulator does")?;
    let secs = driven.elapsed.as_secs_f64();
    let rate = expected as f64 / secs;
    eprintln!(
        "initial sync: {expected} items in {secs:.2} s = {rate:.0} items/s, {requests} requests, \
         peak RSS {peak:.0} MiB"
    );

    let peer = if args.peer_mailboxes > 0 {
        sync_peer::run(
            &args.python,
            &bench.sim.base_url,
            &bench.dir,
            &bench_scenario::addresses(
                bench_scenario::SMALL_PREFIX,
                args.peer_mailboxes.min(args.mailboxes),
            ),
            args.peer_threads,
            &items,
        )?
    } else {
        None
    };
    let (database, section) = match backend {
        Backend::Sqlite => ("SQLite (WAL, in a temporary folder)", "sync-initial"),
        Backend::Postgres => (
            "PostgreSQL (a throwaway local cluster)",
            "sync-initial-postgres",
        ),
    };
    let peer_lines = match &peer {
        Some(p) => format!(
            "| {tool}, `folder.sync_items()`, {threads} threads, {m} mailboxes | {rate:.0} items/s | {rss:.0} MiB |\n\n\
             Ratio Impersync / exchangelib: **{ratio:.1}×**.\n",
            tool = p.tool,
            threads = p.threads,
            m = p.mailboxes,
            rate = p.rate,
            rss = p.peak_rss_mib,
            ratio = rate / p.rate,
        ),
        None => String::new(),
    };
    let body = format!(
        "## Initial sync into {short} (`impersync bench sync-initial`)\n\n\
         Command: `cargo run --release -- bench sync-initial --mailboxes {mb} --inbox {inbox} --sent {sent} \
         --calendar {cal} --contacts {con} --workers {workers} --batch {batch} --concurrency {conc}{db_arg}`  \n\
         {machine}  \n\
         The simulator runs in its own process on loopback (generated items, Basic auth, impersonation by \
         PrimarySmtpAddress); the engine runs in the bench process into {database}: {workers} worker task(s) \
         calling `Engine::sync_due` with batches of {batch} mailboxes, {conc} mailboxes in flight each. \
         Per mailbox one GetFolder naming every folder, then per folder SyncFolderItems (IdOnly, up to 512 changes a page), GetItem \
         (AllProperties) in batches, and each page committed with its change-feed rows and SyncState in one \
         transaction. Before the figures count, the store is checked: exactly {per} items per mailbox in the \
         right folders and one `created` feed row per item.\n\n\
         | measure | result | target |\n|---|---|---|\n\
         | {expected} items ({mb} mailboxes × {per}), end to end | {rate:.0} items/s ({secs:.2} s) | ≥ 50,000 items/s ({verdict}) |\n\
         | EWS requests | {requests} ({per_mb:.1} per mailbox) | |\n\
         | pages committed | {pages} | |\n\
         | peak RSS of the Impersync process | {peak:.0} MiB | < 300 MiB ({rss_verdict}) |\n\n\
         | client | throughput | peak RSS |\n|---|---|---|\n\
         | Impersync | {rate:.0} items/s | {peak:.0} MiB |\n\
         {peer_lines}",
        short = match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        },
        mb = args.mailboxes,
        inbox = args.inbox,
        sent = args.sent,
        cal = args.calendar,
        con = args.contacts,
        workers = args.workers,
        batch = args.batch,
        conc = args.concurrency,
        db_arg = match backend {
            Backend::Sqlite => "",
            Backend::Postgres => " --database-url $URL",
        },
        machine = Machine::detect().line(),
        per = items.per_mailbox(),
        per_mb = requests as f64 / f64::from(args.mailboxes),
        pages = driven.pages,
        verdict = if rate >= 50_000.0 { "met" } else { "NOT met" },
        rss_verdict = if peak < 300.0 { "met" } else { "NOT met" },
    );
    if args.record {
        write_section(&args.write, section, &body)
            .with_context(|| format!("writing {}", args.write.display()))?;
    }
    println!("{body}");
    bench.finish().await;
    Ok(())
}
