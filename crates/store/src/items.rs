//! Synced items (messages, calendar items, contacts) and the admin-facing read of them.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Page, PageRequest, get_flag, like_contains};
use crate::error::StoreError;
use crate::ids::UserId;
use crate::tenant::Scope;

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A message (mail, meeting request, report).
    Message,
    /// A calendar item.
    CalendarItem,
    /// A contact.
    Contact,
}

impl ItemKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::CalendarItem => "calendar_item",
            Self::Contact => "contact",
        }
    }

    fn from_stored(value: &str) -> Result<Self, StoreError> {
        Ok(match value {
            "message" => Self::Message,
            "calendar_item" => Self::CalendarItem,
            "contact" => Self::Contact,
            other => {
                return Err(StoreError::Corrupt {
                    what: "items.kind",
                    value: other.to_string(),
                });
            }
        })
    }
}

/// An item's properties as synced from Exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemData {
    /// The EWS ItemId.
    pub item_id: String,
    /// The EWS ChangeKey of this version.
    pub change_key: String,
    /// What it is.
    pub kind: ItemKind,
    /// The item class, e.g. `IPM.Note`.
    pub item_class: String,
    /// The subject (a contact's display name).
    pub subject: String,
    /// The sender's address, in lower case.
    pub from: Option<String>,
    /// The recipients' addresses, in lower case.
    pub to: Vec<String>,
    /// When a message was received (Unix ms).
    pub received_at: Option<i64>,
    /// When a calendar item starts (Unix ms).
    pub start_at: Option<i64>,
    /// Whether it is read.
    pub is_read: bool,
    /// The remaining properties, as JSON.
    pub properties: serde_json::Value,
}

impl ItemData {
    /// The same item with its addresses trimmed and in lower case, as stored and filtered.
    pub(crate) fn normalized(mut self) -> Self {
        let address = |a: &str| a.trim().to_lowercase();
        if let Some(from) = &mut self.from {
            *from = address(from);
        }
        for to in &mut self.to {
            *to = address(to);
        }
        self
    }
}

/// A stored item of one mailbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// The mailbox's user.
    pub user: UserId,
    /// The folder (distinguished name) it is in.
    pub folder: String,
    /// Its properties.
    #[serde(flatten)]
    pub data: ItemData,
    /// When Impersync last wrote it (Unix ms).
    pub updated_at: i64,
}

/// Which items to list; every field set narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Only this folder (distinguished name).
    pub folder: Option<String>,
    /// Only items received (or starting) at or after this time (Unix ms).
    pub since: Option<i64>,
    /// Only items received (or starting) before this time (Unix ms).
    pub until: Option<i64>,
    /// Only items from this address.
    pub from: Option<String>,
    /// Only items to this address.
    pub to: Option<String>,
}

/// The synced items of one organisation's mailboxes, for admins.
#[derive(Debug, Clone, Copy)]
pub struct Items<'a> {
    scope: Scope<'a>,
}

/// The filter condition shared by the count and the page: `$1` org, `$2` user, then the filter.
const FILTER: &str = "FROM items WHERE org_id = $1 AND user_id = $2 \
     AND ($3 IS NULL OR folder = $3) \
     AND ($4 IS NULL OR COALESCE(received_at, start_at) >= $4) \
     AND ($5 IS NULL OR COALESCE(received_at, start_at) < $5) \
     AND ($6 IS NULL OR from_address = $6) \
     AND ($7 IS NULL OR to_addresses LIKE $7 ESCAPE '\\')";

impl<'a> Items<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    /// A page of one user's items, newest first, with the total number that match.
    pub async fn list(
        &self,
        user: UserId,
        filter: &ItemFilter,
        page: PageRequest,
    ) -> Result<Page<Item>, StoreError> {
        let pool = &self.scope.store.db().pool;
        let from = filter.from.as_deref().map(|a| a.trim().to_lowercase());
        let to = filter
            .to
            .as_deref()
            .map(|a| like_contains(&format!("\"{}\"", a.trim().to_lowercase())));
        let count_sql = format!("SELECT COUNT(*) AS n {FILTER}");
        let total: i64 = sqlx::query(sqlx::AssertSqlSafe(count_sql))
            .bind(self.scope.org.get())
            .bind(user.get())
            .bind(filter.folder.clone())
            .bind(filter.since)
            .bind(filter.until)
            .bind(from.clone())
            .bind(to.clone())
            .fetch_one(pool)
            .await?
            .try_get("n")?;
        let page_sql = format!(
            "SELECT user_id, folder, item_id, change_key, kind, item_class, subject, from_address, \
             to_addresses, received_at, start_at, is_read, payload, updated_at {FILTER} \
             ORDER BY COALESCE(received_at, start_at) DESC, item_id LIMIT $8 OFFSET $9"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(page_sql))
            .bind(self.scope.org.get())
            .bind(user.get())
            .bind(filter.folder.clone())
            .bind(filter.since)
            .bind(filter.until)
            .bind(from)
            .bind(to)
            .bind(page.sql_limit())
            .bind(page.sql_offset())
            .fetch_all(pool)
            .await?;
        let items = rows.iter().map(item_from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, total, page))
    }
}

pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &'static str,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|_| StoreError::Corrupt {
        what: column,
        value: text,
    })
}

fn item_from_row(row: &AnyRow) -> Result<Item, StoreError> {
    Ok(Item {
        user: UserId::from_raw(row.try_get("user_id")?),
        folder: row.try_get("folder")?,
        data: ItemData {
            item_id: row.try_get("item_id")?,
            change_key: row.try_get("change_key")?,
            kind: ItemKind::from_stored(&row.try_get::<String, _>("kind")?)?,
            item_class: row.try_get("item_class")?,
            subject: row.try_get("subject")?,
            from: row.try_get("from_address")?,
            to: json_column(row, "to_addresses")?,
            received_at: row.try_get("received_at")?,
            start_at: row.try_get("start_at")?,
            is_read: get_flag(row, "is_read")?,
            properties: json_column(row, "payload")?,
        },
        updated_at: row.try_get("updated_at")?,
    })
}
