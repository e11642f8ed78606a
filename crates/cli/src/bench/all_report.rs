//! What `bench all` writes: its section of `docs/benchmarks.md`, the README's headline
//! ratios and the throughput chart.

use super::all::AllArgs;
use super::chart::{self, Series};
use super::check::PeerResult;
use super::initial_runs::InitialRun;
use super::machine::Machine;
use super::peer_poll::PeerPolls;
use super::percentiles::{Percentiles, percentiles};
use super::poll_changed::{ChangedPoll, FEED_READ_EVERY};
use super::report::write_section;
use super::scenario::FolderItems;
use super::sync_peer::PeerSync;
use super::sync_poll::NoChangePoll;
use anyhow::Context;
use std::fmt::Write as _;
use std::path::Path;

/// Item counts of the two mailbox sets.
pub struct Sizes {
    /// Items of each large mailbox (initial syncs).
    pub large_items: FolderItems,
    /// Items of each small mailbox (polls).
    pub poll_items: FolderItems,
}

/// Everything `bench all` measured.
pub struct Figures {
    /// The mailbox sets.
    pub sizes: Sizes,
    /// Impersync's checks/s.
    pub check_rate: f64,
    /// Impersync's peak RSS during the checks.
    pub check_rss: f64,
    /// The peer's checks.
    pub check_peer: Option<PeerResult>,
    /// SQLite initial syncs, by mailboxes in flight.
    pub sqlite: Vec<InitialRun>,
    /// The peer's initial sync.
    pub peer_initial: Option<PeerSync>,
    /// PostgreSQL initial syncs, by worker processes.
    pub postgres: Vec<InitialRun>,
    /// The poll without changes.
    pub unchanged: NoChangePoll,
    /// The poll with 1 % changed.
    pub changed: ChangedPoll,
    /// The peer's polls.
    pub peer_polls: Option<PeerPolls>,
}

/// One row of the headline table.
struct Headline {
    scenario: String,
    ours: String,
    peer: String,
    ratio: Option<f64>,
}

impl Headline {
    fn ratio_text(&self) -> String {
        self.ratio
            .map_or_else(|| "–".to_string(), |r| format!("**{r:.1}×**"))
    }
}

/// Writes the report section, the README table and the chart.
pub fn write(args: &AllArgs, figures: &Figures) -> anyhow::Result<()> {
    let headlines = headlines(args, figures);
    draw_chart(args, figures)?;
    let body = section(args, figures, &headlines);
    write_section(&args.write, "all", &body)
        .with_context(|| format!("writing {}", args.write.display()))?;
    let chart_link = relative_to(&args.readme, &args.chart);
    write_section(
        &args.readme,
        "ratios",
        &readme_table(&headlines, &chart_link),
    )
    .with_context(|| format!("writing {}", args.readme.display()))?;
    println!("{body}");
    Ok(())
}

/// `target` as a link from the file `from` (both relative to the working folder).
fn relative_to(from: &Path, target: &Path) -> String {
    let base = from.parent().unwrap_or(Path::new(""));
    target
        .strip_prefix(base)
        .unwrap_or(target)
        .display()
        .to_string()
}

fn main_sqlite<'a>(args: &AllArgs, figures: &'a Figures) -> Option<&'a InitialRun> {
    figures
        .sqlite
        .iter()
        .find(|r| r.concurrency == args.concurrency)
}

fn headlines(args: &AllArgs, f: &Figures) -> Vec<Headline> {
    let mut rows = Vec::new();
    rows.push(Headline {
        scenario: format!("Bulk access check, {} users", args.check_users),
        ours: format!("{:.0} checks/s", f.check_rate),
        peer: f
            .check_peer
            .as_ref()
            .map_or_else(skipped, |p| format!("{:.0} checks/s", p.rate)),
        ratio: f.check_peer.as_ref().map(|p| f.check_rate / p.rate),
    });
    let initial = format!(
        "Initial sync, {} mailboxes × {} items",
        args.initial_mailboxes,
        f.sizes.large_items.per_mailbox()
    );
    if let Some(ours) = main_sqlite(args, f) {
        rows.push(Headline {
            scenario: format!("{initial}, SQLite"),
            ours: format!("{:.0} items/s", ours.rate),
            peer: f
                .peer_initial
                .as_ref()
                .map_or_else(skipped, |p| format!("{:.0} items/s", p.rate)),
            ratio: f.peer_initial.as_ref().map(|p| ours.rate / p.rate),
        });
    }
    for run in &f.postgres {
        rows.push(Headline {
            scenario: format!(
                "{initial}, PostgreSQL, {} worker process{}",
                run.workers,
                if run.workers == 1 { "" } else { "es" }
            ),
            ours: format!("{:.0} items/s", run.rate),
            peer: f
                .peer_initial
                .as_ref()
                .map_or_else(skipped, |p| format!("{:.0} items/s (SQLite)", p.rate)),
            ratio: f.peer_initial.as_ref().map(|p| run.rate / p.rate),
        });
    }
    let n = args.poll_mailboxes as f64;
    let ours_unchanged = n / f.unchanged.secs;
    let ours_changed = n / f.changed.secs;
    let peer = f.peer_polls.as_ref();
    let peer_rate = |secs: f64| peer.map(|p| f64::from(p.mailboxes) / secs);
    let unchanged_peer = peer.and_then(|p| peer_rate(p.unchanged_secs));
    let changed_peer = peer.and_then(|p| peer_rate(p.changed_secs));
    rows.push(Headline {
        scenario: format!("Poll, nothing changed, {} mailboxes", args.poll_mailboxes),
        ours: format!("{ours_unchanged:.0} mailboxes/s"),
        peer: unchanged_peer.map_or_else(skipped, |r| format!("{r:.0} mailboxes/s")),
        ratio: unchanged_peer.map(|r| ours_unchanged / r),
    });
    let ours_latency = percentiles(f.changed.latencies.clone());
    let peer_latency = peer.and_then(|p| percentiles(p.latencies.clone()));
    rows.push(Headline {
        scenario: format!("Poll, 1 % changed, {} mailboxes", args.poll_mailboxes),
        ours: format!(
            "{ours_changed:.0} mailboxes/s, {}",
            latency_short(ours_latency)
        ),
        peer: changed_peer.map_or_else(skipped, |r| {
            format!("{r:.0} mailboxes/s, {}", latency_short(peer_latency))
        }),
        ratio: changed_peer.map(|r| ours_changed / r),
    });
    rows
}

fn skipped() -> String {
    "skipped (no venv)".into()
}

fn latency_short(p: Option<Percentiles>) -> String {
    p.map_or_else(
        || "no latency".into(),
        |p| format!("p50 {:.1} s / p95 {:.1} s", p.p50, p.p95),
    )
}

/// The headline table's rows, one line each.
fn table_rows(rows: &[Headline]) -> String {
    rows.iter()
        .map(|row| {
            format!(
                "| {} | {} | {} | {} |\n",
                row.scenario,
                row.ours,
                row.peer,
                row.ratio_text()
            )
        })
        .collect()
}

fn readme_table(rows: &[Headline], chart: &str) -> String {
    let mut text = String::from(
        "Headline figures of the last `./scripts/bench` (`impersync bench all`: one machine, one \
         simulator, each scenario run by Impersync and then by the exchangelib peer; details in \
         [`docs/benchmarks.md`](docs/benchmarks.md)):\n\n\
         | scenario | Impersync | exchangelib | Impersync / exchangelib |\n|---|---|---|---|\n",
    );
    text.push_str(&table_rows(rows));
    let _ = write!(
        text,
        "\nThroughput of the initial sync against concurrency: [{chart}]({chart}).\n"
    );
    text
}

fn draw_chart(args: &AllArgs, f: &Figures) -> anyhow::Result<()> {
    let mut series = vec![Series {
        label: "SQLite: 1 worker task, mailboxes in flight".into(),
        points: f
            .sqlite
            .iter()
            .map(|r| (r.in_flight() as f64, r.rate, format!("  {}", r.concurrency)))
            .collect(),
    }];
    if !f.postgres.is_empty() {
        series.push(Series {
            label: format!(
                "PostgreSQL: impersync worker processes × {}",
                args.concurrency
            ),
            points: f
                .postgres
                .iter()
                .map(|r| (r.in_flight() as f64, r.rate, format!("  {} w", r.workers)))
                .collect(),
        });
    }
    if let Some(peer) = &f.peer_initial {
        series.push(Series {
            label: format!("{}: {} threads", peer.tool, peer.threads),
            points: vec![(f64::from(peer.threads), peer.rate, String::new())],
        });
    }
    chart::draw(
        &args.chart,
        &format!(
            "Initial sync, {} mailboxes × {} items: items/s",
            args.initial_mailboxes,
            f.sizes.large_items.per_mailbox()
        ),
        &series,
        &args.font,
    )
}

/// The command line as run, with the database URL replaced by its variable.
fn command_line(args: &AllArgs) -> String {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    if let Some(url) = &args.database_url {
        for word in &mut words {
            *word = word.replace(url.as_str(), "$IMPERSYNC_TEST_POSTGRES_URL");
        }
    }
    format!("impersync {}", words.join(" "))
}

fn rss(mib: f64) -> String {
    format!("{mib:.0} MiB")
}

fn section(args: &AllArgs, f: &Figures, headlines: &[Headline]) -> String {
    let machine = Machine::detect();
    let chart_link = relative_to(&args.write, &args.chart);
    let mut s = String::new();
    let _ = write!(
        s,
        "## Every scenario in one run (`impersync bench all`)\n\n\
         Command: `./scripts/bench`, which builds the release binary, makes sure the exchangelib venv \
         exists, starts a throwaway PostgreSQL (`scripts/with-postgres.sh`) and runs  \n\
         `{cmd}`  \n\
         {machine} The machine is shared: other builds and tests ran on the same 2 CPUs meanwhile, so \
         figures move between runs.  \n\
         One simulator process serves every scenario on loopback ({small} small mailboxes with {small_items} \
         items each for the checks and polls, {large} large ones with {large_items} items each for the \
         initial syncs; Basic auth, impersonation by PrimarySmtpAddress). The scenarios run one after \
         another, and in each Impersync runs first and then the exchangelib peer \
         (`bench/peers/exchangelib_peer.py`, {peer_threads} threads, one shared pooled `Configuration`, \
         pinned server version), so the two never share the CPUs. Every figure is checked before it \
         counts: every check `Ok`; the stores hold exactly the simulator's items with one feed row \
         each; the polls apply exactly what changed.\n\n\
         | scenario | Impersync | exchangelib | Impersync / exchangelib |\n|---|---|---|---|\n",
        cmd = command_line(args),
        machine = machine.line(),
        small = args.poll_mailboxes,
        small_items = f.sizes.poll_items.per_mailbox(),
        large = args.initial_mailboxes,
        large_items = f.sizes.large_items.per_mailbox(),
        peer_threads = args.peer_threads,
    );
    s.push_str(&table_rows(headlines));
    let _ = write!(
        s,
        "\n![Initial sync throughput against concurrency]({chart_link})\n\n"
    );
    s.push_str(&details(args, f));
    s
}

fn details(args: &AllArgs, f: &Figures) -> String {
    let mut s = String::new();
    let peer_cmd = |job: &str, extra: &str| {
        format!(
            "`{} bench/peers/exchangelib_peer.py {job} --url $SIM --service-account svc@bench.test \
             --password-env IMPERSYNC_BENCH_PASSWORD --threads {} --users USERS.txt{extra}`",
            args.python.display(),
            args.peer_threads
        )
    };
    let _ = write!(
        s,
        "### Bulk access check\n\n\
         Each check is one impersonated GetFolder of the Inbox; Impersync's `bulk_check` with {conc} in flight \
         over {users} users, then the peer: {peer}.\n\n\
         | client | throughput | peak RSS |\n|---|---|---|\n\
         | Impersync, {conc} in flight | {rate:.0} checks/s | {rss} |\n",
        conc = args.check_concurrency,
        users = args.check_users,
        peer = peer_cmd("check", ""),
        rate = f.check_rate,
        rss = rss(f.check_rss),
    );
    if let Some(p) = &f.check_peer {
        let _ = writeln!(
            s,
            "| exchangelib, {} threads | {:.0} checks/s | {} |",
            args.peer_threads,
            p.rate,
            rss(p.peak_rss_mib)
        );
    }

    let _ = write!(
        s,
        "\n### Initial sync\n\n\
         {mb} mailboxes × {per} items (Inbox {inbox}, Sent Items {sent}, Calendar {cal}, Contacts {con}) from an \
         empty store, end to end. Per mailbox one GetFolder, then per folder SyncFolderItems (up to 512 changes a \
         page) and GetItem in batches, each page committed with its feed rows and SyncState. On SQLite one worker \
         task (`Engine::sync_due`, batches of {batch}) with 8 to {conc} mailboxes in flight; on PostgreSQL \
         (a fresh database on the throwaway cluster for each run, `fsync=off`) 1, 2 or 4 real `impersync worker` \
         processes (`--batch {batch} --concurrency {conc}`), each claiming due mailboxes under leases from the same \
         database, until the store shows every mailbox synced. The peer syncs the first {pmb} of the same \
         mailboxes with `folder.sync_items()` into its own SQLite file: {peer}.\n\n\
         | run | mailboxes syncing at once | throughput | time | peak RSS |\n|---|---|---|---|---|\n",
        mb = args.initial_mailboxes,
        per = f.sizes.large_items.per_mailbox(),
        inbox = f.sizes.large_items.inbox,
        sent = f.sizes.large_items.sent,
        cal = f.sizes.large_items.calendar,
        con = f.sizes.large_items.contacts,
        batch = args.batch,
        conc = args.concurrency,
        pmb = args.peer_initial_mailboxes.min(args.initial_mailboxes),
        peer = peer_cmd("sync", " --db peer.sqlite"),
    );
    for r in &f.sqlite {
        let _ = writeln!(
            s,
            "| Impersync, SQLite, 1 worker task | {} | {:.0} items/s | {:.1} s | {} |",
            r.in_flight(),
            r.rate,
            r.secs,
            rss(r.peak_rss_mib)
        );
    }
    for r in &f.postgres {
        let _ = writeln!(
            s,
            "| Impersync, PostgreSQL, {} `impersync worker` process(es) | {} | {:.0} items/s | {:.1} s | {} (largest process) |",
            r.workers,
            r.in_flight(),
            r.rate,
            r.secs,
            rss(r.peak_rss_mib)
        );
    }
    if f.postgres.is_empty() {
        s.push_str("| Impersync, PostgreSQL | skipped: no `--database-url` | | | |\n");
    }
    if let Some(p) = &f.peer_initial {
        let _ = writeln!(
            s,
            "| {}, {} threads, {} mailboxes | {} | {:.0} items/s | | {} |",
            p.tool,
            p.threads,
            p.mailboxes,
            p.threads,
            p.rate,
            rss(p.peak_rss_mib)
        );
    }

    let n = args.poll_mailboxes;
    let _ = write!(
        s,
        "\n### Polls\n\n\
         The {n} small mailboxes are synced once into a fresh SQLite store (not timed). **Nothing changed:** all \
         are made due (\"sync now\") and one round is timed (one worker task, batches of {batch}, {conc} in \
         flight); it must commit no page (an idle page is not written) and add no feed row ({req} EWS requests). **1 % changed \
         (new):** all are made due again, then one new message is delivered through the simulator's control \
         API to each of {d} mailboxes spread evenly over the list, each delivery's time recorded when the \
         simulator confirms it; then the real worker loop (`Engine::run_worker`, one loop, same batch and \
         concurrency) polls every mailbox while a consumer reads the change feed through the store \
         (`change_feed().changes`) every {every} ms and notes when each new row first appears. The latency is \
         delivered → visible in the feed. It includes the wait until the worker reaches the mailbox in its round \
         (every mailbox was due at once, as when a poll interval elapses for all of them), that mailbox's sync \
         and commit, and up to {every} ms of the consumer's reading; it is the latency of polling back to back. \
         With a poll interval longer than a round, add the wait for the interval (half of it on average).\n\n\
         The peer does the same on the first {pn} of these mailboxes with its own SQLite file: a full \
         `sync_items()` of each folder (not timed), an incremental round from the stored states with nothing \
         changed, then one new message to each of {pd} of its mailboxes and a second incremental round \
         ({peer}); a message counts as seen when `sync_items()` yields it, before the peer writes it.\n\n\
         | client | round, nothing changed | round, 1 % changed | delivered → visible p50 | p95 | max | peak RSS |\n\
         |---|---|---|---|---|---|---|\n",
        batch = args.poll_batch,
        conc = args.poll_concurrency,
        req = f.unchanged.requests,
        d = f.changed.delivered,
        every = FEED_READ_EVERY.as_millis(),
        pn = args.peer_poll_mailboxes.min(n),
        pd = f.peer_polls.as_ref().map_or(0, |p| p.delivered),
        peer = peer_cmd(
            "sync",
            " --db peer-poll.sqlite --incremental [--seen-out seen.jsonl]"
        ),
    );
    let ours = percentiles(f.changed.latencies.clone());
    let _ = writeln!(
        s,
        "| Impersync, {n} mailboxes | {:.2} s ({:.0} mailboxes/s) | {:.2} s ({:.0} mailboxes/s) | {} | {} |",
        f.unchanged.secs,
        f64::from(n) / f.unchanged.secs,
        f.changed.secs,
        f64::from(n) / f.changed.secs,
        latency_cells(ours),
        rss(f.unchanged.peak_rss_mib.max(f.changed.peak_rss_mib)),
    );
    if let Some(p) = &f.peer_polls {
        let m = f64::from(p.mailboxes);
        let _ = writeln!(
            s,
            "| {}, {} threads, {} mailboxes | {:.2} s ({:.0} mailboxes/s) | {:.2} s ({:.0} mailboxes/s) | {} | {} |",
            p.tool,
            p.threads,
            p.mailboxes,
            p.unchanged_secs,
            m / p.unchanged_secs,
            p.changed_secs,
            m / p.changed_secs,
            latency_cells(percentiles(p.latencies.clone())),
            rss(p.unchanged_rss_mib.max(p.changed_rss_mib)),
        );
        if p.mailboxes < n {
            let _ = writeln!(
                s,
                "\nThe peer's rounds covered {} mailboxes, not {n}: its delivered → seen latency is that of a round {:.1}× shorter than Impersync's. At its measured rate a round over all {n} would take {:.0} s, and latencies of back-to-back polling grow with the round.",
                p.mailboxes,
                f64::from(n) / m,
                f64::from(n) / (m / p.changed_secs),
            );
        }
    }
    s.push_str(
        "\nPeak RSS: Impersync's is the bench process's own (its peak reset before each scenario), \
         which also holds the harness; the simulator runs in its own process and is not counted. On \
         PostgreSQL it is the largest worker process's. The peer's is its Python process's.\n",
    );
    s
}

fn latency_cells(p: Option<Percentiles>) -> String {
    p.map_or_else(
        || "– | – | –".into(),
        |p| format!("{:.2} s | {:.2} s | {:.2} s", p.p50, p.p95, p.max),
    )
}
