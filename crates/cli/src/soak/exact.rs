//! Exactness at the end of a soak: each mailbox's stored items equal what the simulator
//! holds (`GET /_sim/mailboxes/{address}/items`): the same items in the same folders with
//! the same change keys, subjects and (for messages) read flags.

use super::control::Control;
use impersync_exchange_sim::MailboxItems;
use impersync_store::{ItemFilter, OrgStore, PageRequest, UserId};
use std::collections::BTreeMap;

/// (folder, item id) → (change key, subject, read flag if the simulator has one).
type Contents = BTreeMap<(String, String), (String, String, Option<bool>)>;

/// Compares every mailbox of `mailboxes` (address, user); returns how many items the
/// simulator holds and up to five differences.
pub async fn compare(
    control: &Control,
    scope: &OrgStore<'_>,
    mailboxes: &[(String, UserId)],
) -> anyhow::Result<(u64, Vec<String>)> {
    let mut items = 0;
    let mut differences = Vec::new();
    for (address, user) in mailboxes {
        let truth = sim_contents(control, address).await?;
        let stored = stored_contents(scope, *user, address, &mut differences).await?;
        items += truth.len() as u64;
        for (key, value) in &truth {
            let found = stored
                .get(key)
                .map(|(ck, subject, read)| (ck.clone(), subject.clone(), value.2.and(*read)));
            if found.as_ref() != Some(value) {
                differences.push(format!(
                    "{address} {key:?}: the simulator has {value:?}, the store {found:?}"
                ));
            }
        }
        for key in stored.keys().filter(|k| !truth.contains_key(*k)) {
            differences.push(format!(
                "{address} {key:?}: stored, but not in the simulator"
            ));
        }
        if differences.len() >= 5 {
            differences.truncate(5);
            break;
        }
    }
    Ok((items, differences))
}

async fn sim_contents(control: &Control, address: &str) -> anyhow::Result<Contents> {
    let listed: MailboxItems = control.mailbox_items(address).await?;
    Ok(listed
        .items
        .into_iter()
        .map(|i| {
            let value = (i.change_key, i.subject.unwrap_or_default(), i.is_read);
            ((i.folder, i.item_id), value)
        })
        .collect())
}

/// What the store holds for `user`; an item stored twice is noted in `differences`.
async fn stored_contents(
    scope: &OrgStore<'_>,
    user: UserId,
    address: &str,
    differences: &mut Vec<String>,
) -> anyhow::Result<Contents> {
    let mut contents = Contents::new();
    let mut offset = 0;
    loop {
        let page = scope
            .items()
            .list(
                user,
                &ItemFilter::default(),
                PageRequest::new(offset, PageRequest::MAX_LIMIT),
            )
            .await?;
        if page.items.is_empty() {
            return Ok(contents);
        }
        offset += page.items.len() as u64;
        for item in page.items {
            let d = item.data;
            let key = (item.folder, d.item_id);
            let value = (d.change_key, d.subject, Some(d.is_read));
            if contents.insert(key.clone(), value).is_some() {
                differences.push(format!("{address} {key:?}: stored twice"));
            }
        }
    }
}
