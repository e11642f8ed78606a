//! The item writes of one sync page, decided in memory and then sent in a few multi-row
//! statements: the stored versions of the page's items are read with one query per 952
//! ids, each change is judged against them in page order (so a later change of the same
//! item sees the earlier one), and every item touched ends with one write.

use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

use crate::change_feed::{FeedKind, NewChange};
use crate::db::{flag, get_flag};
use crate::error::StoreError;
use crate::ids::UserId;
use crate::items::ItemData;
use crate::mailboxes::Lease;
use crate::sql_lists::{
    IDS_PER_STATEMENT, for_backend, placeholders, rows_per_statement, value_rows,
};
use crate::store::Conn;
use std::borrow::Cow;

/// What the store holds of an item, as far as a change needs to know.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    change_key: String,
    is_read: bool,
    folder: String,
}

/// An item to write with its JSON texts, serialised before the write transaction begins
/// so that the transaction holds the write lock only for the statements.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PreparedItem {
    /// The item, its addresses normalised.
    data: ItemData,
    /// The feed row's `item`: the whole item.
    feed_payload: String,
    /// The `to_addresses` column.
    to: String,
    /// The `payload` column: the remaining properties.
    properties: String,
}

impl PreparedItem {
    /// Normalises `data` and serialises what its writes need.
    pub(crate) fn new(data: ItemData) -> Self {
        let data = data.normalized();
        Self {
            feed_payload: to_json(&data),
            to: to_json(&data.to),
            properties: data.properties.to_string(),
            data,
        }
    }

    /// The item's EWS ItemId.
    pub(crate) fn item_id(&self) -> &str {
        &self.data.item_id
    }
}

/// The final write of one item.
#[derive(Debug)]
enum Write<'a> {
    /// Insert or rewrite it, into `folder`; a later read-flag change of the same page
    /// sets `read` (the flag and the new change key).
    Upsert {
        item: &'a PreparedItem,
        folder: &'a str,
        read: Option<(bool, String)>,
    },
    /// Delete it.
    Delete,
    /// Set only its read flag and change key.
    ReadFlag {
        /// The flag.
        is_read: bool,
        /// The item's new change key.
        change_key: String,
    },
}

/// The writes a page (or a reconciliation) makes, by item id.
#[derive(Debug, Default)]
pub(crate) struct PageWrites<'a> {
    stored: HashMap<String, Stored>,
    writes: BTreeMap<String, Write<'a>>,
}

impl<'a> PageWrites<'a> {
    /// Starts from the stored versions of `item_ids` of `user`.
    pub(crate) async fn load(
        conn: &mut Conn,
        user: UserId,
        item_ids: &[&str],
    ) -> Result<Self, StoreError> {
        let mut stored = HashMap::with_capacity(item_ids.len());
        for chunk in item_ids.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "SELECT item_id, change_key, is_read, folder FROM items \
                 WHERE user_id = $1 AND item_id IN ({})",
                placeholders(chunk.len(), 2)
            );
            let mut query = sqlx::query(for_backend(conn, sql)).bind(user.get());
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *conn).await? {
                stored.insert(row.try_get("item_id")?, stored_from_row(&row)?);
            }
        }
        Ok(Self {
            stored,
            writes: BTreeMap::new(),
        })
    }

    /// Starts from every stored item of `user` in `folder`; returns their ids too.
    pub(crate) async fn load_folder(
        conn: &mut Conn,
        user: UserId,
        folder: &str,
    ) -> Result<(Self, Vec<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT item_id, change_key, is_read, folder FROM items \
             WHERE user_id = $1 AND folder = $2",
        )
        .bind(user.get())
        .bind(folder)
        .fetch_all(&mut *conn)
        .await?;
        let mut stored = HashMap::with_capacity(rows.len());
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("item_id")?;
            ids.push(id.clone());
            stored.insert(id, stored_from_row(row)?);
        }
        let writes = BTreeMap::new();
        Ok((Self { stored, writes }, ids))
    }

    /// Creates or rewrites an item in `folder`; its feed row, or `None` when this version
    /// is stored already.
    pub(crate) fn write(
        &mut self,
        folder: &'a str,
        item: &'a PreparedItem,
    ) -> Option<NewChange<'a>> {
        let data = &item.data;
        let kind = match self.stored.get(&data.item_id) {
            Some(s) if s.change_key == data.change_key => return None,
            Some(_) => FeedKind::Updated,
            None => FeedKind::Created,
        };
        let stored = Stored {
            change_key: data.change_key.clone(),
            is_read: data.is_read,
            folder: folder.to_string(),
        };
        self.stored.insert(data.item_id.clone(), stored);
        let write = Write::Upsert {
            item,
            folder,
            read: None,
        };
        self.writes.insert(data.item_id.clone(), write);
        Some(NewChange {
            kind,
            item_id: data.item_id.clone(),
            change_key: data.change_key.clone(),
            payload: Cow::Borrowed(&item.feed_payload),
        })
    }

    /// Deletes an item of `folder`; its feed row, or `None` when it is not there.
    pub(crate) fn delete(&mut self, folder: &str, item_id: &str) -> Option<NewChange<'a>> {
        if self.stored.get(item_id)?.folder != folder {
            return None;
        }
        let stored = self.stored.remove(item_id)?;
        self.writes.insert(item_id.to_string(), Write::Delete);
        Some(NewChange {
            kind: FeedKind::Deleted,
            item_id: item_id.to_string(),
            change_key: stored.change_key,
            payload: Cow::Borrowed("{}"),
        })
    }

    /// Sets an item's read flag and change key; its feed row (with the new change key), or
    /// `None` when this change key is stored already, the item is not stored, or only the
    /// change key moved (the flag was already so: the key is stored, no row).
    pub(crate) fn read_flag(
        &mut self,
        item_id: &str,
        change_key: &str,
        is_read: bool,
    ) -> Option<NewChange<'a>> {
        let stored = self.stored.get_mut(item_id)?;
        if stored.change_key == change_key {
            return None;
        }
        let flag_changed = stored.is_read != is_read;
        stored.is_read = is_read;
        stored.change_key = change_key.to_string();
        match self.writes.get_mut(item_id) {
            Some(Write::Upsert { read, .. }) => {
                *read = Some((is_read, change_key.to_string()));
            }
            _ => {
                let write = Write::ReadFlag {
                    is_read,
                    change_key: change_key.to_string(),
                };
                self.writes.insert(item_id.to_string(), write);
            }
        }
        flag_changed.then(|| NewChange {
            kind: FeedKind::ReadFlag,
            item_id: item_id.to_string(),
            change_key: change_key.to_string(),
            payload: Cow::Owned(serde_json::json!({ "is_read": is_read }).to_string()),
        })
    }

    /// Sends the writes for the leased mailbox inside the caller's transaction.
    pub(crate) async fn execute(
        self,
        conn: &mut Conn,
        lease: &Lease,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut upserts = Vec::new();
        let mut deletes = Vec::new();
        let mut read_flags = Vec::new();
        for (id, write) in &self.writes {
            match write {
                Write::Upsert { item, folder, read } => upserts.push((*item, *folder, read)),
                Write::Delete => deletes.push(id.as_str()),
                Write::ReadFlag {
                    is_read,
                    change_key,
                } => read_flags.push((id.as_str(), *is_read, change_key.as_str())),
            }
        }
        for chunk in deletes.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "DELETE FROM items WHERE user_id = $1 AND item_id IN ({})",
                placeholders(chunk.len(), 2)
            );
            let mut query = sqlx::query(for_backend(conn, sql)).bind(lease.user.get());
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut *conn).await?;
        }
        for chunk in upserts.chunks(rows_per_statement(ITEM_COLUMNS)) {
            upsert(conn, lease, chunk, now).await?;
        }
        for (id, is_read, change_key) in read_flags {
            sqlx::query(
                "UPDATE items SET is_read = $1, change_key = $2, updated_at = $3 \
                 WHERE user_id = $4 AND item_id = $5",
            )
            .bind(flag(is_read))
            .bind(change_key)
            .bind(now)
            .bind(lease.user.get())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// An item to upsert, its folder, and the read flag and change key that replace its own.
type UpsertRow<'a> = (&'a PreparedItem, &'a str, &'a Option<(bool, String)>);

/// Columns of an item row, in the order [`upsert`] binds them.
const ITEM_COLUMNS: usize = 15;

/// Inserts or rewrites a chunk of items in one statement.
async fn upsert(
    conn: &mut Conn,
    lease: &Lease,
    rows: &[UpsertRow<'_>],
    now: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO items (user_id, org_id, folder, item_id, change_key, kind, item_class, \
         subject, from_address, to_addresses, received_at, start_at, is_read, payload, \
         updated_at) VALUES {} \
         ON CONFLICT (user_id, item_id) DO UPDATE SET folder = excluded.folder, \
         change_key = excluded.change_key, kind = excluded.kind, item_class = excluded.item_class, \
         subject = excluded.subject, from_address = excluded.from_address, \
         to_addresses = excluded.to_addresses, received_at = excluded.received_at, \
         start_at = excluded.start_at, is_read = excluded.is_read, payload = excluded.payload, \
         updated_at = excluded.updated_at",
        value_rows(rows.len(), ITEM_COLUMNS, 1)
    );
    let mut query = sqlx::query(for_backend(conn, sql));
    for (item, folder, read) in rows {
        let data = &item.data;
        let (is_read, change_key) = match read {
            Some((is_read, change_key)) => (*is_read, change_key.as_str()),
            None => (data.is_read, data.change_key.as_str()),
        };
        query = query
            .bind(lease.user.get())
            .bind(lease.org.get())
            .bind(*folder)
            .bind(data.item_id.as_str())
            .bind(change_key)
            .bind(data.kind.as_str())
            .bind(data.item_class.as_str())
            .bind(data.subject.as_str())
            .bind(data.from.as_deref())
            .bind(item.to.as_str())
            .bind(data.received_at)
            .bind(data.start_at)
            .bind(flag(is_read))
            .bind(item.properties.as_str())
            .bind(now);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// JSON text of a value whose serialisation cannot fail (derived, string keys only).
fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn stored_from_row(row: &sqlx::any::AnyRow) -> Result<Stored, StoreError> {
    Ok(Stored {
        change_key: row.try_get("change_key")?,
        is_read: get_flag(row, "is_read")?,
        folder: row.try_get("folder")?,
    })
}
