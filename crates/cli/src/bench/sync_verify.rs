//! Checking a benchmark's sync before its figures count: the store holds exactly the
//! expected items in each folder, and the change feed one `created` row for each.

use super::scenario::FolderItems;
use super::sync_org::{operator, stored_items};
use anyhow::bail;
use impersync_store::{FeedChange, FeedCursor, FeedKind, OrgId, PageRequest, Store, UserId};
use std::collections::HashSet;

/// Fails unless every mailbox holds `items` in its folders and the feed holds exactly one
/// `created` row per item and nothing else.
pub async fn initial_sync(
    store: &Store,
    org: OrgId,
    users: &[UserId],
    items: &FolderItems,
) -> anyhow::Result<()> {
    let scope = store.org(&operator(), org).await?;
    for &user in users {
        for (folder, expected) in items.folders() {
            let stored = stored_items(&scope, user, folder).await?;
            if stored != u64::from(expected) {
                bail!("user {user}: {folder} holds {stored} items, not {expected}");
            }
        }
    }
    let expected = items.per_mailbox() * users.len() as u64;
    let mut seen: HashSet<(UserId, String)> = HashSet::with_capacity(expected as usize);
    feed_rows(store, org, |change| {
        if change.kind != FeedKind::Created {
            bail!("feed row {} is {:?}, not created", change.seq, change.kind);
        }
        if !seen.insert((change.user, change.item_id)) {
            bail!("feed row {} repeats an item", change.seq);
        }
        Ok(())
    })
    .await?;
    if seen.len() as u64 != expected {
        bail!("the feed holds {} created rows, not {expected}", seen.len());
    }
    Ok(())
}

/// Reads the organisation's whole feed in order, handing each row to `check`; returns
/// how many rows it read.
pub async fn feed_rows(
    store: &Store,
    org: OrgId,
    mut check: impl FnMut(FeedChange) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let scope = store.org(&operator(), org).await?;
    let mut cursor = FeedCursor::default();
    let mut rows = 0;
    loop {
        let page = scope
            .change_feed()
            .changes(cursor, PageRequest::MAX_LIMIT)
            .await?;
        if page.changes.is_empty() {
            return Ok(rows);
        }
        rows += page.changes.len() as u64;
        cursor = page.next_cursor;
        page.changes.into_iter().try_for_each(&mut check)?;
    }
}
