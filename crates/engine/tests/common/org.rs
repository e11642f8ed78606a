//! A store organisation configured for the simulator, for the sync tests.

use super::SimServer;
use impersync_store::{OrgStore, Store};

/// An organisation of `domain` whose service account `(logon, password)` reaches the
/// simulator and syncs `folders`, with `users` imported and activated (forced).
pub async fn organisation<'s>(
    store: &'s Store,
    sim: &SimServer,
    domain: &str,
    account: (&str, &str),
    folders: &[&str],
    users: &[&str],
) -> OrgStore<'s> {
    let url = format!("http://{}", sim.addr);
    impersync_testdb::sync_org::organisation(store, &url, domain, account, folders, users).await
}
