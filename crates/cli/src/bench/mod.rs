//! `impersync bench`: benchmarks that drive real servers on loopback.

mod all;
mod all_report;
mod chart;
mod check;
mod check_run;
mod deliver;
mod initial_runs;
pub(crate) mod machine;
mod peer;
mod peer_poll;
mod percentiles;
mod pg_workers;
mod poll_changed;
pub(crate) mod report;
mod scale_out;
mod scale_out_phase;
mod scale_out_probe;
mod scale_out_procs;
mod scale_out_report;
mod scale_out_setup;
pub(crate) mod scenario;
mod sim;
mod sim_process;
pub(crate) mod sync_bench;
mod sync_drive;
mod sync_initial;
pub(crate) mod sync_org;
mod sync_peer;
mod sync_poll;
pub(crate) mod sync_verify;
mod users_page;

pub use all::AllArgs;
pub use check::CheckBenchArgs;
pub use check_run::CheckRunBenchArgs;
pub use scale_out::ScaleOutArgs;
pub use sim::SimBenchArgs;
pub use sync_initial::SyncInitialArgs;
pub use sync_poll::SyncPollArgs;
pub use users_page::UsersPageBenchArgs;

/// Benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Drive the Exchange simulator: impersonated GetFolder/s, SyncFolderItems items/s, memory.
    Sim(SimBenchArgs),
    /// Bulk impersonated access checks over generated users, with the exchangelib peer.
    CheckAccess(CheckBenchArgs),
    /// A check run of generated users through the admin API, results stored in SQLite.
    CheckRun(CheckRunBenchArgs),
    /// The admin panel's users tab over 10,000 users: p50/p95/max latency of real requests.
    UsersPage(UsersPageBenchArgs),
    /// The initial sync of generated mailboxes into a fresh store: items/s, requests, peak RSS.
    SyncInitial(SyncInitialArgs),
    /// One poll of 10,000 synced mailboxes in which nothing changed: seconds, requests.
    SyncPoll(SyncPollArgs),
    /// Every scenario with its exchangelib peer in one run: report, chart, README ratios.
    All(AllArgs),
    /// 100,000 mailboxes in 1,000 organisations on PostgreSQL, synced by `impersync worker` processes.
    ScaleOut(ScaleOutArgs),
}

/// Runs one benchmark.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Sim(args) => sim::run(args).await,
        BenchCommand::CheckAccess(args) => check::run(args).await,
        BenchCommand::CheckRun(args) => check_run::run(args).await,
        BenchCommand::UsersPage(args) => users_page::run(args).await,
        BenchCommand::SyncInitial(args) => sync_initial::run(args).await,
        BenchCommand::SyncPoll(args) => sync_poll::run(args).await,
        BenchCommand::All(args) => all::run(args).await,
        BenchCommand::ScaleOut(args) => scale_out::run(args).await,
    }
}
