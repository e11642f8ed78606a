//! `impersync bench all`: every scenario against one simulator in one run, each with its
//! exchangelib peer right after it (never at the same time), written into
//! `docs/benchmarks.md`, the chart and the README's headline table.

use super::all_report::{self, Figures, Sizes};
use super::chart;
use super::initial_runs::{self, LargeSet};
use super::machine::{reset_peak_rss, rss_mib};
use super::scenario::{self as bench_scenario, FolderItems};
use super::sim_process::SimProcess;
use super::sync_bench::{self, SyncBench, SyncTarget};
use super::{check, peer_poll, pg_workers, poll_changed, sync_peer, sync_poll};
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `impersync bench all`; the defaults are the full sizes.
#[derive(Debug, Clone, clap::Args)]
pub struct AllArgs {
    /// Users of the bulk access check.
    #[arg(long, default_value_t = 10_000)]
    pub check_users: u32,
    /// Impersync's checks in flight.
    #[arg(long, default_value_t = 32)]
    pub check_concurrency: usize,
    /// Mailboxes of the initial syncs.
    #[arg(long, default_value_t = 1_000)]
    pub initial_mailboxes: u32,
    /// Inbox items of each of those mailboxes.
    #[arg(long, default_value_t = 200)]
    pub inbox: u32,
    /// Sent Items items of each.
    #[arg(long, default_value_t = 50)]
    pub sent: u32,
    /// Calendar items of each.
    #[arg(long, default_value_t = 30)]
    pub calendar: u32,
    /// Contacts of each.
    #[arg(long, default_value_t = 20)]
    pub contacts: u32,
    /// Mailboxes one claim takes in the initial syncs.
    #[arg(long, default_value_t = 250)]
    pub batch: u32,
    /// Mailboxes in flight per worker in the initial syncs (the SQLite headline run).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Further SQLite initial syncs for the chart, at these mailboxes in flight.
    #[arg(long, value_delimiter = ',', default_value = "8,16")]
    pub sqlite_concurrency: Vec<usize>,
    /// PostgreSQL server for the PostgreSQL initial syncs (each gets a fresh database);
    /// skipped, loudly, when absent.
    #[arg(long)]
    pub database_url: Option<String>,
    /// `impersync worker` processes of each PostgreSQL initial sync.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    pub pg_workers: Vec<usize>,
    /// Mailboxes of the polls.
    #[arg(long, default_value_t = 10_000)]
    pub poll_mailboxes: u32,
    /// Generated items in each of the four folders of those mailboxes.
    #[arg(long, default_value_t = 2)]
    pub poll_items: u32,
    /// Mailboxes one claim takes in the polls.
    #[arg(long, default_value_t = 500)]
    pub poll_batch: u32,
    /// Mailboxes in flight in the polls.
    #[arg(long, default_value_t = 32)]
    pub poll_concurrency: usize,
    /// Threads of the exchangelib peer.
    #[arg(long, default_value_t = 16)]
    pub peer_threads: u32,
    /// Mailboxes of the peer's initial sync (the first of the initial set).
    #[arg(long, default_value_t = 100)]
    pub peer_initial_mailboxes: u32,
    /// Mailboxes of the peer's polls (the first of the poll set; fewer than Impersync's to
    /// keep the run short: the peer needs three rounds of its own).
    #[arg(long, default_value_t = 2_000)]
    pub peer_poll_mailboxes: u32,
    /// Python with exchangelib for the peer; the peer is skipped (loudly) when it is missing.
    #[arg(long, default_value = ".venv/bin/python")]
    pub python: PathBuf,
    /// The report to write (its `all` section).
    #[arg(long, default_value = "docs/benchmarks.md")]
    pub write: PathBuf,
    /// The README whose `ratios` section gets the headline table.
    #[arg(long, default_value = "README.md")]
    pub readme: PathBuf,
    /// The chart to draw.
    #[arg(long, default_value = "docs/bench-throughput.png")]
    pub chart: PathBuf,
    /// The TrueType font of the chart's text.
    #[arg(long, default_value = chart::DEFAULT_FONT)]
    pub font: PathBuf,
}

/// Runs every scenario and writes the report, the chart and the README table.
pub async fn run(args: AllArgs) -> anyhow::Result<()> {
    if args.initial_mailboxes == 0 || args.poll_mailboxes == 0 || args.check_users == 0 {
        bail!("--check-users, --initial-mailboxes and --poll-mailboxes must be at least 1");
    }
    if args.check_users > args.poll_mailboxes {
        bail!("--check-users must not exceed --poll-mailboxes (the checks use those mailboxes)");
    }
    impersync_exchange::install_default_provider();
    let dir = sync_bench::temp_dir("all")?;
    let large_items = FolderItems {
        inbox: args.inbox,
        sent: args.sent,
        calendar: args.calendar,
        contacts: args.contacts,
    };
    let poll_items = FolderItems::each(args.poll_items);
    let scenario_path = dir.join("scenario.toml");
    std::fs::write(
        &scenario_path,
        bench_scenario::all_toml(
            args.poll_mailboxes,
            &poll_items,
            args.initial_mailboxes,
            &large_items,
        ),
    )?;
    let sim = Arc::new(SimProcess::start(&scenario_path)?);
    eprintln!("simulator (pid {}) at {}", sim.pid(), sim.base_url);
    let result = scenarios(&args, &sim, &dir, &large_items, &poll_items).await;
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
    let figures = result?;
    all_report::write(&args, &figures)
}

async fn scenarios(
    args: &AllArgs,
    sim: &Arc<SimProcess>,
    dir: &std::path::Path,
    large_items: &FolderItems,
    poll_items: &FolderItems,
) -> anyhow::Result<Figures> {
    let python = args.python.as_path();
    let small = bench_scenario::addresses(bench_scenario::SMALL_PREFIX, args.poll_mailboxes);
    let large = bench_scenario::addresses(bench_scenario::LARGE_PREFIX, args.initial_mailboxes);

    eprintln!("== bulk access check, {} users", args.check_users);
    let checked = &small[..args.check_users as usize];
    let users_path = dir.join("check-users.txt");
    std::fs::write(&users_path, checked.join("\n") + "\n")?;
    reset_peak_rss();
    let check_rate = check::measure(&sim.base_url, checked, args.check_concurrency).await?;
    let (_, check_rss) = rss_mib();
    let check_peer = check::run_peer(
        python,
        args.peer_threads,
        &sim.base_url,
        &users_path,
        args.check_users,
    )?;

    eprintln!(
        "== initial sync, {} mailboxes × {} items",
        args.initial_mailboxes,
        large_items.per_mailbox()
    );
    let set = LargeSet {
        sim,
        addresses: &large,
        items: large_items,
        batch: args.batch,
    };
    let mut levels = args.sqlite_concurrency.clone();
    levels.push(args.concurrency);
    levels.sort_unstable();
    levels.dedup();
    let mut sqlite = Vec::with_capacity(levels.len());
    for &level in &levels {
        eprintln!("-- SQLite, 1 worker task, {level} mailboxes in flight");
        let run = initial_runs::sqlite(&set, level).await?;
        eprintln!("SQLite at {level}: {:.0} items/s", run.rate);
        sqlite.push(run);
    }
    let peer_initial = sync_peer::run(
        python,
        &sim.base_url,
        dir,
        &large[..args.peer_initial_mailboxes.min(args.initial_mailboxes) as usize],
        args.peer_threads,
        large_items,
    )?;
    let mut postgres = Vec::with_capacity(args.pg_workers.len());
    match &args.database_url {
        Some(url) => {
            for &workers in &args.pg_workers {
                eprintln!("-- PostgreSQL, {workers} `impersync worker` process(es)");
                let run = pg_workers::run(&set, url, workers.max(1), args.concurrency).await?;
                eprintln!("PostgreSQL with {workers}: {:.0} items/s", run.rate);
                postgres.push(run);
            }
        }
        None => eprintln!(
            "*** skipped: the PostgreSQL initial syncs need --database-url (./scripts/bench gives one) ***"
        ),
    }

    eprintln!("== polls, {} mailboxes", args.poll_mailboxes);
    let poll_dir = sync_bench::temp_dir("all-poll")?;
    let target = SyncTarget {
        addresses: &small,
        database_url: None,
        poll_interval_secs: *impersync_store::POLL_INTERVAL_RANGE.end(),
        concurrency: args.poll_concurrency,
    };
    let bench = SyncBench::on(sim.clone(), poll_dir, &target).await?;
    let unchanged = sync_poll::first_sync_then_poll(&bench, poll_items, 1, args.poll_batch).await?;
    eprintln!("poll without changes: {:.2} s", unchanged.secs);
    let round = poll_changed::RoundOptions {
        workers: 1,
        batch: args.poll_batch,
        concurrency: args.poll_concurrency,
    };
    let changed = poll_changed::run(&bench, round)
        .await
        .context("the poll with 1 % changed")?;
    eprintln!("poll with 1 % changed: {:.2} s", changed.secs);
    bench.finish().await;
    let peer_polls = peer_poll::run(
        python,
        &sim.base_url,
        dir,
        &small[..args.peer_poll_mailboxes.min(args.poll_mailboxes) as usize],
        args.peer_threads,
    )
    .await?;

    Ok(Figures {
        sizes: Sizes {
            large_items: *large_items,
            poll_items: *poll_items,
        },
        check_rate,
        check_rss,
        check_peer,
        sqlite,
        peer_initial,
        postgres,
        unchanged,
        changed,
        peer_polls,
    })
}
