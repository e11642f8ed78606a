//! The processes of `bench scale-out`: `impersync worker` children, and what `/proc` says
//! about a process (peak RSS, CPU time, bytes written).

use super::machine::field_kib;
use anyhow::Context;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Clock ticks per second of `/proc/PID/stat` times (`USER_HZ`, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// How a worker process claims and syncs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerFlags {
    /// `--batch`.
    pub batch: u32,
    /// `--concurrency`.
    pub concurrency: usize,
    /// `--lease-secs`.
    pub lease_secs: u64,
}

/// A running `impersync worker`, killed when dropped.
pub struct WorkerProcess {
    child: Child,
    /// Its name on its leases.
    pub owner: String,
}

impl WorkerProcess {
    /// Starts `impersync worker` (this very binary) as `owner` against `database_url`,
    /// with the key file in `data_dir`, in the folder `dir`.
    pub fn start(
        owner: &str,
        flags: WorkerFlags,
        database_url: &str,
        data_dir: &Path,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the impersync binary")?;
        let child = Command::new(exe)
            .arg("worker")
            .args(["--owner", owner])
            .args(["--batch", &flags.batch.to_string()])
            .args(["--concurrency", &flags.concurrency.to_string()])
            .args(["--lease-secs", &flags.lease_secs.to_string()])
            .arg("--data-dir")
            .arg(data_dir)
            .current_dir(dir)
            .env("IMPERSYNC_DATABASE_URL", database_url)
            .env("IMPERSYNC_LOG", "warn")
            .env_remove("IMPERSYNC_MASTER_KEY")
            .env_remove("IMPERSYNC_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start worker {owner}"))?;
        Ok(Self {
            child,
            owner: owner.to_string(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the worker with SIGKILL (no chance to give its leases back); returns its
    /// figures read just before.
    pub fn kill(mut self) -> anyhow::Result<ProcStats> {
        let stats = ProcStats::read(self.pid());
        self.child.kill().context("SIGKILL to a worker")?;
        self.child.wait()?;
        Ok(stats)
    }

    /// Stops the worker with SIGTERM and waits for its clean exit; returns its figures
    /// read just before.
    pub fn terminate(mut self) -> anyhow::Result<ProcStats> {
        let stats = ProcStats::read(self.pid());
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .context("running kill -TERM")?;
        anyhow::ensure!(sent.success(), "kill -TERM {} failed", self.pid());
        let status = self.child.wait()?;
        anyhow::ensure!(
            status.success(),
            "worker {} did not exit cleanly on SIGTERM: {status}",
            self.owner
        );
        Ok(stats)
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process's figures from `/proc` (zero where the file could not be read).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStats {
    /// Peak resident memory (`VmHWM`), MiB.
    pub peak_rss_mib: f64,
    /// User + system CPU time, seconds (with reaped children's when `children` was asked).
    pub cpu_secs: f64,
    /// Bytes written by system calls (`wchar`).
    pub written_bytes: u64,
}

impl ProcStats {
    /// Reads `/proc/PID/{status,stat,io}`.
    pub fn read(pid: u32) -> Self {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
        let stat = Stat::read(pid).unwrap_or_default();
        Self {
            peak_rss_mib: field_kib(&status, "VmHWM:").map_or(0.0, |k| k as f64 / 1024.0),
            cpu_secs: stat.own_secs(),
            written_bytes: field_kib(&io, "wchar:").unwrap_or(0),
        }
    }
}

/// The CPU seconds of a PostgreSQL server so far: the postmaster of `backend_pid` (a
/// backend's parent), its live children and its reaped children. `None` when the server's
/// processes cannot be read (another user, another machine).
pub fn postgres_cpu_secs(backend_pid: u32) -> Option<f64> {
    let postmaster = Stat::read(backend_pid)?.ppid;
    let own = Stat::read(postmaster)?;
    let mut secs = own.own_secs() + own.children_secs();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(stat) = Stat::read(pid).filter(|s| s.ppid == postmaster) {
            secs += stat.own_secs();
        }
    }
    Some(secs)
}

/// The fields of `/proc/PID/stat` used here.
#[derive(Debug, Default)]
struct Stat {
    ppid: u32,
    ticks: [u64; 4],
}

impl Stat {
    fn read(pid: u32) -> Option<Self> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After the command name in parentheses: state, ppid, ..., utime (12th), stime,
        // cutime, cstime.
        let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
        let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        Some(Self {
            ppid: u32::try_from(num(1)?).ok()?,
            ticks: [num(11)?, num(12)?, num(13)?, num(14)?],
        })
    }

    fn own_secs(&self) -> f64 {
        (self.ticks[0] + self.ticks[1]) as f64 / TICKS_PER_SEC
    }

    fn children_secs(&self) -> f64 {
        (self.ticks[2] + self.ticks[3]) as f64 / TICKS_PER_SEC
    }
}
