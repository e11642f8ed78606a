//! `impersync bench check-access`: bulk impersonated access checks, Impersync against exchangelib.

use super::machine::{Machine, rss_mib};
use super::report::write_section;
use super::scenario as bench_scenario;
use super::sim_process::SimProcess;
use anyhow::{Context, bail};
use impersync_engine::access_check::{BulkOptions, bulk_check, summarize};
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{
    Credentials, ExchangeClient, ExchangeConfig, GovernorConfig, GuardedUrl, IdType, OutcomeClass,
    Secret, UrlPolicy,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Arguments of `impersync bench check-access`.
#[derive(Debug, clap::Args)]
pub struct CheckBenchArgs {
    /// Generated users to check.
    #[arg(long, default_value_t = 10_000)]
    users: u32,
    /// Impersync's checks in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Threads of the exchangelib peer.
    #[arg(long, default_value_t = 16)]
    peer_threads: u32,
    /// Python with exchangelib for the peer; the peer is skipped (loudly) when it is missing.
    #[arg(long, default_value = ".venv/bin/python")]
    python: PathBuf,
    /// Markdown file to write the results into (its `check-access` section is replaced).
    #[arg(long, default_value = "docs/benchmarks.md")]
    write: PathBuf,
}

/// Runs the benchmark and writes its section of the report.
pub async fn run(args: CheckBenchArgs) -> anyhow::Result<()> {
    impersync_exchange::install_default_provider();
    let dir = std::env::temp_dir().join(format!("impersync-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let users: Vec<String> = (1..=args.users).map(bench_scenario::user).collect();
    let users_path = dir.join("users.txt");
    std::fs::write(&users_path, users.join("\n"))?;
    let sim = SimProcess::start_generated(&dir, args.users)?;

    let ours = measure(&sim.base_url, &users, args.concurrency).await?;
    let (_, our_peak) = rss_mib();
    let peer = run_peer(
        &args.python,
        args.peer_threads,
        &sim.base_url,
        &users_path,
        args.users,
    )?;
    let machine = Machine::detect();
    let (peer_line, ratio_line) = match &peer {
        Some(p) => (
            format!(
                "| exchangelib 5.6.0, {} threads | {:.0} checks/s | {:.0} MiB |",
                args.peer_threads, p.rate, p.peak_rss_mib
            ),
            format!("Ratio Impersync / exchangelib: **{:.1}×**.", ours / p.rate),
        ),
        None => (
            "| exchangelib | skipped: no Python with exchangelib (run scripts/test-deps.sh) | |"
                .into(),
            String::new(),
        ),
    };
    let body = format!(
        "## Bulk access check (`impersync bench check-access`)\n\n\
         Command: `cargo run --release -- bench check-access --users {users} --concurrency {conc} --peer-threads {threads}`  \n\
         {machine}  \n\
         One simulator process on loopback; each check is one impersonated GetFolder of the Inbox (Basic auth). \
         Impersync runs first, then the exchangelib peer (`bench/peers/exchangelib_peer.py check`) against the same simulator.\n\n\
         | client | throughput | peak RSS |\n|---|---|---|\n\
         | Impersync, {conc} in flight | {ours:.0} checks/s | {our_peak:.0} MiB |\n\
         {peer_line}\n\n\
         {ratio_line} Target: ≥ 5,000 checks/s ({verdict}).\n",
        users = args.users,
        conc = args.concurrency,
        threads = args.peer_threads,
        machine = machine.line(),
        verdict = if ours >= 5000.0 { "met" } else { "NOT met" },
    );
    write_section(&args.write, "check-access", &body)
        .with_context(|| format!("writing {}", args.write.display()))?;
    println!("{body}");
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Checks every user of `users` through the simulator at `base_url` with `concurrency`
/// checks in flight; returns checks/s. Fails unless every check is `Ok`.
pub async fn measure(base_url: &str, users: &[String], concurrency: usize) -> anyhow::Result<f64> {
    impersync_exchange::install_default_provider();
    let policy = UrlPolicy {
        allow_insecure_http: true,
    };
    let mut config = ExchangeConfig::new(
        GuardedUrl::new(&format!("{base_url}/EWS/Exchange.asmx"), policy)?,
        Credentials::Basic {
            account: bench_scenario::SERVICE_ACCOUNT.parse()?,
            password: Secret::new(bench_scenario::PASSWORD),
        },
    );
    config.transport = TransportConfig {
        max_idle_connections: concurrency,
        ..TransportConfig::default()
    };
    config.governor = GovernorConfig {
        max_concurrency: concurrency,
        server_max_concurrency: 1000,
        ..GovernorConfig::default()
    };
    let client = Arc::new(ExchangeClient::new(config)?);
    let options = BulkOptions {
        id_type: IdType::PrimarySmtpAddress,
        folder: "inbox".into(),
        concurrency,
    };
    let result = bulk_check(client, users.to_vec(), &options, |_, _| {}).await;
    let ok = summarize(&result.results)
        .get(&OutcomeClass::Ok)
        .copied()
        .unwrap_or(0);
    if ok != users.len() {
        bail!(
            "only {ok} of {} checks were Ok; the benchmark is not valid",
            users.len()
        );
    }
    let ours = users.len() as f64 / (result.elapsed_ms.max(1) as f64 / 1000.0);
    eprintln!("Impersync: {ours:.0} checks/s");
    Ok(ours)
}

/// The exchangelib peer's figures.
pub struct PeerResult {
    /// Checks per second.
    pub rate: f64,
    /// The peer process's peak RSS.
    pub peak_rss_mib: f64,
}

/// Runs the peer's `check` job over the addresses in `users` (`count` of them); `None`
/// (said loudly) when `python` is missing.
pub fn run_peer(
    python: &Path,
    threads: u32,
    base_url: &str,
    users: &Path,
    count: u32,
) -> anyhow::Result<Option<PeerResult>> {
    if !super::sync_peer::available(python) {
        return Ok(None);
    }
    let mut command = super::peer::command(python, "check", base_url);
    command
        .arg("--threads")
        .arg(threads.to_string())
        .arg("--users")
        .arg(users);
    let summary = super::peer::summary(command)?;
    let rate = summary["checks_per_second"]
        .as_f64()
        .context("the peer's summary has no checks_per_second")?;
    let ok = summary["outcomes"]["Ok"].as_u64().unwrap_or(0);
    if ok != u64::from(count) {
        bail!("the peer reported only {ok} Ok checks; its run is not valid");
    }
    eprintln!("exchangelib: {rate:.0} checks/s");
    Ok(Some(PeerResult {
        rate,
        peak_rss_mib: summary["peak_rss_mib"].as_f64().unwrap_or(0.0),
    }))
}
