//! `impersync soak`: the engine's worker loop against the simulator for minutes on end,
//! with faults on and mail arriving all the time; it fails if memory or open file
//! descriptors grow after warm-up, or if the change feed misses or repeats an item.

mod checks;
mod control;
mod exact;
mod fault_mix;
mod final_round;
mod report;
mod samples;
mod traffic;
mod worker_task;

use crate::bench::report::write_section;
use crate::bench::scenario::{self as bench_scenario, FolderItems};
use crate::bench::sync_bench::SyncBench;
use crate::bench::{sync_org, sync_verify};
use anyhow::{Context, bail};
use checks::{FeedCheck, Phases};
use control::Control;
use fault_mix::FaultMix;
use impersync_store::{Backend, FeedCursor, OrgStore, PageRequest, UserId, now_millis};
use report::Outcome;
use samples::Sample;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::time::{MissedTickBehavior, interval};
use traffic::Traffic;
use worker_task::WorkerTask;

/// Arguments of `impersync soak`.
#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// Minutes of mail and faults (fractions allowed, e.g. 0.25).
    #[arg(long, default_value_t = 30.0)]
    minutes: f64,
    /// Mailboxes the mail goes to.
    #[arg(long, default_value_t = 40)]
    mailboxes: u32,
    /// Changes sent through the simulator per second (deliveries, read flags, updates, deletions).
    #[arg(long, default_value_t = 4.0)]
    rate: f64,
    /// The database (`postgres://...`, empty); SQLite in a temporary folder when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Record the summary in the `--write` file.
    #[arg(long)]
    record: bool,
    /// Markdown file to record into (its `soak` section).
    #[arg(long, default_value = "docs/benchmarks.md")]
    write: PathBuf,
}

/// Generated items in each synced folder of each mailbox before the mail starts.
const INITIAL_ITEMS: u32 = 2;

/// How often the touched mailboxes are made due.
const NUDGE_EVERY_SECS: u64 = 5;

/// Runs the soak; fails naming each check that failed.
pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    if !(args.minutes.is_finite() && args.minutes > 0.0 && args.minutes <= 24.0 * 60.0) {
        bail!("--minutes: give a number of minutes above 0 and at most 1440");
    }
    if !(args.rate.is_finite() && args.rate > 0.0 && args.rate <= 1000.0) {
        bail!("--rate: give changes per second above 0 and at most 1000");
    }
    if args.mailboxes == 0 {
        bail!("--mailboxes: give at least one mailbox");
    }
    let bench = SyncBench::start(
        "soak",
        args.mailboxes,
        &FolderItems::each(INITIAL_ITEMS),
        args.database_url.as_deref(),
        *impersync_store::POLL_INTERVAL_RANGE.start(),
        4,
    )
    .await?;
    let outcome = soak(&bench, &args).await;
    bench.finish().await;
    let outcome = outcome?;
    let body = outcome.markdown();
    println!("{body}");
    if args.record {
        write_section(&args.write, "soak", &body)
            .with_context(|| format!("writing {}", args.write.display()))?;
    }
    if !outcome.failures.is_empty() {
        bail!("the soak failed: {}", outcome.failures.join("; "));
    }
    Ok(())
}

async fn soak(bench: &SyncBench, args: &SoakArgs) -> anyhow::Result<Outcome> {
    let run_for = Duration::from_secs_f64(args.minutes * 60.0);
    let phases = Phases::for_run(run_for.as_secs_f64());
    let control = Control::new(&bench.sim.base_url);
    let scope = bench.store.org(&sync_org::operator(), bench.org).await?;
    let addresses: Vec<String> = (1..=args.mailboxes).map(bench_scenario::user).collect();
    let log = bench.dir.join("delivered.tsv");
    let mut traffic = Traffic::new(control.clone(), addresses.clone(), &log)?;
    let requests_before = bench.sim.ews_requests().await?;
    let mut faults = FaultMix::start(control.clone()).await?;
    let worker = WorkerTask::start(&bench.engine, "soak");
    eprintln!(
        "soak: {} mailboxes, {:.1} minutes, warm-up {:.0} s, {} changes/s, one request in {} failing",
        args.mailboxes,
        args.minutes,
        phases.warm_up,
        args.rate,
        fault_mix::EVERY_NTH
    );

    let items = FolderItems::each(INITIAL_ITEMS);
    let initial = items.per_mailbox() * u64::from(args.mailboxes);
    let started = Instant::now();
    let mut samples = vec![Sample::take(Duration::ZERO)];
    let mut cursor = FeedCursor::default();
    let mut created = 0u64;
    let mut send = interval(Duration::from_secs_f64(1.0 / args.rate));
    let mut sample =
        interval((run_for / 60).clamp(Duration::from_millis(250), Duration::from_secs(2)));
    let mut second = interval(Duration::from_secs(1));
    for tick in [&mut send, &mut sample, &mut second] {
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    }
    let progress_every = (run_for / 60).clamp(Duration::from_secs(5), Duration::from_secs(60));
    let mut next_progress = progress_every;
    let mut seconds = 0u64;
    while started.elapsed() < run_for {
        tokio::select! {
            _ = send.tick() => traffic.step().await?,
            _ = sample.tick() => {
                let s = Sample::take(started.elapsed());
                samples.push(s);
                if started.elapsed() >= next_progress {
                    next_progress += progress_every;
                    eprintln!(
                        "soak: {:>6.0} s  delivered {}  synced {}  faults {}  RSS {:.1} MiB  fds {}",
                        s.at_secs, traffic.sent.delivered, created.saturating_sub(initial), faults.injected(), s.rss_mib, s.fds
                    );
                }
            }
            _ = second.tick() => {
                faults.tick().await?;
                created += follow_feed(&scope, &mut cursor, &mut traffic).await?;
                seconds += 1;
                if seconds.is_multiple_of(NUDGE_EVERY_SECS) {
                    for n in traffic.take_touched() {
                        scope.mailboxes().sync_now(bench.users[n]).await?;
                    }
                    bench.engine.wake_worker();
                }
            }
        }
    }

    let injected = faults.stop().await?;
    let sent = traffic.finish()?;
    let during = worker.stop().await?;
    eprintln!(
        "soak: delivery stopped and faults off after {} deliveries; the final sync round",
        sent.delivered
    );
    let final_started = Instant::now();
    let since = now_millis();
    for &user in &bench.users {
        scope.mailboxes().sync_now(user).await?;
    }
    let worker = WorkerTask::start(&bench.engine, "soak-final");
    let mailboxes: Vec<(String, UserId)> = addresses
        .into_iter()
        .zip(bench.users.iter().copied())
        .collect();
    let unfinished = final_round::wait(&scope, &mailboxes, since).await?;
    let last = worker.stop().await?;
    let final_round = final_started.elapsed();
    let end = Sample::take(started.elapsed());
    samples.push(end);
    let requests = bench.sim.ews_requests().await? - requests_before;

    let mut feed = FeedCheck::default();
    sync_verify::feed_rows(&bench.store, bench.org, |c| {
        feed.add(&c.user_email, &c.item_id, &c.change_key, c.kind.as_str());
        Ok(())
    })
    .await?;
    let delivered =
        std::fs::read_to_string(&log).with_context(|| format!("reading {}", log.display()))?;
    let (compared, differences) = exact::compare(&control, &scope, &mailboxes).await?;

    let memory = checks::memory(&samples, &phases);
    let fds = checks::descriptors(&samples, &phases);
    let mut failures: Vec<String> = [
        checks::memory_failure(memory.as_ref()),
        checks::descriptor_failure(fds.as_ref()),
        unfinished,
        feed.missing_failure(traffic::delivered(&delivered)),
        feed.repeat_failure(),
        (!differences.is_empty()).then(|| {
            format!(
                "exactness: the store differs from the simulator: {}",
                differences.join("; ")
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    if sent.delivered == 0 {
        failures.push("traffic: no mail was delivered".into());
    }
    Ok(Outcome {
        command: command_line(args),
        phases,
        mailboxes: args.mailboxes,
        database: match bench.store.backend() {
            Backend::Sqlite => "SQLite (WAL, in a temporary folder)",
            Backend::Postgres => "PostgreSQL",
        },
        sent,
        requests,
        faults: injected,
        syncs: (during.synced + last.synced, during.failed + last.failed),
        final_round,
        feed,
        compared,
        memory,
        fds,
        final_fds: end.fds,
        failures,
    })
}

/// Reads the feed's new rows from `cursor` on, handing created messages to the traffic as
/// candidates for changes; how many `created` rows there were.
async fn follow_feed(
    scope: &OrgStore<'_>,
    cursor: &mut FeedCursor,
    traffic: &mut Traffic,
) -> anyhow::Result<u64> {
    let mut created = 0;
    loop {
        let page = scope
            .change_feed()
            .changes(*cursor, PageRequest::MAX_LIMIT)
            .await?;
        if page.changes.is_empty() {
            return Ok(created);
        }
        *cursor = page.next_cursor;
        for change in page.changes {
            if change.kind == impersync_store::FeedKind::Created {
                created += 1;
                traffic.synced(&change.user_email, &change.folder, &change.item_id);
            }
        }
    }
}

/// The command line to repeat the run.
fn command_line(args: &SoakArgs) -> String {
    let mut line = format!(
        "./scripts/soak --minutes {} --mailboxes {} --rate {}",
        args.minutes, args.mailboxes, args.rate
    );
    if args.database_url.is_some() {
        line.push_str(" --database-url postgres://...");
    }
    line
}
