//! `impersync bench`: benchmarks that drive real servers on loopback.

mod machine;
mod report;
mod sim;

pub use sim::{SimBenchArgs, run as sim};

/// Benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Drive the Exchange simulator: impersonated GetFolder/s, SyncFolderItems items/s, memory.
    Sim(SimBenchArgs),
}
