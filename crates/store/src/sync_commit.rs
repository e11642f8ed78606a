//! Group commit of the sync engine's writes: the pages and finished leases of many
//! mailboxes in one transaction, so that a round of syncs pays for one commit (one fsync,
//! one turn of the organisation's feed counter) per group instead of one per page.
//!
//! The leases of a group's pages are checked in one statement before anything is
//! written, so a write whose lease was lost is refused alone, having written nothing, and
//! the others commit. The writes take their rows' locks in (organisation, user) order, so
//! two workers' groups cannot deadlock each other. When the group fails otherwise (a
//! refused row, the database went away, or PostgreSQL chose it as a deadlock's victim
//! against another kind of write), each write is tried again in a transaction of its own,
//! so no write fails because of another.

use crate::db::Db;
use crate::error::StoreError;
use crate::leases::{self, Finish};
use crate::mailboxes::{Lease, SyncFailure};
use crate::prepared_page::PreparedPage;
use crate::store::Conn;
use crate::sync_pages::{self, PageReport};

/// One write of the sync engine, committed with others by
/// [`SyncWorker::commit`](crate::SyncWorker::commit).
#[derive(Debug, Clone, PartialEq)]
pub enum SyncWrite {
    /// A page of one folder's changes with its new SyncState.
    Page {
        /// The mailbox's lease.
        lease: Lease,
        /// The page.
        page: PreparedPage,
    },
    /// A successful sync's end: the failure count cleared, due again at `next_due`.
    Finished {
        /// The mailbox's lease, ended by this write.
        lease: Lease,
        /// When the mailbox is due next (Unix ms).
        next_due: i64,
        /// What the sync could not do although it succeeded (a configured folder the
        /// mailbox lacks), shown as the mailbox's error until a sync without one.
        warning: Option<SyncFailure>,
    },
}

/// What a [`SyncWrite`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncWritten {
    /// The page's changes.
    Page(PageReport),
    /// The lease ended.
    Finished,
}

impl SyncWrite {
    /// The lease the write is made under.
    pub fn lease(&self) -> &Lease {
        match self {
            Self::Page { lease, .. } | Self::Finished { lease, .. } => lease,
        }
    }
}

/// Commits `writes` at `now`; one result for each, in order.
pub(crate) async fn commit(
    db: &Db,
    writes: &[SyncWrite],
    now: i64,
) -> Vec<Result<SyncWritten, StoreError>> {
    if writes.len() > 1 {
        match group(db, writes, now).await {
            Ok(results) => return results,
            Err(e) => {
                tracing::warn!(error = %e, writes = writes.len(), "sync: a group commit failed; committing its writes one by one");
            }
        }
    }
    let mut results = Vec::with_capacity(writes.len());
    for write in writes {
        results.push(alone(db, write, now).await);
    }
    results
}

/// All of `writes` in one transaction. The pages' leases are checked in one statement
/// first, and a page whose lease is lost is refused before anything of it is written; a
/// finished lease that was lost writes nothing either. Any other failure fails the group.
async fn group(
    db: &Db,
    writes: &[SyncWrite],
    now: i64,
) -> Result<Vec<Result<SyncWritten, StoreError>>, StoreError> {
    let mut order: Vec<usize> = (0..writes.len()).collect();
    order.sort_by_key(|&n| {
        let lease = writes[n].lease();
        (lease.org, lease.user)
    });
    let mut tx = db.begin_write().await?;
    let pages: Vec<&Lease> = writes
        .iter()
        .filter(|w| matches!(w, SyncWrite::Page { .. }))
        .map(SyncWrite::lease)
        .collect();
    let held = leases::hold_many(&mut tx, &pages, now).await?;
    let mut results: Vec<Option<Result<SyncWritten, StoreError>>> =
        writes.iter().map(|_| None).collect();
    for n in order {
        let written = match &writes[n] {
            SyncWrite::Page { lease, .. } if !held.contains(&lease.user) => {
                Err(leases::lost(lease))
            }
            SyncWrite::Page { lease, page } => {
                sync_pages::write_held_page(&mut tx, lease, page, now)
                    .await
                    .map(SyncWritten::Page)
            }
            SyncWrite::Finished { .. } => apply(&mut tx, &writes[n], now).await,
        };
        match written {
            Err(e) if !matches!(e, StoreError::LeaseLost { .. }) => return Err(e),
            written => results[n] = Some(written),
        }
    }
    tx.commit().await?;
    Ok(results.into_iter().flatten().collect())
}

/// One write in a transaction of its own.
async fn alone(db: &Db, write: &SyncWrite, now: i64) -> Result<SyncWritten, StoreError> {
    let mut tx = db.begin_write().await?;
    let written = apply(&mut tx, write, now).await?;
    tx.commit().await?;
    Ok(written)
}

async fn apply(conn: &mut Conn, write: &SyncWrite, now: i64) -> Result<SyncWritten, StoreError> {
    match write {
        SyncWrite::Page { lease, page } => sync_pages::write_page(conn, lease, page, now)
            .await
            .map(SyncWritten::Page),
        SyncWrite::Finished {
            lease,
            next_due,
            warning,
        } => {
            let finish = Finish::Ok {
                next_due: *next_due,
                warning: warning.as_ref(),
            };
            leases::finish(conn, lease, finish, now).await?;
            Ok(SyncWritten::Finished)
        }
    }
}
