//! The room directory of an organisation: its room lists and their rooms, as the engine
//! last read them through the service account's own mailbox, with the last failure.
//!
//! Admins read it through [`OrgStore::rooms`](crate::OrgStore::rooms). Only Impersync itself
//! (a system principal) writes it: a refresh replaces the whole directory in one
//! transaction, and a failed refresh keeps the last directory and records why.

use serde::Serialize;
use sqlx::Row;
use std::collections::HashSet;

use crate::db::Db;
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::mailboxes::SyncFailure;
use crate::store::Store;
use crate::tenant::{Actor, Principal, Scope};

/// A room mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Room {
    /// Its SMTP address.
    pub address: String,
    /// Its display name.
    pub name: String,
}

/// A room list with its rooms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomList {
    /// The list's SMTP address.
    pub address: String,
    /// Its display name.
    pub name: String,
    /// Its rooms, in the order Exchange gave them.
    pub rooms: Vec<Room>,
}

/// An organisation's room directory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RoomDirectory {
    /// The room lists, in the order Exchange gave them.
    pub lists: Vec<RoomList>,
    /// When a refresh last succeeded (Unix ms); `None` if none has.
    pub refreshed_at: Option<i64>,
    /// When a refresh was last tried (Unix ms); `None` if never.
    pub attempted_at: Option<i64>,
    /// Why the last refresh failed, until one succeeds.
    pub error: Option<SyncFailure>,
}

/// The room directory of one organisation.
#[derive(Debug, Clone, Copy)]
pub struct Rooms<'a> {
    scope: Scope<'a>,
}

impl<'a> Rooms<'a> {
    pub(crate) fn new(scope: Scope<'a>) -> Self {
        Self { scope }
    }

    fn db(&self) -> &Db {
        self.scope.store.db()
    }

    /// The directory as last refreshed (empty if never).
    pub async fn directory(&self) -> Result<RoomDirectory, StoreError> {
        let org = self.scope.org.get();
        let pool = &self.db().pool;
        let head = sqlx::query(
            "SELECT refreshed_at, attempted_at, error_outcome, error_code, error_message, \
             error_remedy FROM room_directories WHERE org_id = $1",
        )
        .bind(org)
        .fetch_optional(pool)
        .await?;
        let rows = sqlx::query(
            "SELECT l.address, l.name, r.address AS room_address, r.name AS room_name \
             FROM room_lists l LEFT JOIN rooms r \
             ON r.org_id = l.org_id AND r.list_address = l.address \
             WHERE l.org_id = $1 ORDER BY l.position, r.position",
        )
        .bind(org)
        .fetch_all(pool)
        .await?;
        let mut directory = RoomDirectory::default();
        for row in &rows {
            let address: String = row.try_get("address")?;
            if directory.lists.last().is_none_or(|l| l.address != address) {
                directory.lists.push(RoomList {
                    address,
                    name: row.try_get("name")?,
                    rooms: Vec::new(),
                });
            }
            if let (Some(address), Some(name), Some(list)) = (
                row.try_get::<Option<String>, _>("room_address")?,
                row.try_get::<Option<String>, _>("room_name")?,
                directory.lists.last_mut(),
            ) {
                list.rooms.push(Room { address, name });
            }
        }
        if let Some(row) = head {
            directory.refreshed_at = row.try_get("refreshed_at")?;
            directory.attempted_at = Some(row.try_get("attempted_at")?);
            directory.error = crate::mailboxes::failure_from_row(&row)?;
        }
        Ok(directory)
    }

    /// Replaces the whole directory with `lists` as read at `now` and clears the last
    /// failure, in one transaction. Impersync itself only. A list or room that appears twice
    /// (addresses compared without regard to case) is kept once, at its first place.
    pub async fn replace(&self, lists: &[RoomList], now: i64) -> Result<(), StoreError> {
        require_system(self.scope.principal)?;
        let org = self.scope.org.get();
        let mut tx = self.db().begin_write().await?;
        for delete in [
            "DELETE FROM rooms WHERE org_id = $1",
            "DELETE FROM room_lists WHERE org_id = $1",
        ] {
            sqlx::query(delete).bind(org).execute(&mut *tx).await?;
        }
        let mut seen_lists = HashSet::new();
        for (position, list) in lists.iter().enumerate() {
            if !seen_lists.insert(list.address.to_lowercase()) {
                continue;
            }
            sqlx::query(
                "INSERT INTO room_lists (org_id, address, name, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(org)
            .bind(&list.address)
            .bind(&list.name)
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
            let mut seen_rooms = HashSet::new();
            for (position, room) in list.rooms.iter().enumerate() {
                if !seen_rooms.insert(room.address.to_lowercase()) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO rooms (org_id, list_address, address, name, position) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(org)
                .bind(&list.address)
                .bind(&room.address)
                .bind(&room.name)
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        upsert_head(&mut tx, org, now, Some(now), None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed refresh at `now`; the last directory stays as it was. Impersync
    /// itself only.
    pub async fn record_failure(&self, failure: &SyncFailure, now: i64) -> Result<(), StoreError> {
        require_system(self.scope.principal)?;
        let mut tx = self.db().begin_write().await?;
        upsert_head(&mut tx, self.scope.org.get(), now, None, Some(failure)).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// The organisations with a saved email configuration whose room directory was not
    /// tried since `before` (Unix ms), or never. Impersync itself only.
    pub async fn rooms_due(
        &self,
        principal: &Principal,
        before: i64,
    ) -> Result<Vec<OrgId>, StoreError> {
        require_system(principal)?;
        let rows = sqlx::query(
            "SELECT c.org_id FROM email_configs c \
             LEFT JOIN room_directories d ON d.org_id = c.org_id \
             WHERE c.saved = 1 AND (d.attempted_at IS NULL OR d.attempted_at < $1) \
             ORDER BY c.org_id",
        )
        .bind(before)
        .fetch_all(&self.db().pool)
        .await?;
        rows.iter()
            .map(|r| Ok(OrgId::from_raw(r.try_get("org_id")?)))
            .collect()
    }
}

fn require_system(principal: &Principal) -> Result<(), StoreError> {
    match principal.actor {
        Actor::System(_) => Ok(()),
        Actor::Admin(_) => Err(StoreError::Forbidden(
            "only Impersync itself refreshes the room directory; ask for a refresh instead",
        )),
    }
}

/// Writes the directory's row: tried at `now`, refreshed at `refreshed` (kept when `None`),
/// and the failure (cleared when `None`).
async fn upsert_head(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    org: i64,
    now: i64,
    refreshed: Option<i64>,
    failure: Option<&SyncFailure>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO room_directories (org_id, refreshed_at, attempted_at, error_outcome, \
         error_code, error_message, error_remedy) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id) DO UPDATE SET \
         refreshed_at = COALESCE(excluded.refreshed_at, room_directories.refreshed_at), \
         attempted_at = excluded.attempted_at, error_outcome = excluded.error_outcome, \
         error_code = excluded.error_code, error_message = excluded.error_message, \
         error_remedy = excluded.error_remedy",
    )
    .bind(org)
    .bind(refreshed)
    .bind(now)
    .bind(failure.map(|f| f.outcome.clone()))
    .bind(failure.and_then(|f| f.code.clone()))
    .bind(failure.map(|f| f.message.clone()))
    .bind(failure.map(|f| f.remedy.clone()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
