//! The store side of the sync benchmarks: a fresh store with one organisation whose
//! service account reaches the simulator, and every generated mailbox activated.

use super::scenario as bench_scenario;
use anyhow::{Context, bail};
use impersync_store::{
    AccessType, EmailSettings, ExchangeAuth, ImportRow, ItemFilter, NewOrganisation, OrgId,
    OrgStore, PageRequest, Principal, SecretString, SecretUpdate, Store, UserId, UserSelection,
};
use std::path::Path;

/// The principal the benchmarks act as.
pub fn operator() -> Principal {
    Principal::system("bench")
}

/// Opens the store: SQLite in `dir`, or the database at `url`, which must be empty.
pub async fn open_store(dir: &Path, url: Option<&str>) -> anyhow::Result<Store> {
    let mut options = impersync_store::OpenOptions::new(dir.join("data"));
    options.database_url = url.map(str::to_string);
    let store = Store::open(options)
        .await
        .context("opening the benchmark's store")?;
    let existing = store
        .organisations(&operator())
        .list(PageRequest::first(1))
        .await
        .context("listing organisations")?;
    if existing.total > 0 {
        bail!("--database-url: the database already holds organisations; give an empty one");
    }
    Ok(store)
}

/// Creates the organisation with the generated mailboxes at `addresses`, configured for the
/// simulator at `sim_base` and every user activated; returns it and its users in the order
/// of `addresses`.
pub async fn create(
    store: &Store,
    sim_base: &str,
    addresses: &[String],
    poll_interval_secs: u32,
) -> anyhow::Result<(OrgId, Vec<UserId>)> {
    let org = create_named(store, "Bench", sim_base, addresses, poll_interval_secs).await?;
    let scope = store.org(&operator(), org).await?;
    let mut ids = Vec::with_capacity(addresses.len());
    for address in addresses {
        ids.push(scope.users().get_by_email(address).await?.id);
    }
    Ok((org, ids))
}

/// Creates the organisation `name` with the generated mailboxes at `addresses`, configured
/// for the simulator at `sim_base` with `poll_interval_secs`, every user activated.
pub async fn create_named(
    store: &Store,
    name: &str,
    sim_base: &str,
    addresses: &[String],
    poll_interval_secs: u32,
) -> anyhow::Result<OrgId> {
    let org = store
        .organisations(&operator())
        .create(NewOrganisation {
            name: name.into(),
            domains: vec!["bench.test".into()],
        })
        .await?;
    let scope = store.org(&operator(), org.id).await?;
    let rows = addresses
        .iter()
        .enumerate()
        .map(|(i, email)| ImportRow {
            line: i + 1,
            email: email.clone(),
            ..Default::default()
        })
        .collect();
    let imported = scope.users().import(rows).await?;
    if imported.inserted != addresses.len() {
        bail!(
            "{name}: the import added {} of {} users",
            imported.inserted,
            addresses.len()
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
            ews_url: Some(format!("{sim_base}/EWS/Exchange.asmx")),
            autodiscover: false,
            tls_policy: "verify".into(),
            id_type: "PrimarySmtpAddress".into(),
            folders: Vec::new(),
            poll_interval_secs,
            lab: true,
            saved: true,
        })
        .await?;
    scope
        .users()
        .activate(&UserSelection::Emails(addresses.to_vec()), true)
        .await?;
    Ok(org.id)
}

/// How many items the store holds for `user` in `folder`.
pub async fn stored_items(scope: &OrgStore<'_>, user: UserId, folder: &str) -> anyhow::Result<u64> {
    let filter = ItemFilter {
        folder: Some(folder.into()),
        ..ItemFilter::default()
    };
    Ok(scope
        .items()
        .list(user, &filter, PageRequest::first(1))
        .await?
        .total)
}
