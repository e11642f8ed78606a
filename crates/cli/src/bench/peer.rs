//! Running `bench/peers/exchangelib_peer.py` and reading its JSON summary.

use super::scenario as bench_scenario;
use anyhow::{Context, bail};
use std::path::Path;
use std::process::Command;

/// The peer's command for `job` (`check` or `sync`) against the simulator at `base_url`
/// as the bench service account (its password passed in the environment).
pub fn command(python: &Path, job: &str, base_url: &str) -> Command {
    let mut command = Command::new(python);
    command
        .args(["bench/peers/exchangelib_peer.py", job, "--url", base_url])
        .args(["--service-account", bench_scenario::SERVICE_ACCOUNT])
        .args(["--password-env", "IMPERSYNC_BENCH_PASSWORD"])
        .env("IMPERSYNC_BENCH_PASSWORD", bench_scenario::PASSWORD);
    command
}

/// Runs the peer and returns its summary; fails with its stderr when it fails.
pub fn summary(mut command: Command) -> anyhow::Result<serde_json::Value> {
    let output = command
        .output()
        .context("cannot run the exchangelib peer")?;
    if !output.status.success() {
        bail!(
            "the exchangelib peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("the peer's summary is not JSON")
}
