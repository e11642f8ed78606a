//! The `impersync` command line.

mod bench;
mod check_access;
mod config;
mod demo_cmd;
mod network;
mod serve_cmd;
mod setup_script_cmd;
mod sim_cmd;
mod soak;
mod store_cmd;
mod worker_cmd;

use clap::{Parser, Subcommand};

/// mimalloc instead of the C library's allocator: a sync allocates and frees many small
/// buffers (XML events, item fields, SQL rows) from several threads, where glibc's malloc
/// spent about a quarter of the process's time in the sync benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run the built-in demo: the simulator and the admin panel with "Contoso (demo)" ready to check.
    Demo(demo_cmd::DemoArgs),
    /// Check that the service account can reach a mailbox (or many), step by step.
    CheckAccess(check_access::CheckAccessArgs),
    /// Write the Exchange setup script (Stage I) for on-premises or Exchange Online.
    SetupScript(setup_script_cmd::SetupScriptArgs),
    /// Serve the admin panel and API (organisations, users, email configuration, check runs).
    Serve(serve_cmd::ServeArgs),
    /// Run only a sync worker, against PostgreSQL, beside other workers and `serve`.
    Worker(worker_cmd::WorkerArgs),
    /// Create or update the database schema (SQLite in the data directory, or IMPERSYNC_DATABASE_URL).
    Migrate(store_cmd::StoreArgs),
    /// Re-encrypt every stored secret with a new master key.
    RotateKey(store_cmd::RotateKeyArgs),
    /// Run a benchmark and record its numbers in docs/benchmarks.md.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Run the sync worker against a faulty simulator for minutes; fail on leaks or lost items.
    Soak(soak::SoakArgs),
}

#[tokio::main]
async fn main() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IMPERSYNC_LOG")
                .unwrap_or_else(|_| "info".into())
                // sspi traces whole NTLM messages, from which the password can be cracked offline.
                .add_directive("sspi=info".parse().expect("static directive")),
        )
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_writer(std::io::stderr)
        .init();
    let outcome = match Cli::parse().command {
        Command::Sim(args) => sim_cmd::sim(args).await.map(|()| 0),
        Command::Demo(args) => demo_cmd::demo(args).await.map(|()| 0),
        Command::CheckAccess(args) => check_access::run(args).await,
        Command::SetupScript(args) => setup_script_cmd::run(args).map(|()| 0),
        Command::Serve(args) => serve_cmd::serve(args).await.map(|()| 0),
        Command::Worker(args) => worker_cmd::run(args).await.map(|()| 0),
        Command::Migrate(args) => store_cmd::migrate(args).await.map(|()| 0),
        Command::RotateKey(args) => store_cmd::rotate_key(args).await.map(|()| 0),
        Command::Soak(args) => until_stopped(soak::run(args)).await,
        Command::Bench(command) => until_stopped(bench::run(command)).await,
    };
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1)
        }
    }
}

/// Runs a benchmark or the soak until it ends, or until Ctrl-C or SIGTERM. Stopping it
/// drops it, and with it the simulator and worker processes it started.
async fn until_stopped(
    run: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<i32> {
    let stopped = serve_cmd::shutdown_signal();
    tokio::select! {
        outcome = run => outcome.map(|()| 0),
        () = stopped => {
            anyhow::bail!("stopped by a signal; the processes it had started are stopped")
        }
    }
}
