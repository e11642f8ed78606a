//! `impersync bench scale-out`: `--orgs` organisations of `--per-org` generated mailboxes
//! on PostgreSQL, synced by `--workers` `impersync worker` processes against one simulator
//! process. During the initial sync one worker is killed with SIGKILL and another added;
//! then every mailbox is made due once within `--poll-secs` (a poll round). Lease claims
//! and their queue lag come from a claim log in the database, memory and CPU from `/proc`,
//! writes from the server's statistics; the store is checked to be exact at the end.

use super::machine::Machine;
use super::report::write_section;
use super::scale_out_phase::{Phase, Snapshot};
use super::scale_out_probe::Probe;
use super::scale_out_procs::{ProcStats, WorkerFlags, WorkerProcess};
use super::scale_out_report::{Kill, Report, WorkerRow};
use super::scale_out_setup;
use super::scenario::FolderItems;
use super::sim_process::SimProcess;
use super::sync_org;
use anyhow::{Context, bail};
use impersync_store::now_millis;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Arguments of `impersync bench scale-out`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScaleOutArgs {
    /// Organisations.
    #[arg(long, default_value_t = 1_000)]
    pub orgs: u32,
    /// Mailboxes per organisation.
    #[arg(long, default_value_t = 100)]
    pub per_org: u32,
    /// Inbox items per mailbox.
    #[arg(long, default_value_t = 1)]
    pub inbox: u32,
    /// Sent Items items per mailbox.
    #[arg(long, default_value_t = 1)]
    pub sent: u32,
    /// Calendar items per mailbox.
    #[arg(long, default_value_t = 1)]
    pub calendar: u32,
    /// Contacts per mailbox.
    #[arg(long, default_value_t = 1)]
    pub contacts: u32,
    /// The PostgreSQL database (`postgres://...`, empty).
    #[arg(long, env = "IMPERSYNC_DATABASE_URL")]
    pub database_url: String,
    /// Worker processes at the start.
    #[arg(long, default_value_t = 4)]
    pub workers: u32,
    /// Most mailboxes each worker leases at once (`impersync worker --batch`).
    #[arg(long, default_value_t = 64)]
    pub batch: u32,
    /// Mailboxes each worker syncs at once (`impersync worker --concurrency`).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Lease length in seconds (`impersync worker --lease-secs`).
    #[arg(long, default_value_t = 10)]
    pub lease_secs: u64,
    /// Kill the first worker (SIGKILL) once this share of the mailboxes is synced.
    #[arg(long, default_value_t = 0.3)]
    pub kill_at: f64,
    /// Start one more worker once this share of the mailboxes is synced.
    #[arg(long, default_value_t = 0.5)]
    pub add_at: f64,
    /// The poll round: every mailbox falls due once within this many seconds.
    #[arg(long, default_value_t = 300)]
    pub poll_secs: u64,
    /// Delay of every EWS request at the simulator, in ms (0: none).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3_600)]
    pub timeout_secs: u64,
    /// Record the results in the `--write` file.
    #[arg(long)]
    pub record: bool,
    /// Markdown file to record into (its `scale-out` section).
    #[arg(long, default_value = "docs/benchmarks.md")]
    pub write: PathBuf,
}

/// How often progress is read.
const TICK: Duration = Duration::from_millis(500);

/// The running parts.
struct Run<'a> {
    args: &'a ScaleOutArgs,
    dir: &'a Path,
    probe: &'a Probe,
    sim: &'a SimProcess,
    pg_pid: u32,
    mailboxes: i64,
    started: Instant,
    workers: Vec<WorkerProcess>,
    rows: Vec<WorkerRow>,
    ended_cpu: f64,
}

impl Run<'_> {
    fn flags(&self) -> WorkerFlags {
        WorkerFlags {
            batch: self.args.batch,
            concurrency: self.args.concurrency,
            lease_secs: self.args.lease_secs,
        }
    }

    fn start_worker(&mut self, n: usize) -> anyhow::Result<()> {
        let owner = format!("scale-{n}");
        let worker = WorkerProcess::start(
            &owner,
            self.flags(),
            &self.args.database_url,
            &self.dir.join("data"),
            self.dir,
        )?;
        eprintln!("worker {owner} started (pid {})", worker.pid());
        self.workers.push(worker);
        Ok(())
    }

    fn worker_cpu(&self) -> f64 {
        self.ended_cpu
            + self
                .workers
                .iter()
                .map(|w| ProcStats::read(w.pid()).cpu_secs)
                .sum::<f64>()
    }

    async fn snapshot(&self) -> anyhow::Result<Snapshot> {
        Snapshot::take(self.probe, self.pg_pid, self.sim, self.worker_cpu()).await
    }

    /// How many mailboxes have synced at or after `since`, or `None` once all have;
    /// fails when a mailbox failed or the run is over its time.
    async fn progress(&self, since: i64) -> anyhow::Result<Option<i64>> {
        let (synced, failed) = self.probe.progress(since).await?;
        if failed > 0 {
            bail!("{failed} mailboxes failed to sync; the run is not valid");
        }
        if synced >= self.mailboxes {
            return Ok(None);
        }
        if self.started.elapsed() > Duration::from_secs(self.args.timeout_secs) {
            bail!(
                "{synced} of {} mailboxes synced after {} s (--timeout-secs)",
                self.mailboxes,
                self.args.timeout_secs
            );
        }
        Ok(Some(synced))
    }
}

/// Runs the benchmark; with `--record`, writes its section of the report.
pub async fn run(args: ScaleOutArgs) -> anyhow::Result<()> {
    if !args.database_url.starts_with("postgres") {
        bail!("--database-url: give an empty PostgreSQL database (postgres://...)");
    }
    if args.workers < 2 {
        bail!("--workers: at least 2, as one is killed during the run");
    }
    impersync_exchange::install_default_provider();
    let items = FolderItems {
        inbox: args.inbox,
        sent: args.sent,
        calendar: args.calendar,
        contacts: args.contacts,
    };
    let mailboxes = args.orgs * args.per_org;
    let dir =
        std::env::temp_dir().join(format!("impersync-bench-scale-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(&args, &dir, &items, mailboxes).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = result?;
    let body = report.markdown();
    if args.record {
        write_section(&args.write, "scale-out", &body)
            .with_context(|| format!("writing {}", args.write.display()))?;
    }
    println!("{body}");
    Ok(())
}

async fn run_in(
    args: &ScaleOutArgs,
    dir: &Path,
    items: &FolderItems,
    mailboxes: u32,
) -> anyhow::Result<Report> {
    let scenario_path = dir.join("scenario.toml");
    std::fs::write(
        &scenario_path,
        scale_out_setup::scenario(mailboxes, items, args.latency_ms),
    )?;
    let sim = SimProcess::start(&scenario_path)?;
    eprintln!("simulator (pid {}) at {}", sim.pid(), sim.base_url);
    let setup_started = Instant::now();
    let store = sync_org::open_store(dir, Some(&args.database_url)).await?;
    let probe = Probe::install(&args.database_url).await?;
    scale_out_setup::create_orgs(&store, &sim.base_url, args.orgs, args.per_org).await?;
    store.close().await;
    let setup_secs = setup_started.elapsed().as_secs_f64();
    eprintln!(
        "{} organisations of {} mailboxes set up in {setup_secs:.1} s",
        args.orgs, args.per_org
    );
    let pg_pid = probe.backend_pid().await?;
    let mut run = Run {
        args,
        dir,
        probe: &probe,
        sim: &sim,
        pg_pid,
        mailboxes: i64::from(mailboxes),
        started: Instant::now(),
        workers: Vec::new(),
        rows: Vec::new(),
        ended_cpu: 0.0,
    };
    let outcome = drive(&mut run, setup_secs).await;
    let mut rows = std::mem::take(&mut run.rows);
    for worker in std::mem::take(&mut run.workers) {
        let owner = worker.owner.clone();
        let stats = worker.terminate()?;
        rows.push(WorkerRow {
            owner,
            ended: "stopped with SIGTERM at the end",
            stats,
        });
    }
    let mut report = outcome?;
    report.sim_peak_rss_mib = ProcStats::read(sim.pid()).peak_rss_mib;
    report.workers = rows;
    probe
        .verify_exact(
            i64::from(mailboxes),
            items.folders().len() as i64,
            &items.folders().map(|(f, n)| (f, i64::from(n))),
        )
        .await
        .context("the store is not exact after the run")?;
    probe.close().await;
    drop(sim);
    Ok(report)
}

/// The initial sync with the kill and the added worker, then the poll round.
async fn drive(run: &mut Run<'_>, setup_secs: f64) -> anyhow::Result<Report> {
    let args = run.args;
    let mailboxes = run.mailboxes;
    let kill_count = (mailboxes as f64 * args.kill_at) as i64;
    let add_count = ((mailboxes as f64 * args.add_at) as i64).max(kill_count);

    let before = run.snapshot().await?;
    let t0 = now_millis();
    let started = Instant::now();
    for n in 1..=args.workers as usize {
        run.start_worker(n)?;
    }
    let mut kill: Option<Kill> = None;
    let mut added = false;
    while let Some(synced) = run.progress(0).await? {
        if kill.is_none() && synced >= kill_count {
            kill = kill_first(run, synced, started).await?;
        }
        if let Some(k) = kill.as_mut().filter(|_| !added && synced >= add_count) {
            run.start_worker(args.workers as usize + 1)?;
            k.added_at_synced = synced;
            k.added_after_secs = started.elapsed().as_secs_f64();
            added = true;
        }
        tokio::time::sleep(TICK).await;
    }
    let initial_secs = started.elapsed().as_secs_f64();
    let Some(mut kill) = kill else {
        bail!("the sync ended before a worker could be killed holding leases; use more mailboxes");
    };
    if !added {
        run.start_worker(args.workers as usize + 1)?;
    }
    let held = run.probe.held_by(&kill.owner).await?;
    if !held.is_empty() {
        bail!(
            "{} leases of the killed worker were never taken over",
            held.len()
        );
    }
    let reclaimed = run
        .probe
        .reclaimed(&kill.held, &kill.owner, kill.at_ms)
        .await?;
    let after: Vec<f64> = reclaimed
        .iter()
        .map(|t| t.map(|t| (t - kill.at_ms) as f64 / 1000.0))
        .collect::<Option<_>>()
        .context("a lease of the killed worker was not claimed again")?;
    if !after.is_empty() {
        kill.reclaimed_after_secs = (
            after.iter().copied().fold(f64::MAX, f64::min),
            after.iter().copied().fold(0.0, f64::max),
        );
    }
    let after_initial = run.snapshot().await?;
    let initial_claims = run.probe.claims(0, t0).await?;
    let initial = Phase::between(
        &before,
        &after_initial,
        mailboxes as u64,
        initial_secs,
        initial_claims,
    );
    eprintln!(
        "initial sync: {mailboxes} mailboxes in {initial_secs:.1} s; {} claims, {} taken over",
        initial_claims.claims, initial_claims.takeovers
    );

    let poll_start = now_millis() + 6_000;
    let window_ms = i64::try_from(args.poll_secs * 1_000)?;
    run.probe.spread_due(poll_start, window_ms).await?;
    let poll_started = Instant::now();
    while run.progress(poll_start).await?.is_some() {
        tokio::time::sleep(TICK).await;
    }
    let poll_secs = poll_started.elapsed().as_secs_f64();
    let after_poll = run.snapshot().await?;
    let poll_claims = run.probe.claims(poll_start, i64::MAX).await?;
    let poll = Phase::between(
        &after_initial,
        &after_poll,
        mailboxes as u64,
        poll_secs,
        poll_claims,
    );
    eprintln!(
        "poll round: {mailboxes} mailboxes due within {} s, all polled after {poll_secs:.1} s; \
         queue lag p95 {} ms",
        args.poll_secs, poll_claims.lag_ms[1]
    );
    Ok(Report {
        args: args.clone(),
        machine: Machine::detect().line(),
        setup_secs,
        initial,
        poll,
        kill,
        workers: Vec::new(),
        sim_peak_rss_mib: 0.0,
    })
}

/// Kills the first worker with SIGKILL if it holds leases now; returns what it held.
async fn kill_first(
    run: &mut Run<'_>,
    synced: i64,
    started: Instant,
) -> anyhow::Result<Option<Kill>> {
    let owner = "scale-1".to_string();
    if run.probe.held_by(&owner).await?.is_empty() {
        return Ok(None);
    }
    let index = run
        .workers
        .iter()
        .position(|w| w.owner == owner)
        .context("the first worker is not running")?;
    let stats = run.workers.remove(index).kill()?;
    let at_ms = now_millis();
    let held = run.probe.held_by(&owner).await?;
    run.ended_cpu += stats.cpu_secs;
    run.rows.push(WorkerRow {
        owner: owner.clone(),
        ended: "killed with SIGKILL",
        stats,
    });
    eprintln!(
        "worker {owner} killed at {synced} synced, holding {} leases",
        held.len()
    );
    Ok(Some(Kill {
        owner,
        at_synced: synced,
        after_secs: started.elapsed().as_secs_f64(),
        at_ms,
        held,
        reclaimed_after_secs: (0.0, 0.0),
        added_at_synced: 0,
        added_after_secs: 0.0,
    }))
}
