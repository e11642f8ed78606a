//! `impersync bench`: benchmarks that drive real servers on loopback.

mod check;
mod machine;
mod report;
mod scenario;
mod sim;
mod sim_process;

pub use check::{CheckBenchArgs, run as check_access};
pub use sim::{SimBenchArgs, run as sim};

/// Benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Drive the Exchange simulator: impersonated GetFolder/s, SyncFolderItems items/s, memory.
    Sim(SimBenchArgs),
    /// Bulk impersonated access checks over generated users, with the exchangelib peer.
    CheckAccess(CheckBenchArgs),
}
