//! The registry of check-run jobs running in this process.

use impersync_store::CheckRunId;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::task::JoinHandle;

/// The check-run jobs this process runs, by run.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    running: Mutex<HashMap<CheckRunId, JoinHandle<()>>>,
}

impl Jobs {
    /// Registers a job.
    pub(crate) fn insert(&self, run: CheckRunId, job: JoinHandle<()>) {
        let mut running = self.running.lock().expect("jobs lock");
        running.retain(|_, j| !j.is_finished());
        running.insert(run, job);
    }

    /// Takes a job out of the registry, to wait for it.
    pub(crate) fn take(&self, run: CheckRunId) -> Option<JoinHandle<()>> {
        self.running.lock().expect("jobs lock").remove(&run)
    }
}
