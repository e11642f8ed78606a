//! How check runs behave: concurrency, how often results are stored, when a run is stale.

use std::time::Duration;

/// How check runs behave.
#[derive(Debug, Clone)]
pub struct CheckRunSettings {
    /// Checks in flight at once.
    pub concurrency: usize,
    /// Results are stored at least this often while a run goes on.
    pub flush_interval: Duration,
    /// Results are stored as soon as this many are waiting.
    pub flush_batch: usize,
    /// A running run whose heartbeat is older than this was interrupted (its process died).
    pub stale_after: Duration,
}

impl Default for CheckRunSettings {
    fn default() -> Self {
        Self {
            concurrency: 16,
            flush_interval: Duration::from_millis(250),
            flush_batch: 500,
            stale_after: Duration::from_secs(60),
        }
    }
}
