//! What both sync benchmarks start from: the simulator in its own process with the
//! generated mailboxes, a fresh store with the organisation set up, and an engine.

use super::scenario::{self as bench_scenario, FolderItems};
use super::sim_process::SimProcess;
use super::sync_org;
use anyhow::bail;
use impersync_engine::check_run::CheckRunSettings;
use impersync_engine::{Engine, Network};
use impersync_store::now_millis;
use impersync_store::{OrgId, Store, UserId};
use std::path::PathBuf;
use std::sync::Arc;

/// A running sync benchmark's parts.
pub struct SyncBench {
    /// The temporary folder (scenario, SQLite store, peer files).
    pub dir: PathBuf,
    /// The simulator (shared with other benchmarks of the same run).
    pub sim: Arc<SimProcess>,
    /// The store.
    pub store: Store,
    /// The organisation.
    pub org: OrgId,
    /// Its users, in the order of `addresses`.
    pub users: Vec<UserId>,
    /// Their addresses.
    pub addresses: Vec<String>,
    /// The engine over the store.
    pub engine: Engine,
}

impl SyncBench {
    /// Starts the simulator with `mailboxes` mailboxes holding `items` each, and sets up
    /// the store (SQLite in a temporary folder, or `database_url`) with the organisation
    /// polled every `poll_interval_secs`; the engine syncs `concurrency` mailboxes at once.
    pub async fn start(
        name: &str,
        mailboxes: u32,
        items: &FolderItems,
        database_url: Option<&str>,
        poll_interval_secs: u32,
        concurrency: usize,
    ) -> anyhow::Result<Self> {
        impersync_exchange::install_default_provider();
        let dir = temp_dir(name)?;
        let scenario_path = dir.join("scenario.toml");
        std::fs::write(&scenario_path, bench_scenario::sync_toml(mailboxes, items))?;
        let sim = SimProcess::start(&scenario_path)?;
        eprintln!("simulator (pid {}) at {}", sim.pid(), sim.base_url);
        let addresses = bench_scenario::addresses(bench_scenario::SMALL_PREFIX, mailboxes);
        let target = SyncTarget {
            addresses: &addresses,
            database_url,
            poll_interval_secs,
            concurrency,
        };
        Self::on(Arc::new(sim), dir, &target).await
    }

    /// Sets up a fresh store in `dir` (or at the target's database) for a simulator that
    /// already runs.
    pub async fn on(
        sim: Arc<SimProcess>,
        dir: PathBuf,
        target: &SyncTarget<'_>,
    ) -> anyhow::Result<Self> {
        impersync_exchange::install_default_provider();
        let store = sync_org::open_store(&dir, target.database_url).await?;
        let (org, users) = sync_org::create(
            &store,
            &sim.base_url,
            target.addresses,
            target.poll_interval_secs,
        )
        .await?;
        let settings = CheckRunSettings {
            concurrency: target.concurrency,
            ..CheckRunSettings::default()
        };
        let engine = Engine::with_settings(store.clone(), Network::default(), settings);
        Ok(Self {
            dir,
            sim,
            store,
            org,
            users,
            addresses: target.addresses.to_vec(),
            engine,
        })
    }

    /// Whether every mailbox has been synced and none is due or held; fails when one
    /// failed.
    pub async fn all_synced(&self) -> anyhow::Result<bool> {
        let gauges = self
            .store
            .sync_gauges(&sync_org::operator(), now_millis())
            .await?;
        if gauges.by_state.failing() > 0 {
            bail!(
                "{} mailboxes failed; the benchmark is not valid",
                gauges.by_state.failing()
            );
        }
        Ok(gauges.by_state.idle == self.users.len() as u64 && gauges.oldest_due_at.is_none())
    }

    /// Closes the store, lets go of the simulator (stopped with its last user) and removes
    /// the temporary folder.
    pub async fn finish(self) {
        drop(self.engine);
        self.store.close().await;
        drop(self.sim);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a sync benchmark's store is set up for.
pub struct SyncTarget<'a> {
    /// The mailboxes of the organisation, in order.
    pub addresses: &'a [String],
    /// The database (`postgres://...`, empty); SQLite in the folder when `None`.
    pub database_url: Option<&'a str>,
    /// The organisation's poll interval.
    pub poll_interval_secs: u32,
    /// Mailboxes the engine syncs at once.
    pub concurrency: usize,
}

/// A fresh temporary folder `impersync-bench-NAME-PID`.
pub fn temp_dir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("impersync-bench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
