//! An organisation in a real store whose service account reaches the simulator.

use super::SimServer;
use impersync_store::OrgStore;

/// The folders the organisations sync.
pub const FOLDERS: [&str; 4] = ["inbox", "sentitems", "calendar", "contacts"];

/// An organisation of `domain` whose service account `(logon, password)` reaches the
/// simulator, with `users` imported and activated (forced), syncing [`FOLDERS`].
pub async fn organisation<'s>(
    store: &'s impersync_store::Store,
    sim: &SimServer,
    domain: &str,
    account: (&str, &str),
    users: &[&str],
) -> OrgStore<'s> {
    organisation_syncing(store, sim, domain, account, users, &FOLDERS).await
}

/// [`organisation`], syncing `folders`.
pub async fn organisation_syncing<'s>(
    store: &'s impersync_store::Store,
    sim: &SimServer,
    domain: &str,
    account: (&str, &str),
    users: &[&str],
    folders: &[&str],
) -> OrgStore<'s> {
    let url = format!("http://{}", sim.addr);
    impersync_testdb::sync_org::organisation(store, &url, domain, account, folders, users).await
}
