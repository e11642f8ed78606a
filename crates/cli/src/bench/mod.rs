//! `impersync bench`: benchmarks that drive real servers on loopback.

mod check;
mod check_run;
mod machine;
mod report;
mod scenario;
mod sim;
mod sim_process;

pub use check::{CheckBenchArgs, run as check_access};
pub use check_run::{CheckRunBenchArgs, run as check_run};
pub use sim::{SimBenchArgs, run as sim};

/// Benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Drive the Exchange simulator: impersonated GetFolder/s, SyncFolderItems items/s, memory.
    Sim(SimBenchArgs),
    /// Bulk impersonated access checks over generated users, with the exchangelib peer.
    CheckAccess(CheckBenchArgs),
    /// A check run of generated users through the admin API, results stored in SQLite.
    CheckRun(CheckRunBenchArgs),
}
