//! [`SyncWorker`]: the sync engine's handle on the store.
//!
//! The worker is Impersync itself, not an admin: it works across organisations (it claims
//! whichever mailboxes are due), so it is not an [`OrgStore`](crate::OrgStore). It is
//! handed out only for a system principal, and every write it makes is tied to a
//! [`Lease`], whose organisation and user come from the claim, never from the caller.
//! Admins and consumers read what it wrote through `OrgStore` (mailbox status, items,
//! change feed), which keeps tenants apart.

use std::time::Duration;

use crate::error::StoreError;
use crate::ids::{OrgId, UserId};
use crate::leases::{self, Finish};
use crate::mailboxes::{Lease, SyncFailure};
use crate::prepared_page::PreparedPage;
use crate::schedule;
use crate::store::Store;
use crate::sync_commit::{self, SyncWrite, SyncWritten};
use crate::sync_pages::{self, FolderSyncState, PageReport, SyncPage};
use crate::tenant::{Actor, Principal};

/// The sync engine's access to mailbox leases, sync states, items and the change feed.
/// Times are Unix milliseconds given by the caller, so the engine (and its tests) own the clock.
#[derive(Debug, Clone, Copy)]
pub struct SyncWorker<'s> {
    store: &'s Store,
}

impl<'s> SyncWorker<'s> {
    /// The worker handle, for a system principal only ([`Principal::system`]).
    pub(crate) fn new(store: &'s Store, principal: &Principal) -> Result<Self, StoreError> {
        match principal.actor {
            Actor::System(_) => Ok(Self { store }),
            Actor::Admin(_) => Err(StoreError::Forbidden(
                "only Impersync's own sync worker may claim mailboxes",
            )),
        }
    }

    /// Claims up to `limit` mailboxes that are due at `now` (organisation's email
    /// configuration saved, user's sync enabled, no live lease) for `lease_for`. An
    /// expired lease is taken over and counted ([`Lease::taken_over`]). Concurrent callers
    /// get disjoint mailboxes.
    pub async fn claim_due(
        &self,
        owner: &str,
        limit: u32,
        lease_for: Duration,
        now: i64,
    ) -> Result<Vec<Lease>, StoreError> {
        leases::claim_due(self.store.db(), owner, limit, lease_for, now).await
    }

    /// Extends a lease still held at `now`; [`StoreError::LeaseLost`] otherwise.
    pub async fn renew_lease(
        &self,
        lease: &Lease,
        lease_for: Duration,
        now: i64,
    ) -> Result<Lease, StoreError> {
        leases::renew(self.store.db(), lease, lease_for, now).await
    }

    /// Ends the lease after a successful sync: clears the failure, due again at `next_due`.
    pub async fn finish_ok(
        &self,
        lease: &Lease,
        next_due: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let write = SyncWrite::Finished {
            lease: lease.clone(),
            next_due,
            warning: None,
        };
        self.commit_one(write, now).await.map(|_| ())
    }

    /// Ends the lease after a failed sync: records `failure`, counts it, and schedules the
    /// mailbox at `next_due` (`None`: not until "sync now"), in `needs_attention` or `backoff`.
    pub async fn finish_failed(
        &self,
        lease: &Lease,
        failure: &SyncFailure,
        next_due: Option<i64>,
        needs_attention: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let finish = Finish::Failed {
            failure,
            next_due,
            needs_attention,
        };
        let mut conn = self.store.db().pool.acquire().await?;
        leases::finish(&mut conn, lease, finish, now).await
    }

    /// Gives the mailbox back unfinished (e.g. at shutdown); it stays due.
    pub async fn release(&self, lease: &Lease, now: i64) -> Result<(), StoreError> {
        let mut conn = self.store.db().pool.acquire().await?;
        leases::finish(&mut conn, lease, Finish::Release, now).await
    }

    /// Commits one page of changes, the feed rows and the folder's new SyncState in one
    /// transaction, if `lease` is still held at `now` ([`StoreError::LeaseLost`] and
    /// nothing written otherwise). Applying the same page again changes nothing.
    pub async fn apply_page(
        &self,
        lease: &Lease,
        page: &SyncPage,
        now: i64,
    ) -> Result<PageReport, StoreError> {
        let write = SyncWrite::Page {
            lease: lease.clone(),
            page: PreparedPage::new(page.clone())?,
        };
        match self.commit_one(write, now).await? {
            SyncWritten::Page(report) => Ok(report),
            SyncWritten::Finished => Ok(PageReport::default()),
        }
    }

    /// Commits pages and finished leases of many mailboxes together, each only if its
    /// lease is held at `now` (see [`SyncWrite`]); one result for each write, in order.
    /// A write that fails (e.g. [`StoreError::LeaseLost`]) leaves nothing behind and does
    /// not stop the others.
    pub async fn commit(
        &self,
        writes: &[SyncWrite],
        now: i64,
    ) -> Vec<Result<SyncWritten, StoreError>> {
        sync_commit::commit(self.store.db(), writes, now).await
    }

    async fn commit_one(&self, write: SyncWrite, now: i64) -> Result<SyncWritten, StoreError> {
        let results = self.commit(std::slice::from_ref(&write), now).await;
        results
            .into_iter()
            .next()
            .unwrap_or(Ok(SyncWritten::Finished))
    }

    /// After a full resync of `folder` that saw exactly the items `seen`, deletes the
    /// folder's other items with a `deleted` feed row each, in one transaction, under the
    /// lease. Returns how many were deleted.
    pub async fn reconcile(
        &self,
        lease: &Lease,
        folder: &str,
        seen: &[String],
        now: i64,
    ) -> Result<u64, StoreError> {
        sync_pages::reconcile(self.store.db(), lease, folder, seen, now).await
    }

    /// The stored SyncState of each folder of a mailbox, by folder name.
    pub async fn folder_states(&self, user: UserId) -> Result<Vec<FolderSyncState>, StoreError> {
        sync_pages::folder_states(self.store.db(), user).await
    }

    /// When the next mailbox is due (Unix ms), a held lease counting from its expiry;
    /// `None` when none is scheduled. A worker sleeps until then.
    pub async fn next_due_at(&self) -> Result<Option<i64>, StoreError> {
        leases::next_due_at(self.store.db()).await
    }

    /// Puts every mailbox of `org` into needs attention with `failure` (e.g. the service
    /// account's sign-in failed, which no mailbox can get past), ending their leases so
    /// their workers stop without writing. Returns how many mailboxes.
    pub async fn org_needs_attention(
        &self,
        org: OrgId,
        failure: &SyncFailure,
        now: i64,
    ) -> Result<u64, StoreError> {
        schedule::org_needs_attention(self.store.db(), org, failure, now).await
    }
}
