//! The initial sync on PostgreSQL by `impersync worker` processes, as a scale-out runs it:
//! each process claims batches of due mailboxes under leases from the same database. The
//! run ends when the store shows every mailbox synced and none due; each run gets a fresh
//! database on the given server, dropped afterwards.

use super::initial_runs::{self, InitialRun, LargeSet};
use super::machine::peak_rss_of;
use super::sync_bench::{self, SyncBench, SyncTarget};
use anyhow::{Context, bail};
use sqlx::{AssertSqlSafe, Connection};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a run may take before the benchmark gives up.
const RUN_LIMIT: Duration = Duration::from_secs(900);

/// How often the store is asked whether the run has ended.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// Worker processes, killed when dropped.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Syncs the set into a fresh database on the server at `server_url` with `workers`
/// `impersync worker` processes, each syncing `concurrency` mailboxes at once.
pub async fn run(
    set: &LargeSet<'_>,
    server_url: &str,
    workers: usize,
    concurrency: usize,
) -> anyhow::Result<InitialRun> {
    let name = format!("impersync_bench_w{workers}_{}", std::process::id());
    let url = create_database(server_url, &name).await?;
    let result = sync_with_processes(set, &url, workers, concurrency).await;
    drop_database(server_url, &name).await?;
    result
}

async fn sync_with_processes(
    set: &LargeSet<'_>,
    url: &str,
    workers: usize,
    concurrency: usize,
) -> anyhow::Result<InitialRun> {
    let dir = sync_bench::temp_dir(&format!("initial-pg-{workers}"))?;
    let target = SyncTarget {
        addresses: set.addresses,
        database_url: Some(url),
        poll_interval_secs: 3_600,
        concurrency,
    };
    let bench = SyncBench::on(set.sim.clone(), dir, &target).await?;
    let exe = std::env::current_exe().context("cannot find the impersync binary")?;
    let started = Instant::now();
    let mut children = Workers(Vec::with_capacity(workers));
    for n in 1..=workers {
        let log = std::fs::File::create(bench.dir.join(format!("worker-{n}.log")))?;
        let child = Command::new(&exe)
            .arg("worker")
            .arg("--data-dir")
            .arg(bench.dir.join("data"))
            .args(["--owner", &format!("bench-pg-{n}")])
            .args(["--batch", &set.batch.to_string()])
            .args(["--concurrency", &concurrency.to_string()])
            .env(impersync_store::DATABASE_URL_ENV, url)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start `impersync worker`")?;
        children.0.push(child);
    }
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let done = bench
            .all_synced()
            .await
            .with_context(|| format!("see the worker logs in {}", bench.dir.display()))?;
        if done {
            break;
        }
        for child in &mut children.0 {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "a worker process exited early ({status}); see {}",
                    bench.dir.display()
                );
            }
        }
        if started.elapsed() > RUN_LIMIT {
            bail!(
                "the workers did not finish within {} s",
                RUN_LIMIT.as_secs()
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let peak = children
        .0
        .iter()
        .map(|c| peak_rss_of(c.id()))
        .fold(0.0, f64::max);
    drop(children);
    initial_runs::verify(&bench, set).await?;
    bench.finish().await;
    Ok(InitialRun {
        workers,
        concurrency,
        rate: initial_runs::expected(set) as f64 / secs,
        secs,
        peak_rss_mib: peak,
    })
}

/// Creates database `name` on the server; returns its URL.
async fn create_database(server_url: &str, name: &str) -> anyhow::Result<String> {
    let mut conn = sqlx::PgConnection::connect(server_url)
        .await
        .context("connecting to the PostgreSQL server (--database-url)")?;
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .with_context(|| format!("creating database {name}"))?;
    conn.close().await?;
    let mut url = reqwest::Url::parse(server_url).context("--database-url is not a URL")?;
    url.set_path(name);
    Ok(url.to_string())
}

async fn drop_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(server_url).await?;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .with_context(|| format!("dropping database {name}"))?;
    conn.close().await?;
    Ok(())
}
