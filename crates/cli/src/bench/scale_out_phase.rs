//! One phase of `bench scale-out` (the initial sync, or a poll round): the figures of
//! every process and of the server at its start and end, and their difference.

use super::scale_out_probe::{Claims, Probe, ServerFigures};
use super::scale_out_procs::{ProcStats, postgres_cpu_secs};
use super::sim_process::{SimProcess, requests_served};
use std::time::Duration;

/// How long the server's statistics may lag a commit.
const STATS_DELAY: Duration = Duration::from_millis(1_500);

/// Cumulative figures at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The simulator process.
    pub sim: ProcStats,
    /// CPU seconds of the workers that have ended, and of those running now.
    pub worker_cpu_secs: f64,
    /// CPU seconds of the PostgreSQL server, if readable.
    pub pg_cpu_secs: Option<f64>,
    /// The server's write figures.
    pub server: ServerFigures,
    /// EWS requests the simulator has numbered.
    pub requests: u64,
    /// Bytes of the simulator's request-log answer read for `requests` (the simulator
    /// wrote them; they are not EWS traffic).
    pub log_bytes: u64,
    /// The logged requests (the simulator keeps the latest 10,000): number and body bytes.
    pub logged: Vec<(u64, u64)>,
}

impl Snapshot {
    /// Takes a snapshot: the simulator `sim`, the workers' CPU seconds `worker_cpu_secs`,
    /// the server through `probe` (its backend `pg_pid`).
    pub async fn take(
        probe: &Probe,
        pg_pid: u32,
        sim: &SimProcess,
        worker_cpu_secs: f64,
    ) -> anyhow::Result<Self> {
        tokio::time::sleep(STATS_DELAY).await;
        let stats = ProcStats::read(sim.pid());
        let (log, log_bytes) = sim.request_log().await?;
        let logged = log
            .iter()
            .filter_map(|e| Some((e["seq"].as_u64()?, e["request_bytes"].as_u64()?)))
            .collect();
        Ok(Self {
            sim: stats,
            worker_cpu_secs,
            pg_cpu_secs: postgres_cpu_secs(pg_pid),
            server: probe.server_figures().await?,
            requests: requests_served(&log),
            log_bytes,
            logged,
        })
    }
}

/// What one phase cost, end minus start.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phase {
    /// Mailboxes synced in it.
    pub mailboxes: u64,
    /// Its wall-clock time, seconds.
    pub secs: f64,
    /// Its lease claims.
    pub claims: Claims,
    /// EWS requests.
    pub requests: u64,
    /// Request body bytes: the phase's requests times the mean body of those of its
    /// requests still in the simulator's log.
    pub bytes_in: u64,
    /// Bytes the simulator wrote (responses).
    pub bytes_out: u64,
    /// CPU seconds of the workers.
    pub worker_cpu: f64,
    /// CPU seconds of the simulator.
    pub sim_cpu: f64,
    /// CPU seconds of PostgreSQL, if readable.
    pub pg_cpu: Option<f64>,
    /// The server's writes.
    pub server: ServerFigures,
}

impl Phase {
    /// The phase from `start` to `end`.
    pub fn between(
        start: &Snapshot,
        end: &Snapshot,
        mailboxes: u64,
        secs: f64,
        claims: Claims,
    ) -> Self {
        Self {
            mailboxes,
            secs,
            claims,
            requests: end.requests - start.requests,
            bytes_in: request_bytes(&end.logged, start.requests, end.requests - start.requests),
            bytes_out: end
                .sim
                .written_bytes
                .saturating_sub(start.sim.written_bytes + start.log_bytes),
            worker_cpu: end.worker_cpu_secs - start.worker_cpu_secs,
            sim_cpu: end.sim.cpu_secs - start.sim.cpu_secs,
            pg_cpu: end.pg_cpu_secs.zip(start.pg_cpu_secs).map(|(e, s)| e - s),
            server: end.server - start.server,
        }
    }

    /// `value` per mailbox of the phase.
    pub fn per_mailbox(&self, value: f64) -> f64 {
        value / (self.mailboxes.max(1) as f64)
    }
}

/// `requests` requests' body bytes: their number times the mean body of the `logged`
/// requests numbered after `after`.
fn request_bytes(logged: &[(u64, u64)], after: u64, requests: u64) -> u64 {
    let bodies: Vec<u64> = logged
        .iter()
        .filter(|(seq, _)| *seq > after)
        .map(|(_, bytes)| *bytes)
        .collect();
    if bodies.is_empty() {
        return 0;
    }
    requests * bodies.iter().sum::<u64>() / bodies.len() as u64
}

#[cfg(test)]
mod tests {
    use super::request_bytes;

    #[test]
    fn request_bytes_scale_the_mean_logged_body_of_the_phase() {
        let logged = [(9, 5_000), (10, 100), (11, 300)];
        assert_eq!(request_bytes(&logged, 9, 1_000), 200_000);
        assert_eq!(request_bytes(&logged, 11, 5), 0);
    }
}
