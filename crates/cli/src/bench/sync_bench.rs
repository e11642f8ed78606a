//! What both sync benchmarks start from: the simulator in its own process with the
//! generated mailboxes, a fresh store with the organisation set up, and an engine.

use super::scenario::{self as bench_scenario, FolderItems};
use super::sim_process::SimProcess;
use super::sync_org;
use impersync_engine::check_run::CheckRunSettings;
use impersync_engine::{Engine, Network};
use impersync_store::{OrgId, Store, UserId};
use std::path::PathBuf;

/// A running sync benchmark's parts.
pub struct SyncBench {
    /// The temporary folder (scenario, SQLite store, peer files).
    pub dir: PathBuf,
    /// The simulator.
    pub sim: SimProcess,
    /// The store.
    pub store: Store,
    /// The organisation.
    pub org: OrgId,
    /// Its users, in address order.
    pub users: Vec<UserId>,
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
        let dir =
            std::env::temp_dir().join(format!("impersync-bench-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let scenario_path = dir.join("scenario.toml");
        std::fs::write(&scenario_path, bench_scenario::sync_toml(mailboxes, items))?;
        let sim = SimProcess::start(&scenario_path)?;
        eprintln!("simulator (pid {}) at {}", sim.pid(), sim.base_url);
        let store = sync_org::open_store(&dir, database_url).await?;
        let (org, users) =
            sync_org::create(&store, &sim.base_url, mailboxes, poll_interval_secs).await?;
        let settings = CheckRunSettings {
            concurrency,
            ..CheckRunSettings::default()
        };
        let engine = Engine::with_settings(store.clone(), Network::default(), settings);
        Ok(Self {
            dir,
            sim,
            store,
            org,
            users,
            engine,
        })
    }

    /// Closes the store, stops the simulator and removes the temporary folder.
    pub async fn finish(self) {
        drop(self.engine);
        self.store.close().await;
        drop(self.sim);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
