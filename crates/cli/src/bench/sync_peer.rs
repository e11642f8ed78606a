//! The exchangelib peer of the initial sync: `bench/peers/exchangelib_peer.py sync`
//! (exchangelib's `folder.sync_items()` into SQLite) against the same simulator.

use super::scenario::{self as bench_scenario, FolderItems};
use anyhow::{Context, bail};
use std::path::Path;

/// The peer's figures.
pub struct PeerSync {
    /// Items synced per second.
    pub rate: f64,
    /// Mailboxes it synced.
    pub mailboxes: u32,
    /// Its threads.
    pub threads: u32,
    /// The peer process's peak RSS.
    pub peak_rss_mib: f64,
    /// `exchangelib X.Y.Z`.
    pub tool: String,
}

/// Runs the peer over the first `mailboxes` generated users with `threads` threads; `None`
/// (said loudly) when `python` is missing.
pub fn run(
    python: &Path,
    base_url: &str,
    dir: &Path,
    mailboxes: u32,
    threads: u32,
    items: &FolderItems,
) -> anyhow::Result<Option<PeerSync>> {
    if !python.exists() {
        eprintln!(
            "*** peer skipped: it needs {} (run scripts/test-deps.sh, or give --python) ***",
            python.display()
        );
        return Ok(None);
    }
    let users = dir.join("peer-users.txt");
    let list: Vec<String> = (1..=mailboxes).map(bench_scenario::user).collect();
    std::fs::write(&users, list.join("\n") + "\n")?;
    eprintln!("exchangelib peer: syncing {mailboxes} mailboxes with {threads} threads");
    let mut command = super::peer::command(python, "sync", base_url);
    command
        .arg("--threads")
        .arg(threads.to_string())
        .arg("--users")
        .arg(&users)
        .arg("--db")
        .arg(dir.join("peer.sqlite"));
    let summary = super::peer::summary(command)?;
    let expected = items.per_mailbox() * u64::from(mailboxes);
    let created = summary["changes"]["create"].as_u64().unwrap_or(0);
    let stored = summary["items_in_db"].as_u64().unwrap_or(0);
    if created != expected || stored != expected {
        bail!(
            "the peer synced {created} items ({stored} stored), not {expected}; its run is not valid"
        );
    }
    let rate = summary["items_per_second"]
        .as_f64()
        .context("the peer's summary has no items_per_second")?;
    eprintln!("exchangelib: {rate:.0} items/s");
    Ok(Some(PeerSync {
        rate,
        mailboxes,
        threads,
        peak_rss_mib: summary["peak_rss_mib"].as_f64().unwrap_or(0.0),
        tool: summary["tool"]
            .as_str()
            .unwrap_or("exchangelib")
            .to_string(),
    }))
}
