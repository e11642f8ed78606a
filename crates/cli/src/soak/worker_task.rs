//! The engine's worker loop ([`Engine::run_worker`]) on a task of the soak process, as
//! `serve` runs it, and stopped the same way.

use anyhow::Context;
use impersync_engine::Engine;
use impersync_engine::sync::{SyncRunError, WorkerOptions, WorkerReport};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running worker loop.
pub struct WorkerTask {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<WorkerReport, SyncRunError>>,
}

impl WorkerTask {
    /// Starts the worker loop with the default batch and concurrency, leases named `owner`.
    pub fn start(engine: &Engine, owner: &str) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let engine = engine.clone();
        let options = WorkerOptions {
            owner: owner.to_string(),
            ..WorkerOptions::default()
        };
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            engine.run_worker(options, shutdown).await
        });
        Self { stop, task }
    }

    /// Stops the loop (mailboxes in flight give their leases back); what it did.
    pub async fn stop(self) -> anyhow::Result<WorkerReport> {
        let _ = self.stop.send(());
        self.task
            .await
            .context("the sync worker panicked")?
            .context("running the sync worker")
    }
}
