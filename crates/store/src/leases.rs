//! Mailbox leases: claiming due mailboxes, renewing, finishing and releasing a lease.
//!
//! A claim is one write transaction. On PostgreSQL it selects the due rows with
//! `FOR UPDATE SKIP LOCKED`, so concurrent workers claim disjoint mailboxes without
//! waiting on each other; on SQLite the write transaction (`BEGIN IMMEDIATE`) already
//! makes claims one at a time. Every later lease operation matches the row on
//! (user, owner, unexpired), so a worker whose lease expired or was taken over changes
//! nothing and gets [`StoreError::LeaseLost`].

use sqlx::Row;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use crate::db::{Backend, Db};
use crate::error::StoreError;
use crate::ids::{OrgId, UserId};
use crate::mailboxes::{Lease, MailboxState, SyncFailure};
use crate::sql_lists::{IDS_PER_STATEMENT, placeholders};
use crate::store::Conn;

/// The condition, on a `mailbox_sync m` row, that a claim may take the mailbox once it is
/// due: its user is activated and its organisation's configuration is saved. Looked up per
/// row (subqueries, not joins), so that plans read `mailbox_sync_due` in order and stop
/// after the rows they need even when the planner's statistics are stale, as they are
/// after a bulk activation.
macro_rules! claimable {
    () => {
        "(SELECT u.sync_enabled FROM users u WHERE u.id = m.user_id) = 1 \
         AND (SELECT c.saved FROM email_configs c WHERE c.org_id = m.org_id) = 1"
    };
}

/// The condition, on a `mailbox_sync m` row, that the mailbox waits for a claim at `$1`:
/// due, claimable, and its lease free or expired.
macro_rules! waiting {
    () => {
        concat!(
            "m.next_due_at <= $1 AND (m.lease_owner IS NULL OR m.lease_expires_at <= $1) AND ",
            claimable!()
        )
    };
}

/// The due mailboxes a claim takes, first due first.
macro_rules! claim_select {
    ($lock:literal) => {
        concat!(
            "SELECT m.user_id, m.org_id, m.lease_owner, \
             (SELECT u.email FROM users u WHERE u.id = m.user_id) AS email FROM mailbox_sync m \
             WHERE ",
            waiting!(),
            " ORDER BY m.next_due_at, m.user_id LIMIT $2",
            $lock
        )
    };
}

/// When the mailbox that has waited longest for a claim at `now` became due (Unix ms);
/// `None` when none waits. Reads the first rows of `mailbox_sync_due`.
pub(crate) async fn oldest_waiting(db: &Db, now: i64) -> Result<Option<i64>, StoreError> {
    let due = sqlx::query_scalar(concat!(
        "SELECT m.next_due_at FROM mailbox_sync m WHERE ",
        waiting!(),
        " ORDER BY m.next_due_at LIMIT 1"
    ))
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(due)
}

/// When the next claimable mailbox is due (Unix ms): the earliest due time of the
/// claimable mailboxes, a held lease counting from its expiry. `None` when nothing is
/// scheduled. Each half reads the first rows of its index (`mailbox_sync_due`,
/// `mailbox_sync_leased`).
pub(crate) async fn next_due_at(db: &Db) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT (SELECT m.next_due_at FROM mailbox_sync m WHERE m.next_due_at IS NOT NULL \
         AND (m.lease_owner IS NULL OR m.lease_expires_at IS NULL \
         OR m.lease_expires_at <= m.next_due_at) AND ",
        claimable!(),
        " ORDER BY m.next_due_at LIMIT 1) AS due, \
         (SELECT m.lease_expires_at FROM mailbox_sync m WHERE m.lease_owner IS NOT NULL \
         AND m.lease_expires_at > m.next_due_at AND ",
        claimable!(),
        " ORDER BY m.lease_expires_at LIMIT 1) AS lease_end"
    ))
    .fetch_one(&db.pool)
    .await?;
    let due: Option<i64> = row.try_get("due")?;
    let lease_end: Option<i64> = row.try_get("lease_end")?;
    Ok(due.into_iter().chain(lease_end).min())
}

/// The lease's end, `lease_for` after `now`.
pub(crate) fn expiry(now: i64, lease_for: Duration) -> i64 {
    now.saturating_add(i64::try_from(lease_for.as_millis()).unwrap_or(i64::MAX))
}

/// Claims up to `limit` due mailboxes for `owner` (see the module documentation).
pub(crate) async fn claim_due(
    db: &Db,
    owner: &str,
    limit: u32,
    lease_for: Duration,
    now: i64,
) -> Result<Vec<Lease>, StoreError> {
    if owner.trim().is_empty() {
        return Err(StoreError::Invalid("owner: give the worker's name".into()));
    }
    let mut tx = db.begin_write().await?;
    let select = match db.backend {
        Backend::Postgres => claim_select!(" FOR UPDATE OF m SKIP LOCKED"),
        Backend::Sqlite => claim_select!(""),
    };
    let rows = sqlx::query(select)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
    let expires_at = expiry(now, lease_for);
    let mut leases = Vec::with_capacity(rows.len());
    for row in &rows {
        let taken_over = row.try_get::<Option<String>, _>("lease_owner")?.is_some();
        let user = UserId::from_raw(row.try_get("user_id")?);
        sqlx::query(
            "UPDATE mailbox_sync SET state = 'syncing', lease_owner = $1, lease_expires_at = $2, \
             takeovers = takeovers + $3, updated_at = $4 WHERE user_id = $5",
        )
        .bind(owner)
        .bind(expires_at)
        .bind(i64::from(taken_over))
        .bind(now)
        .bind(user.get())
        .execute(&mut *tx)
        .await?;
        leases.push(Lease {
            org: OrgId::from_raw(row.try_get("org_id")?),
            user,
            email: row.try_get("email")?,
            owner: owner.to_string(),
            expires_at,
            taken_over,
        });
    }
    tx.commit().await?;
    Ok(leases)
}

/// Checks inside a transaction that `lease` is still held at `now`, and locks its row
/// until the transaction ends (so it cannot be taken over meanwhile).
pub(crate) async fn hold(conn: &mut Conn, lease: &Lease, now: i64) -> Result<(), StoreError> {
    let held = sqlx::query(
        "UPDATE mailbox_sync SET updated_at = $1 \
         WHERE user_id = $2 AND lease_owner = $3 AND lease_expires_at > $1",
    )
    .bind(now)
    .bind(lease.user.get())
    .bind(&lease.owner)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if held == 0 {
        return Err(lost(lease));
    }
    Ok(())
}

/// [`hold`] for many leases in one statement per owner; the users whose lease is held.
pub(crate) async fn hold_many(
    conn: &mut Conn,
    leases: &[&Lease],
    now: i64,
) -> Result<HashSet<UserId>, StoreError> {
    let mut by_owner: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for lease in leases {
        by_owner
            .entry(lease.owner.as_str())
            .or_default()
            .push(lease.user.get());
    }
    let mut held = HashSet::new();
    for (owner, users) in by_owner {
        for chunk in users.chunks(IDS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE mailbox_sync SET updated_at = $1 \
                 WHERE lease_owner = $2 AND lease_expires_at > $1 AND user_id IN ({}) \
                 RETURNING user_id",
                placeholders(chunk.len(), 3)
            );
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(owner);
            for user in chunk {
                query = query.bind(*user);
            }
            for user in query.fetch_all(&mut *conn).await? {
                held.insert(UserId::from_raw(user));
            }
        }
    }
    Ok(held)
}

/// The error of a write whose lease is no longer held.
pub(crate) fn lost(lease: &Lease) -> StoreError {
    StoreError::LeaseLost {
        user: lease.user,
        owner: lease.owner.clone(),
    }
}

/// Extends a held lease to `lease_for` after `now`.
pub(crate) async fn renew(
    db: &Db,
    lease: &Lease,
    lease_for: Duration,
    now: i64,
) -> Result<Lease, StoreError> {
    let expires_at = expiry(now, lease_for);
    let renewed = sqlx::query(
        "UPDATE mailbox_sync SET lease_expires_at = $1, updated_at = $2 \
         WHERE user_id = $3 AND lease_owner = $4 AND lease_expires_at > $2",
    )
    .bind(expires_at)
    .bind(now)
    .bind(lease.user.get())
    .bind(&lease.owner)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if renewed == 0 {
        return Err(lost(lease));
    }
    Ok(Lease {
        expires_at,
        ..lease.clone()
    })
}

/// An `UPDATE mailbox_sync` of a held lease: `$1` user, `$2` owner, `$3` now; the
/// caller's own values from `$4`.
macro_rules! update_held {
    ($set:literal) => {
        concat!(
            "UPDATE mailbox_sync SET lease_owner = NULL, lease_expires_at = NULL, updated_at = $3, ",
            $set,
            " WHERE user_id = $1 AND lease_owner = $2 AND lease_expires_at > $3"
        )
    };
}

/// How a lease ends.
pub(crate) enum Finish<'a> {
    /// The sync succeeded; due again at `next_due`.
    Ok {
        /// When it is due next.
        next_due: i64,
        /// What it could not do, kept as the mailbox's error; `None` clears the error.
        warning: Option<&'a SyncFailure>,
    },
    /// The sync failed.
    Failed {
        /// Why.
        failure: &'a SyncFailure,
        /// When it is due next; `None`: not until someone asks.
        next_due: Option<i64>,
        /// Whether an admin must act (else it backs off).
        needs_attention: bool,
    },
    /// The worker gives the mailbox back unfinished; it stays due.
    Release,
}

/// Ends a held lease as `finish` says.
pub(crate) async fn finish(
    conn: &mut Conn,
    lease: &Lease,
    finish: Finish<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let query = match finish {
        Finish::Ok { next_due, warning } => sqlx::query(update_held!(
            "state = 'idle', failures = 0, error_outcome = $5, error_code = $6, \
             error_message = $7, error_remedy = $8, last_success_at = $3, next_due_at = $4"
        ))
        .bind(lease.user.get())
        .bind(&lease.owner)
        .bind(now)
        .bind(next_due)
        .bind(warning.map(|w| w.outcome.clone()))
        .bind(warning.and_then(|w| w.code.clone()))
        .bind(warning.map(|w| w.message.clone()))
        .bind(warning.map(|w| w.remedy.clone())),
        Finish::Failed {
            failure,
            next_due,
            needs_attention,
        } => sqlx::query(update_held!(
            "state = $4, failures = failures + 1, error_outcome = $5, error_code = $6, \
             error_message = $7, error_remedy = $8, next_due_at = $9"
        ))
        .bind(lease.user.get())
        .bind(&lease.owner)
        .bind(now)
        .bind(if needs_attention {
            MailboxState::NeedsAttention.as_str()
        } else {
            MailboxState::Backoff.as_str()
        })
        .bind(failure.outcome.clone())
        .bind(failure.code.clone())
        .bind(failure.message.clone())
        .bind(failure.remedy.clone())
        .bind(next_due),
        Finish::Release => sqlx::query(update_held!("state = 'idle'"))
            .bind(lease.user.get())
            .bind(&lease.owner)
            .bind(now),
    };
    if query.execute(conn).await?.rows_affected() == 0 {
        return Err(lost(lease));
    }
    Ok(())
}
