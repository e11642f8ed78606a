//! The polls on the exchangelib peer's side: its own full sync of the poll mailboxes (not
//! timed), an incremental `sync_items()` round in which nothing changed, then new mail to
//! 1 % of them and a second round, noting when `sync_items()` yielded each new message.

use super::deliver;
use super::sync_peer::{self, PeerSyncJob};
use anyhow::{Context, bail};
use std::collections::HashMap;
use std::path::Path;

/// The peer's figures for both polls.
pub struct PeerPolls {
    /// Mailboxes it polled.
    pub mailboxes: u32,
    /// Its threads.
    pub threads: u32,
    /// `exchangelib X.Y.Z`.
    pub tool: String,
    /// Seconds of the round without changes.
    pub unchanged_secs: f64,
    /// Its peak RSS over that round.
    pub unchanged_rss_mib: f64,
    /// Seconds of the round with 1 % changed.
    pub changed_secs: f64,
    /// Messages delivered for it.
    pub delivered: usize,
    /// Seconds from each delivery to `sync_items()` yielding it.
    pub latencies: Vec<f64>,
    /// Its peak RSS over that round.
    pub changed_rss_mib: f64,
}

/// Runs the peer's polls over `addresses` with `threads` threads; `None` (said loudly)
/// when `python` is missing.
pub async fn run(
    python: &Path,
    base_url: &str,
    dir: &Path,
    addresses: &[String],
    threads: u32,
) -> anyhow::Result<Option<PeerPolls>> {
    if !sync_peer::available(python) {
        return Ok(None);
    }
    let job = |incremental: bool, seen_out: Option<std::path::PathBuf>| PeerSyncJob {
        python,
        base_url,
        addresses,
        threads,
        db: dir.join("peer-poll.sqlite"),
        incremental,
        seen_out,
    };
    eprintln!(
        "exchangelib peer: first sync of {} poll mailboxes (not timed)",
        addresses.len()
    );
    sync_peer::sync(&job(false, None))?;
    eprintln!("exchangelib peer: poll without changes");
    let unchanged = sync_peer::sync(&job(true, None))?;
    let changes: u64 = unchanged["changes"]
        .as_object()
        .context("the peer's summary has no changes")?
        .values()
        .filter_map(serde_json::Value::as_u64)
        .sum();
    if changes != 0 {
        bail!("the peer's poll without changes saw {changes} changes; it is not valid");
    }
    let chosen = deliver::spread(addresses, 1);
    let delivered = deliver::deliver(base_url, &chosen, "exchangelib-poll").await?;
    eprintln!(
        "exchangelib peer: poll with {} new messages",
        delivered.len()
    );
    let seen_path = dir.join("peer-seen.jsonl");
    let changed = sync_peer::sync(&job(true, Some(seen_path.clone())))?;
    let created = changed["changes"]["create"].as_u64().unwrap_or(0);
    if created != delivered.len() as u64 {
        bail!(
            "the peer's poll created {created} items, not the {} delivered",
            delivered.len()
        );
    }
    let seen = read_seen(&seen_path)?;
    Ok(Some(PeerPolls {
        mailboxes: addresses.len() as u32,
        threads,
        tool: sync_peer::tool(&changed),
        unchanged_secs: seconds(&unchanged)?,
        unchanged_rss_mib: sync_peer::peak_rss(&unchanged),
        changed_secs: seconds(&changed)?,
        delivered: delivered.len(),
        latencies: deliver::latencies(&delivered, &seen)?,
        changed_rss_mib: sync_peer::peak_rss(&changed),
    }))
}

fn seconds(summary: &serde_json::Value) -> anyhow::Result<f64> {
    summary["seconds"]
        .as_f64()
        .context("the peer's summary has no seconds")
}

/// The peer's `--seen-out` lines: item id → Unix ms.
fn read_seen(path: &Path) -> anyhow::Result<HashMap<String, i64>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the peer's {}", path.display()))?;
    text.lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line)?;
            let id = row["item_id"]
                .as_str()
                .context("a seen row without item_id")?;
            let at = row["seen_unix_ms"]
                .as_i64()
                .context("a seen row without seen_unix_ms")?;
            Ok((id.to_string(), at))
        })
        .collect()
}
