//! Facts about the machine a benchmark ran on, and the process's memory.

/// Processors, memory and date, for the report.
pub struct Machine {
    /// `nproc`.
    pub cpus: usize,
    /// Total memory in GiB.
    pub memory_gib: f64,
    /// CPU model name, if known.
    pub cpu_model: String,
}

impl Machine {
    /// The report's line: `Machine: N CPUs (model), M GiB memory. Date: YYYY-MM-DD.`
    pub fn line(&self) -> String {
        format!(
            "Machine: {} CPUs ({}), {:.1} GiB memory. Date: {}.",
            self.cpus,
            self.cpu_model,
            self.memory_gib,
            super::sim::today()
        )
    }

    /// Reads the facts from the OS.
    pub fn detect() -> Self {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: field_kib(&meminfo, "MemTotal:").map_or(0.0, |k| k as f64 / 1_048_576.0),
            cpu_model: cpuinfo
                .lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
                .unwrap_or_else(|| "unknown".into()),
        }
    }
}

/// This process's resident memory now and at its peak, in MiB.
pub fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mib = |k: Option<u64>| k.map_or(0.0, |k| k as f64 / 1024.0);
    (
        mib(field_kib(&status, "VmRSS:")),
        mib(field_kib(&status, "VmHWM:")),
    )
}

/// Resets this process's peak RSS to its current RSS (Linux `clear_refs`), so that the next
/// [`rss_mib`] peak is that of what runs from now on.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak RSS of process `pid` in MiB (0 when it cannot be read).
pub fn peak_rss_of(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    field_kib(&status, "VmHWM:").map_or(0.0, |k| k as f64 / 1024.0)
}

/// The number after `key` in a `/proc` text of `key value` lines.
pub(super) fn field_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}
