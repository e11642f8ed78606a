//! The change feed: an append-only, per-organisation stream of item changes, read with a
//! cursor.
//!
//! Sequence numbers come from the organisation's row in `feed_counters`, which a writer
//! locks (by updating it) before it appends and keeps locked until it commits. Writers of
//! one organisation therefore commit one after another, in sequence order: once a reader
//! sees row `n`, every row below `n` is committed too, so a reader that resumes after the
//! last sequence it saw skips nothing. (An identity column or sequence would not give
//! this on PostgreSQL: a transaction holding a lower number may commit after one holding a
//! higher number has been read.) The cost is that one organisation's pages commit one at
//! a time, which the per-page transactions keep short.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashSet;

use crate::db::PageRequest;
use crate::error::StoreError;
use crate::ids::{OrgId, UserId};
use crate::items::json_column;
use crate::sql_lists::{
    IDS_PER_STATEMENT, for_backend, placeholders, rows_per_statement, value_rows,
};
use crate::store::Conn;
use crate::tenant::Scope;

/// What happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    /// It appeared.
    Created,
    /// It changed (a new change key).
    Updated,
    /// It is gone.
    Deleted,
    /// Only its read flag changed.
    ReadFlag,
}

impl FeedKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
            Self::ReadFlag => "read_flag",
        }
    }

    fn from_stored(value: &str) -> Result<Self, StoreError> {
        Ok(match value {
            "created" => Self::Created,
            "updated" => Self::Updated,
            "deleted" => Self::Deleted,
            "read_flag" => Self::ReadFlag,
            other => {
                return Err(StoreError::Corrupt {
                    what: "change_feed.kind",
                    value: other.to_string(),
                });
            }
        })
    }
}

/// A position in an organisation's feed: the last sequence number read (0 = the start).
/// On the wire it is an opaque string (the number in decimal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedCursor(pub i64);

impl std::fmt::Display for FeedCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for FeedCursor {
    type Err = StoreError;

    /// Parses a cursor given back by a consumer: a `next_cursor` or a change's `id`.
    fn from_str(s: &str) -> Result<Self, StoreError> {
        match s.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Self(n)),
            _ => Err(StoreError::Invalid(format!(
                "cursor: {s:?} is not a cursor; give a next_cursor from an earlier answer, or 0"
            ))),
        }
    }
}

impl Serialize for FeedCursor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FeedCursor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Serialises a sequence number as the change's opaque `id` (also a valid cursor).
fn seq_as_id<S: serde::Serializer>(seq: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    FeedCursor(*seq).serialize(serializer)
}

/// One row of the feed. Its JSON is the change feed's wire format: `id`, `kind`, `user`
/// (the address), `user_id`, `folder`, `item_id`, `change_key`, `item`, `at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedChange {
    /// Its sequence number in the organisation's feed; on the wire the change's `id`
    /// (idempotent: a change delivered twice has the same id).
    #[serde(rename = "id", serialize_with = "seq_as_id")]
    pub seq: i64,
    /// What happened.
    pub kind: FeedKind,
    /// The mailbox's user.
    #[serde(rename = "user_id")]
    pub user: UserId,
    /// The mailbox's address.
    #[serde(rename = "user")]
    pub user_email: String,
    /// The folder (distinguished name).
    pub folder: String,
    /// The EWS ItemId.
    pub item_id: String,
    /// The item's change key (for `read_flag`: the one after the flag change; for
    /// `deleted`: the last one known).
    pub change_key: String,
    /// `created`/`updated`: the item's data; `read_flag`: `{"is_read": ...}`; `deleted`: `{}`.
    #[serde(rename = "item")]
    pub payload: serde_json::Value,
    /// When it was appended (Unix ms).
    pub at: i64,
}

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedPage {
    /// The rows, in sequence (commit) order.
    pub changes: Vec<FeedChange>,
    /// Where to read on: the last row's sequence number, or the cursor given when empty.
    pub next_cursor: FeedCursor,
}

/// A row to append (organisation, mailbox and folder come with the call).
#[derive(Debug, Clone)]
pub(crate) struct NewChange<'a> {
    pub(crate) kind: FeedKind,
    pub(crate) item_id: String,
    pub(crate) change_key: String,
    /// The row's `item` as JSON text.
    pub(crate) payload: std::borrow::Cow<'a, str>,
}

/// The mailbox and folder a batch of rows belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FeedSource<'a> {
    pub(crate) org: OrgId,
    pub(crate) user: UserId,
    pub(crate) email: &'a str,
    pub(crate) folder: &'a str,
}

/// Appends `changes` in order inside the caller's transaction, skipping any already in
/// the feed (same item, change key and kind). Returns how many were appended.
///
/// The rows already present are read first (the caller's lease keeps every other writer
/// off this mailbox's items). Then one statement advances the organisation's counter by
/// the number of new rows and takes its lock, so no other writer of the organisation can
/// append before this transaction commits; the new rows are numbered without gaps below
/// the new counter and inserted, many to a statement (see `sql_lists`).
pub(crate) async fn append(
    conn: &mut Conn,
    source: FeedSource<'_>,
    changes: &[NewChange<'_>],
    now: i64,
) -> Result<u64, StoreError> {
    if changes.is_empty() {
        return Ok(0);
    }
    let org = source.org.get();
    let mut present = present_rows(conn, org, changes).await?;
    let new: Vec<&NewChange<'_>> = changes
        .iter()
        .filter(|c| present.insert((c.item_id.clone(), c.change_key.clone(), c.kind.as_str())))
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    // Takes the organisation's counter lock until commit (see the module documentation),
    // and the sequence numbers after the last one in the same statement.
    let count = new.len() as i64;
    let last: i64 = sqlx::query(
        "INSERT INTO feed_counters (org_id, last_seq) VALUES ($1, $2) \
         ON CONFLICT (org_id) DO UPDATE SET last_seq = feed_counters.last_seq + $2 \
         RETURNING last_seq",
    )
    .bind(org)
    .bind(count)
    .fetch_one(&mut *conn)
    .await?
    .try_get("last_seq")?;
    let mut seq = last - count;
    for chunk in new.chunks(rows_per_statement(FEED_COLUMNS)) {
        let sql = format!(
            "INSERT INTO change_feed (org_id, seq, kind, user_id, user_email, folder, item_id, \
             change_key, payload, at) VALUES {}",
            value_rows(chunk.len(), FEED_COLUMNS, 1)
        );
        let mut query = sqlx::query(for_backend(conn, sql));
        for change in chunk {
            seq += 1;
            query = query
                .bind(org)
                .bind(seq)
                .bind(change.kind.as_str())
                .bind(source.user.get())
                .bind(source.email)
                .bind(source.folder)
                .bind(change.item_id.as_str())
                .bind(change.change_key.as_str())
                .bind(change.payload.as_ref())
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(count as u64)
}

/// Columns of a feed row, in the order [`append`] binds them.
const FEED_COLUMNS: usize = 10;

/// The (item, change key, kind) rows of the organisation's feed for these changes' items
/// (read-flag rows aside).
async fn present_rows(
    conn: &mut Conn,
    org: i64,
    changes: &[NewChange<'_>],
) -> Result<HashSet<(String, String, &'static str)>, StoreError> {
    let mut ids: Vec<&str> = changes.iter().map(|c| c.item_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut present = HashSet::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let sql = format!(
            "SELECT item_id, change_key, kind FROM change_feed \
             WHERE org_id = $1 AND item_id IN ({})",
            placeholders(chunk.len(), 2)
        );
        let mut query = sqlx::query(for_backend(conn, sql)).bind(org);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let kind = FeedKind::from_stored(&row.try_get::<String, _>("kind")?)?;
            present.insert((
                row.try_get("item_id")?,
                row.try_get("change_key")?,
                kind.as_str(),
            ));
        }
    }
    Ok(present)
}

/// One organisation's change feed, for admins and consumers.
#[derive(Debug, Clone, Copy)]
pub struct ChangeFeed<'a> {
    scope: Scope<'a>,
}

impl<'a> ChangeFeed<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    /// Up to `limit` (1 to 1000) rows after `cursor`, in commit order. Reading on from
    /// `next_cursor` (also after a restart) returns every row exactly once.
    pub async fn changes(&self, cursor: FeedCursor, limit: u32) -> Result<FeedPage, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, user_id, user_email, folder, item_id, change_key, payload, at \
             FROM change_feed WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(self.scope.org.get())
        .bind(cursor.0)
        .bind(i64::from(limit.clamp(1, PageRequest::MAX_LIMIT)))
        .fetch_all(&self.scope.store.db().pool)
        .await?;
        let changes: Vec<FeedChange> =
            rows.iter().map(change_from_row).collect::<Result<_, _>>()?;
        let next_cursor = changes.last().map_or(cursor, |c| FeedCursor(c.seq));
        Ok(FeedPage {
            changes,
            next_cursor,
        })
    }
}

fn change_from_row(row: &AnyRow) -> Result<FeedChange, StoreError> {
    Ok(FeedChange {
        seq: row.try_get("seq")?,
        kind: FeedKind::from_stored(&row.try_get::<String, _>("kind")?)?,
        user: UserId::from_raw(row.try_get("user_id")?),
        user_email: row.try_get("user_email")?,
        folder: row.try_get("folder")?,
        item_id: row.try_get("item_id")?,
        change_key: row.try_get("change_key")?,
        payload: json_column(row, "payload")?,
        at: row.try_get("at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_has_the_feed_wire_names() {
        let change = FeedChange {
            seq: 42,
            kind: FeedKind::ReadFlag,
            user: UserId::from_raw(7),
            user_email: "alice@contoso.test".into(),
            folder: "inbox".into(),
            item_id: "AAk=".into(),
            change_key: "CQ==".into(),
            payload: serde_json::json!({"is_read": true}),
            at: 1,
        };
        let page = FeedPage {
            changes: vec![change],
            next_cursor: FeedCursor(42),
        };
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "changes": [{
                    "id": "42", "kind": "read_flag", "user": "alice@contoso.test", "user_id": "7",
                    "folder": "inbox", "item_id": "AAk=", "change_key": "CQ==",
                    "item": {"is_read": true}, "at": 1
                }],
                "next_cursor": "42"
            })
        );
    }

    #[test]
    fn a_cursor_is_a_decimal_string() {
        assert_eq!("17".parse::<FeedCursor>().unwrap(), FeedCursor(17));
        assert_eq!("0".parse::<FeedCursor>().unwrap(), FeedCursor::default());
        let err = "-3".parse::<FeedCursor>().unwrap_err().to_string();
        assert!(err.contains("cursor"), "{err}");
        assert!("abc".parse::<FeedCursor>().is_err());
        let back: FeedCursor = serde_json::from_str("\"9\"").unwrap();
        assert_eq!(back, FeedCursor(9));
    }
}
