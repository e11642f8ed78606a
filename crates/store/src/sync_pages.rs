//! Committing sync results: one page of SyncFolderItems changes (items, change-feed rows
//! and the folder's new SyncState) in one transaction, and the reconciliation after a full
//! resync. Both run only while the caller's lease holds, and write nothing otherwise.
//!
//! Replaying a page (after a crash before its commit, or after a resync that reports
//! every item as new) duplicates nothing: an item whose stored change key already equals
//! the incoming one is left alone, a delete of a missing item or a read flag already set
//! is a no-op, and the feed skips rows it already holds.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashSet;

use crate::change_feed::{self, FeedKind, FeedSource, NewChange};
use crate::db::{Db, flag, get_flag};
use crate::error::StoreError;
use crate::ids::UserId;
use crate::items::ItemData;
use crate::leases;
use crate::mailboxes::Lease;
use crate::page_writes::PageWrites;
use crate::prepared_page::{Prepared, PreparedPage};
use crate::store::Conn;

/// One change reported by SyncFolderItems.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemChange {
    /// A new item.
    Create(ItemData),
    /// A changed item.
    Update(ItemData),
    /// A deleted item.
    Delete {
        /// The EWS ItemId.
        item_id: String,
    },
    /// Only the read flag changed (Exchange gives the item a new change key for it).
    ReadFlag {
        /// The EWS ItemId.
        item_id: String,
        /// The item's change key after the flag change.
        change_key: String,
        /// The new flag.
        is_read: bool,
    },
}

/// One page of SyncFolderItems results for one folder.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncPage {
    /// The folder's distinguished name, e.g. `inbox`.
    pub folder: String,
    /// The folder's EWS FolderId.
    pub folder_id: String,
    /// The SyncState returned with this page.
    pub sync_state: String,
    /// Whether this page was the last (`IncludesLastItemInRange`).
    pub includes_last_item: bool,
    /// The changes, in the order EWS returned them.
    pub changes: Vec<ItemChange>,
}

/// What a page changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PageReport {
    /// Items inserted.
    pub created: u32,
    /// Items rewritten with a new change key.
    pub updated: u32,
    /// Items deleted.
    pub deleted: u32,
    /// Read flags changed.
    pub read_flags: u32,
    /// Changes that were already applied (a replay).
    pub unchanged: u32,
    /// Change-feed rows appended.
    pub feed_rows: u64,
}

impl std::ops::AddAssign for PageReport {
    fn add_assign(&mut self, page: Self) {
        self.created += page.created;
        self.updated += page.updated;
        self.deleted += page.deleted;
        self.read_flags += page.read_flags;
        self.unchanged += page.unchanged;
        self.feed_rows += page.feed_rows;
    }
}

/// The stored SyncState of one (mailbox, folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderSyncState {
    /// The mailbox's user.
    pub user: UserId,
    /// The folder's distinguished name.
    pub folder: String,
    /// The folder's EWS FolderId.
    pub folder_id: String,
    /// The opaque SyncState to send next (empty: sync from the start).
    pub sync_state: String,
    /// Whether the last page stored was the last of its range.
    pub includes_last_item: bool,
    /// When it was stored (Unix ms).
    pub updated_at: i64,
}

/// Writes `page` for the leased mailbox inside the caller's transaction (see the module
/// documentation): [`StoreError::LeaseLost`] before any write when the lease is not held.
pub(crate) async fn write_page(
    conn: &mut Conn,
    lease: &Lease,
    page: &PreparedPage,
    now: i64,
) -> Result<PageReport, StoreError> {
    leases::hold(conn, lease, now).await?;
    write_held_page(conn, lease, page, now).await
}

/// [`write_page`] for a lease the caller has checked in this transaction.
pub(crate) async fn write_held_page(
    conn: &mut Conn,
    lease: &Lease,
    page: &PreparedPage,
    now: i64,
) -> Result<PageReport, StoreError> {
    let ids: Vec<&str> = page.item_ids.iter().map(String::as_str).collect();
    let mut writes = PageWrites::load(conn, lease.user, &ids).await?;
    let mut report = PageReport::default();
    let mut feed = Vec::new();
    for change in &page.changes {
        let row = match change {
            Prepared::Write(item) => writes.write(&page.folder, item),
            Prepared::Delete(item_id) => writes.delete(&page.folder, item_id),
            Prepared::ReadFlag {
                item_id,
                change_key,
                is_read,
            } => writes.read_flag(item_id, change_key, *is_read),
        };
        match row {
            Some(row) => {
                match row.kind {
                    FeedKind::Created => report.created += 1,
                    FeedKind::Updated => report.updated += 1,
                    FeedKind::Deleted => report.deleted += 1,
                    FeedKind::ReadFlag => report.read_flags += 1,
                }
                feed.push(row);
            }
            None => report.unchanged += 1,
        }
    }
    writes.execute(conn, lease, now).await?;
    sqlx::query(
        "INSERT INTO folder_sync_states (user_id, org_id, folder, folder_id, sync_state, \
         includes_last_item, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (user_id, folder) DO UPDATE SET folder_id = excluded.folder_id, \
         sync_state = excluded.sync_state, includes_last_item = excluded.includes_last_item, \
         updated_at = excluded.updated_at",
    )
    .bind(lease.user.get())
    .bind(lease.org.get())
    .bind(&page.folder)
    .bind(&page.folder_id)
    .bind(&page.sync_state)
    .bind(flag(page.includes_last_item))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    report.feed_rows = change_feed::append(conn, source(lease, &page.folder), &feed, now).await?;
    Ok(report)
}

/// After a full resync of `folder` that saw exactly `seen`, deletes the folder's other
/// items and appends a `deleted` row for each, in one transaction. Returns how many.
pub(crate) async fn reconcile(
    db: &Db,
    lease: &Lease,
    folder: &str,
    seen: &[String],
    now: i64,
) -> Result<u64, StoreError> {
    let mut tx = db.begin_write().await?;
    leases::hold(&mut tx, lease, now).await?;
    let seen: HashSet<&str> = seen.iter().map(String::as_str).collect();
    let (mut writes, stored) = PageWrites::load_folder(&mut tx, lease.user, folder).await?;
    let feed: Vec<NewChange> = stored
        .iter()
        .filter(|id| !seen.contains(id.as_str()))
        .filter_map(|id| writes.delete(folder, id))
        .collect();
    writes.execute(&mut tx, lease, now).await?;
    let deleted = feed.len() as u64;
    change_feed::append(&mut tx, source(lease, folder), &feed, now).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// The stored SyncState of each folder of a mailbox, by folder name.
pub(crate) async fn folder_states(
    db: &Db,
    user: UserId,
) -> Result<Vec<FolderSyncState>, StoreError> {
    let rows = sqlx::query(
        "SELECT user_id, folder, folder_id, sync_state, includes_last_item, updated_at \
         FROM folder_sync_states WHERE user_id = $1 ORDER BY folder",
    )
    .bind(user.get())
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(folder_state_from_row).collect()
}

fn folder_state_from_row(row: &AnyRow) -> Result<FolderSyncState, StoreError> {
    Ok(FolderSyncState {
        user: UserId::from_raw(row.try_get("user_id")?),
        folder: row.try_get("folder")?,
        folder_id: row.try_get("folder_id")?,
        sync_state: row.try_get("sync_state")?,
        includes_last_item: get_flag(row, "includes_last_item")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn source<'a>(lease: &'a Lease, folder: &'a str) -> FeedSource<'a> {
    FeedSource {
        org: lease.org,
        user: lease.user,
        email: &lease.email,
        folder,
    }
}
