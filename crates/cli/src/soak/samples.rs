//! What the soak samples of its own process: resident memory and open file descriptors.

use std::time::Duration;

/// One sample of the soak process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the soak started.
    pub at_secs: f64,
    /// Resident memory (`VmRSS`), in MiB.
    pub rss_mib: f64,
    /// Open file descriptors (entries of `/proc/self/fd`).
    pub fds: u64,
}

impl Sample {
    /// Samples the process now, `elapsed` into the run.
    pub fn take(elapsed: Duration) -> Self {
        Self {
            at_secs: elapsed.as_secs_f64(),
            rss_mib: crate::bench::machine::rss_mib().0,
            fds: open_fds(),
        }
    }
}

/// The process's open file descriptors, not counting the one that lists them.
fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count().saturating_sub(1) as u64)
}
