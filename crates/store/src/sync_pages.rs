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

/// Applies `page` for the leased mailbox in one transaction (see the module documentation).
pub(crate) async fn apply_page(
    db: &Db,
    lease: &Lease,
    page: &SyncPage,
    now: i64,
) -> Result<PageReport, StoreError> {
    validate(page)?;
    let mut tx = db.begin_write().await?;
    leases::hold(&mut tx, lease, now).await?;
    let mut report = PageReport::default();
    let mut feed = Vec::new();
    for change in &page.changes {
        let row = match change {
            ItemChange::Create(data) | ItemChange::Update(data) => {
                write_item(&mut tx, lease, &page.folder, &data.normalized(), now).await?
            }
            ItemChange::Delete { item_id } => {
                delete_item(&mut tx, lease.user, &page.folder, item_id).await?
            }
            ItemChange::ReadFlag {
                item_id,
                change_key,
                is_read,
            } => set_read(&mut tx, lease.user, item_id, change_key, *is_read, now).await?,
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
    .execute(&mut *tx)
    .await?;
    report.feed_rows =
        change_feed::append(&mut tx, source(lease, &page.folder), &feed, now).await?;
    tx.commit().await?;
    Ok(report)
}

/// Refuses a page without a folder name or with a change without an item id.
fn validate(page: &SyncPage) -> Result<(), StoreError> {
    if page.folder.trim().is_empty() {
        return Err(StoreError::Invalid(
            "folder: give the folder's distinguished name, e.g. inbox".into(),
        ));
    }
    for (n, change) in page.changes.iter().enumerate() {
        let item_id = match change {
            ItemChange::Create(data) | ItemChange::Update(data) => &data.item_id,
            ItemChange::Delete { item_id } | ItemChange::ReadFlag { item_id, .. } => item_id,
        };
        if item_id.trim().is_empty() {
            return Err(StoreError::Invalid(format!(
                "changes[{n}].item_id: every change needs the item's EWS ItemId"
            )));
        }
        if let ItemChange::ReadFlag { change_key, .. } = change
            && change_key.trim().is_empty()
        {
            return Err(StoreError::Invalid(format!(
                "changes[{n}].change_key: a read-flag change needs the item's new ChangeKey"
            )));
        }
    }
    Ok(())
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
    let rows = sqlx::query("SELECT item_id FROM items WHERE user_id = $1 AND folder = $2")
        .bind(lease.user.get())
        .bind(folder)
        .fetch_all(&mut *tx)
        .await?;
    let mut feed = Vec::new();
    for row in &rows {
        let item_id: String = row.try_get("item_id")?;
        if !seen.contains(item_id.as_str())
            && let Some(change) = delete_item(&mut tx, lease.user, folder, &item_id).await?
        {
            feed.push(change);
        }
    }
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

/// Inserts or rewrites an item; its feed row, or `None` when this version is stored already.
async fn write_item(
    conn: &mut Conn,
    lease: &Lease,
    folder: &str,
    data: &ItemData,
    now: i64,
) -> Result<Option<NewChange>, StoreError> {
    let stored = sqlx::query("SELECT change_key FROM items WHERE user_id = $1 AND item_id = $2")
        .bind(lease.user.get())
        .bind(&data.item_id)
        .fetch_optional(&mut *conn)
        .await?;
    let to = serde_json::to_string(&data.to).unwrap_or_else(|_| "[]".into());
    let kind = match stored {
        Some(row) if row.try_get::<String, _>("change_key")? == data.change_key => return Ok(None),
        Some(_) => FeedKind::Updated,
        None => FeedKind::Created,
    };
    sqlx::query(
        "INSERT INTO items (user_id, org_id, folder, item_id, change_key, kind, item_class, \
         subject, from_address, to_addresses, received_at, start_at, is_read, payload, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (user_id, item_id) DO UPDATE SET folder = excluded.folder, \
         change_key = excluded.change_key, kind = excluded.kind, item_class = excluded.item_class, \
         subject = excluded.subject, from_address = excluded.from_address, \
         to_addresses = excluded.to_addresses, received_at = excluded.received_at, \
         start_at = excluded.start_at, is_read = excluded.is_read, payload = excluded.payload, \
         updated_at = excluded.updated_at",
    )
    .bind(lease.user.get())
    .bind(lease.org.get())
    .bind(folder)
    .bind(&data.item_id)
    .bind(&data.change_key)
    .bind(data.kind.as_str())
    .bind(&data.item_class)
    .bind(&data.subject)
    .bind(data.from.clone())
    .bind(to)
    .bind(data.received_at)
    .bind(data.start_at)
    .bind(flag(data.is_read))
    .bind(data.properties.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Some(NewChange {
        kind,
        item_id: data.item_id.clone(),
        change_key: data.change_key.clone(),
        payload: serde_json::to_value(data).unwrap_or_default(),
    }))
}

/// Deletes an item of the folder; its feed row, or `None` when it is not there.
async fn delete_item(
    conn: &mut Conn,
    user: UserId,
    folder: &str,
    item_id: &str,
) -> Result<Option<NewChange>, StoreError> {
    let stored = sqlx::query(
        "SELECT change_key FROM items WHERE user_id = $1 AND item_id = $2 AND folder = $3",
    )
    .bind(user.get())
    .bind(item_id)
    .bind(folder)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = stored else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM items WHERE user_id = $1 AND item_id = $2")
        .bind(user.get())
        .bind(item_id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(NewChange {
        kind: FeedKind::Deleted,
        item_id: item_id.to_string(),
        change_key: row.try_get("change_key")?,
        payload: serde_json::json!({}),
    }))
}

/// Sets an item's read flag and change key; its feed row (with the new change key), or
/// `None` when this change key is stored already, the item is not stored, or only the
/// change key moved (the flag was already so: the key is stored, no row).
async fn set_read(
    conn: &mut Conn,
    user: UserId,
    item_id: &str,
    change_key: &str,
    is_read: bool,
    now: i64,
) -> Result<Option<NewChange>, StoreError> {
    let stored =
        sqlx::query("SELECT change_key, is_read FROM items WHERE user_id = $1 AND item_id = $2")
            .bind(user.get())
            .bind(item_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = stored else {
        return Ok(None);
    };
    if row.try_get::<String, _>("change_key")? == change_key {
        return Ok(None);
    }
    let flag_changed = get_flag(&row, "is_read")? != is_read;
    sqlx::query(
        "UPDATE items SET is_read = $1, change_key = $2, updated_at = $3 \
         WHERE user_id = $4 AND item_id = $5",
    )
    .bind(flag(is_read))
    .bind(change_key)
    .bind(now)
    .bind(user.get())
    .bind(item_id)
    .execute(&mut *conn)
    .await?;
    Ok(flag_changed.then(|| NewChange {
        kind: FeedKind::ReadFlag,
        item_id: item_id.to_string(),
        change_key: change_key.to_string(),
        payload: serde_json::json!({ "is_read": is_read }),
    }))
}
