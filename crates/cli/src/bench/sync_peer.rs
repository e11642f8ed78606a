//! The exchangelib peer of the sync benchmarks: `bench/peers/exchangelib_peer.py sync`
//! (exchangelib's `folder.sync_items()` into SQLite) against the same simulator, in full or
//! incrementally from the states of an earlier run.

use super::scenario::FolderItems;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

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

/// One run of the peer's `sync` job.
pub struct PeerSyncJob<'a> {
    /// The Python with exchangelib.
    pub python: &'a Path,
    /// The simulator's `http://HOST:PORT`.
    pub base_url: &'a str,
    /// The mailboxes, in order.
    pub addresses: &'a [String],
    /// Its threads.
    pub threads: u32,
    /// Its SQLite file (the user list is written beside it).
    pub db: PathBuf,
    /// Continue from the states stored in `db`.
    pub incremental: bool,
    /// Where it writes when it saw each created item, if wanted.
    pub seen_out: Option<PathBuf>,
}

/// Whether `python` exists; says loudly that the peer is skipped when it does not.
pub fn available(python: &Path) -> bool {
    let there = python.exists();
    if !there {
        eprintln!(
            "*** peer skipped: it needs {} (run scripts/test-deps.sh, or give --python) ***",
            python.display()
        );
    }
    there
}

/// Runs the job; returns the peer's JSON summary. Fails unless every mailbox synced.
pub fn sync(job: &PeerSyncJob<'_>) -> anyhow::Result<serde_json::Value> {
    let users = job.db.with_extension("users.txt");
    std::fs::write(&users, job.addresses.join("\n") + "\n")?;
    let mut command = super::peer::command(job.python, "sync", job.base_url);
    command
        .arg("--threads")
        .arg(job.threads.to_string())
        .arg("--users")
        .arg(&users)
        .arg("--db")
        .arg(&job.db);
    if job.incremental {
        command.arg("--incremental");
    }
    if let Some(out) = &job.seen_out {
        command.arg("--seen-out").arg(out);
    }
    let summary = super::peer::summary(command)?;
    let ok = summary["outcomes"]["Ok"].as_u64().unwrap_or(0);
    if ok != job.addresses.len() as u64 {
        bail!(
            "the peer synced {ok} of {} mailboxes; its run is not valid",
            job.addresses.len()
        );
    }
    Ok(summary)
}

/// The peer's initial sync of `addresses` with `threads` threads, checked to have stored
/// exactly `items` per mailbox; `None` (said loudly) when `python` is missing.
pub fn run(
    python: &Path,
    base_url: &str,
    dir: &Path,
    addresses: &[String],
    threads: u32,
    items: &FolderItems,
) -> anyhow::Result<Option<PeerSync>> {
    if !available(python) {
        return Ok(None);
    }
    let mailboxes = addresses.len() as u32;
    eprintln!("exchangelib peer: syncing {mailboxes} mailboxes with {threads} threads");
    let summary = sync(&PeerSyncJob {
        python,
        base_url,
        addresses,
        threads,
        db: dir.join("peer.sqlite"),
        incremental: false,
        seen_out: None,
    })?;
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
        peak_rss_mib: peak_rss(&summary),
        tool: tool(&summary),
    }))
}

/// The peer's peak RSS in MiB from its summary.
pub fn peak_rss(summary: &serde_json::Value) -> f64 {
    summary["peak_rss_mib"].as_f64().unwrap_or(0.0)
}

/// `exchangelib X.Y.Z` from its summary.
pub fn tool(summary: &serde_json::Value) -> String {
    summary["tool"]
        .as_str()
        .unwrap_or("exchangelib")
        .to_string()
}
