//! The tenants of `bench scale-out`: the simulator's one generated domain of
//! `orgs × per_org` mailboxes, split by user list into `orgs` organisations of the store,
//! each with its email configuration (the shared service account) and every user activated.

use super::scenario::{self as bench_scenario, FolderItems};
use super::sync_org;
use anyhow::Context;
use impersync_store::Store;
use std::ops::RangeInclusive;
use std::sync::Arc;
use tokio::task::JoinSet;

/// The email configuration's poll interval during the run: the longest allowed, so a
/// mailbox is due again only when the benchmark says so.
const POLL_INTERVAL_SECS: u32 = 86_400;

/// How many organisations are set up at the same time.
const SETUP_CONCURRENCY: usize = 8;

/// Scenario TOML: `mailboxes` generated mailboxes with `items`, every EWS request delayed
/// by `latency_ms`.
pub fn scenario(mailboxes: u32, items: &FolderItems, latency_ms: u64) -> String {
    let mut toml = bench_scenario::sync_toml(mailboxes, items);
    if latency_ms > 0 {
        toml.push_str(&format!("[faults]\nlatency_ms = {latency_ms}\n"));
    }
    toml
}

/// The generated users of organisation `org` (0-based), `per_org` each, as 1-based numbers.
fn members(org: u32, per_org: u32) -> RangeInclusive<u32> {
    org * per_org + 1..=(org + 1) * per_org
}

/// Creates `orgs` organisations of `per_org` users each, configured for the simulator at
/// `sim_base`, every user activated.
pub async fn create_orgs(
    store: &Store,
    sim_base: &str,
    orgs: u32,
    per_org: u32,
) -> anyhow::Result<()> {
    let sim_base: Arc<str> = sim_base.into();
    let mut tasks = JoinSet::new();
    for org in 0..orgs {
        if tasks.len() >= SETUP_CONCURRENCY {
            tasks.join_next().await.context("a setup task")???;
        }
        let (store, sim_base) = (store.clone(), sim_base.clone());
        tasks.spawn(async move { create_org(&store, &sim_base, org, per_org).await });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

async fn create_org(store: &Store, sim_base: &str, org: u32, per_org: u32) -> anyhow::Result<()> {
    let addresses: Vec<String> = members(org, per_org).map(bench_scenario::user).collect();
    let name = format!("Tenant {:04}", org + 1);
    sync_org::create_named(store, &name, sim_base, &addresses, POLL_INTERVAL_SECS).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::members;

    #[test]
    fn organisations_take_disjoint_consecutive_users() {
        assert_eq!(members(0, 100), 1..=100);
        assert_eq!(members(999, 100), 99_901..=100_000);
    }
}
