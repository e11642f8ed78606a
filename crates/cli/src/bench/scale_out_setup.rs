//! The tenants of `bench scale-out`: the simulator's one generated domain of
//! `orgs × per_org` mailboxes, split by user list into `orgs` organisations of the store,
//! each with its email configuration (the shared service account) and every user activated.

use super::scenario::{self as bench_scenario, FolderItems};
use super::sync_org::operator;
use anyhow::{Context, bail};
use impersync_store::{
    AccessType, EmailSettings, ExchangeAuth, ImportRow, NewOrganisation, SecretString,
    SecretUpdate, Store, UserSelection,
};
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
    let ews_url: Arc<str> = format!("{sim_base}/EWS/Exchange.asmx").into();
    let mut tasks = JoinSet::new();
    for org in 0..orgs {
        if tasks.len() >= SETUP_CONCURRENCY {
            tasks.join_next().await.context("a setup task")???;
        }
        let (store, ews_url) = (store.clone(), ews_url.clone());
        tasks.spawn(async move { create_org(&store, &ews_url, org, per_org).await });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

async fn create_org(store: &Store, ews_url: &str, org: u32, per_org: u32) -> anyhow::Result<()> {
    let created = store
        .organisations(&operator())
        .create(NewOrganisation {
            name: format!("Tenant {:04}", org + 1),
            domains: vec!["bench.test".into()],
        })
        .await?;
    let scope = store.org(&operator(), created.id).await?;
    let addresses: Vec<String> = members(org, per_org).map(bench_scenario::user).collect();
    let rows = addresses
        .iter()
        .enumerate()
        .map(|(line, email)| ImportRow {
            line: line + 1,
            email: email.clone(),
            ..Default::default()
        })
        .collect();
    let imported = scope.users().import(rows).await?;
    if imported.inserted != per_org as usize {
        bail!(
            "organisation {}: the import added {} of {per_org} users",
            org + 1,
            imported.inserted
        );
    }
    scope
        .email_config()
        .save(EmailSettings {
            access: AccessType::ExchangeImpersonation {
                logon: bench_scenario::SERVICE_ACCOUNT.into(),
                auth: ExchangeAuth::Basic,
                password: SecretUpdate::Set(SecretString::new(bench_scenario::PASSWORD)),
            },
            ews_url: Some(ews_url.to_string()),
            autodiscover: false,
            tls_policy: "verify".into(),
            id_type: "PrimarySmtpAddress".into(),
            folders: Vec::new(),
            poll_interval_secs: POLL_INTERVAL_SECS,
            lab: true,
            saved: true,
        })
        .await?;
    scope
        .users()
        .activate(&UserSelection::Emails(addresses), true)
        .await?;
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
