//! `impersync worker`: a sync worker on its own, for scale-out on PostgreSQL.

use anyhow::{Context, bail};
use impersync_engine::Engine;
use impersync_engine::sync::{WorkerOptions, default_owner};
use impersync_store::{OpenOptions, Store};
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Config, ConfigFile, WorkerSettings, process_env};
use crate::serve_cmd::shutdown_signal;

/// The refusal on SQLite.
pub const SQLITE_REFUSAL: &str = "SQLite serves one process: use the worker embedded in `impersync serve`, \
     or PostgreSQL for separate workers (IMPERSYNC_DATABASE_URL=postgres://...)";

/// Arguments of `impersync worker`; each overrides `impersync.toml` and `IMPERSYNC_*`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The configuration file (default: ./impersync.toml if it exists, or IMPERSYNC_CONFIG).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory of the key file [default: ./impersync-data; IMPERSYNC_DATA_DIR].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The worker's name on its leases [default: hostname-pid].
    #[arg(long)]
    owner: Option<String>,
    /// How many mailboxes the worker holds leases on at most; it claims again once half
    /// have ended [default: 16; IMPERSYNC_WORKER_BATCH].
    #[arg(long)]
    batch: Option<u32>,
    /// How many mailboxes sync at the same time [default: 4; IMPERSYNC_WORKER_CONCURRENCY].
    #[arg(long)]
    concurrency: Option<usize>,
    /// How long a claim holds a mailbox, in seconds [default: 300; IMPERSYNC_WORKER_LEASE_SECS].
    #[arg(long)]
    lease_secs: Option<u64>,
}

/// The worker options for these settings; `owner` defaults to `hostname-pid`.
pub fn options(settings: &WorkerSettings, owner: Option<String>) -> WorkerOptions {
    WorkerOptions {
        owner: owner.unwrap_or_else(default_owner),
        batch: settings.batch.max(1),
        concurrency: settings.concurrency.max(1),
        lease_for: Duration::from_secs(settings.lease_secs.max(1)),
        ..WorkerOptions::default()
    }
}

/// Runs the worker until Ctrl-C or SIGTERM.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let file = match &args.config {
        Some(path) => ConfigFile::Given(path.clone()),
        None => ConfigFile::Default,
    };
    let mut config = Config::load(&file, &process_env())?;
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    let settings = WorkerSettings {
        batch: args.batch.unwrap_or(config.worker.batch),
        concurrency: args.concurrency.unwrap_or(config.worker.concurrency),
        lease_secs: args.lease_secs.unwrap_or(config.worker.lease_secs),
        ..config.worker.clone()
    };
    let open = OpenOptions::from_env(&config.data_dir);
    if open.resolved_url().starts_with("sqlite:") {
        bail!("{SQLITE_REFUSAL}");
    }
    let store = Store::open(open)
        .await
        .context("opening the Impersync database (IMPERSYNC_DATABASE_URL)")?;
    let engine = Engine::new(store, crate::network::network(&config.network)?);
    let options = options(&settings, args.owner);
    println!(
        "Sync worker {} (batch {}, concurrency {}, lease {} s); Ctrl-C stops it.",
        options.owner,
        options.batch,
        options.concurrency,
        options.lease_for.as_secs()
    );
    let report = engine
        .run_worker(options, shutdown_signal())
        .await
        .context("running the sync worker")?;
    println!(
        "Sync worker stopped: {} claimed, {} synced, {} failed, {} lost, {} given back.",
        report.claimed, report.synced, report.failed, report.lost, report.released
    );
    Ok(())
}
