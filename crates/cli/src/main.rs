//! The `impersync` command line.

mod bench;
mod sim_cmd;

use clap::{Parser, Subcommand};

/// Impersync: reach every mailbox of an organisation through one impersonating service account.
#[derive(Debug, Parser)]
#[command(name = "impersync", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Exchange simulator (EWS, Autodiscover, OAuth and the /_sim control API).
    Sim(sim_cmd::SimArgs),
    /// Run the built-in demo: the simulator with the demo organisation.
    Demo(sim_cmd::DemoArgs),
    /// Run a benchmark and record its numbers in docs/benchmarks.md.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IMPERSYNC_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Sim(args) => sim_cmd::sim(args).await,
        Command::Demo(args) => sim_cmd::demo(args).await,
        Command::Bench(bench::BenchCommand::Sim(args)) => bench::sim(args).await,
    }
}
