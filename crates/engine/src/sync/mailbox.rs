//! One mailbox's sync: each configured folder from its stored SyncState to the last item.
//!
//! The folders' ids come from the stored sync states, or from one GetFolder call for all
//! folders not stored yet ([`folders::resolve`]); a configured folder the mailbox does not
//! have is reported in [`MailboxReport::folder_errors`] and the others are synced. Every
//! request is a read, sent again after a dropped connection or a cut-off answer
//! ([`ExchangeClient::call_read`]); each committed page keeps its progress, so a failure
//! that outlasts those retries resumes at the last committed page. SyncFolderItems then reports
//! up to [`MAX_CHANGES_PER_CALL`] changes per call with ids only; the created and updated
//! items are read with GetItem in batches, and each page (items, feed rows and the new
//! SyncState) is committed atomically through the round's [`CommitQueue`] (group commit with
//! other mailboxes' pages) before the next call, only while the lease is held (the caller
//! renews it on a timer); a page without changes is not written. When Exchange refuses the stored SyncState (`ErrorInvalidSyncStateData`) the
//! folder is synced again from the start and the stored items it no longer holds are
//! deleted ([`SyncWorker::reconcile`]).

use super::commits::CommitQueue;
use super::folders::{self, FolderError};
use super::item_data::item_data;
use impersync_ews::ResponseCode;
use impersync_ews::ops::{self, GetItem, MAX_CHANGES_PER_CALL, SyncFolderItems};
use impersync_ews::types::{BaseShape, EntityId, FolderRef, Shape};
use impersync_exchange::{ExchangeClient, ExchangeError, Impersonate, first_payload};
use impersync_store::{
    ItemChange, Lease, PageReport, PreparedPage, StoreError, SyncPage, SyncWorker,
};
use std::collections::HashMap;

/// The folders synced when the configuration names none.
pub const DEFAULT_FOLDERS: [&str; 4] = ["inbox", "sentitems", "calendar", "contacts"];

/// How many items one GetItem call reads.
pub const GET_ITEM_BATCH: usize = 100;

/// Why a mailbox's sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Exchange refused or failed a request.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The store refused a write (including [`StoreError::LeaseLost`]).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The round stopped before the write was committed; the mailbox resumes from its
    /// last committed page.
    #[error("the sync round stopped before the write was committed")]
    Stopped,
}

/// What one mailbox's sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxReport {
    /// The changes applied, summed over every page.
    pub applied: PageReport,
    /// Pages committed.
    pub pages: u32,
    /// Folders synced again from the start because Exchange refused their SyncState.
    pub resynced: Vec<String>,
    /// Items deleted by reconciliation after those resyncs.
    pub reconciled: u64,
    /// Configured folders the mailbox does not have (not synced; the others were).
    pub folder_errors: Vec<FolderError>,
}

/// How to reach and hold one mailbox while it syncs.
#[derive(Debug, Clone, Copy)]
pub struct MailboxSync<'a> {
    /// The organisation's client.
    pub client: &'a ExchangeClient,
    /// The store's sync worker.
    pub worker: &'a SyncWorker<'a>,
    /// Where pages are committed.
    pub commits: &'a CommitQueue,
    /// Who to impersonate.
    pub acting: &'a Impersonate,
    /// The clock (Unix ms).
    pub now: fn() -> i64,
}

impl MailboxSync<'_> {
    /// Syncs `folders` (distinguished names) of the leased mailbox; returns what changed.
    pub async fn run(&self, lease: &Lease, folders: &[String]) -> Result<MailboxReport, SyncError> {
        let stored = self.worker.folder_states(lease.user).await?;
        let ids: HashMap<String, String> = stored
            .iter()
            .map(|s| (s.folder.clone(), s.folder_id.clone()))
            .collect();
        let states: HashMap<String, String> = stored
            .into_iter()
            .map(|s| (s.folder, s.sync_state))
            .collect();
        let resolved = folders::resolve(self.client, self.acting, folders, &ids).await?;
        for missing in &resolved.missing {
            tracing::warn!(email = %lease.email, folder = %missing.folder, code = %missing.code, "configured folder not found; skipped");
        }
        let mut report = MailboxReport {
            folder_errors: resolved.missing,
            ..MailboxReport::default()
        };
        for (folder, folder_id) in &resolved.found {
            let stored = states.get(folder).cloned().unwrap_or_default();
            let from_start = stored.is_empty();
            let synced = self
                .folder(lease, folder, folder_id, stored, &mut report)
                .await;
            match synced {
                Err(SyncError::Exchange(ExchangeError::Response {
                    code: ResponseCode::ErrorInvalidSyncStateData,
                    ..
                })) if !from_start => {
                    tracing::info!(email = %lease.email, folder, "sync state refused; syncing the folder again");
                    report.resynced.push(folder.clone());
                    let seen = self
                        .folder(lease, folder, folder_id, String::new(), &mut report)
                        .await?;
                    report.reconciled += self
                        .worker
                        .reconcile(lease, folder, &seen, (self.now)())
                        .await?;
                }
                other => {
                    other?;
                }
            }
        }
        Ok(report)
    }

    /// Syncs one folder from `state` until the last item; returns the ids of the items
    /// it created or updated.
    async fn folder(
        &self,
        lease: &Lease,
        folder: &str,
        folder_id: &str,
        mut state: String,
        report: &mut MailboxReport,
    ) -> Result<Vec<String>, SyncError> {
        let mut seen = Vec::new();
        loop {
            let request = SyncFolderItems {
                shape: Shape::base(BaseShape::IdOnly),
                folder: FolderRef::Id(EntityId {
                    id: folder_id.to_string(),
                    change_key: None,
                }),
                sync_state: Some(state.clone()).filter(|s| !s.is_empty()),
                ignore: Vec::new(),
                max_changes_returned: MAX_CHANGES_PER_CALL,
                sync_scope: Some("NormalItems".into()),
            };
            let called = self.client.call_read(Some(self.acting), &request).await?;
            let page = first_payload(called.response.messages)?;
            let changes = self.read_changes(page.changes).await?;
            seen.extend(changes.iter().filter_map(|c| match c {
                ItemChange::Create(d) | ItemChange::Update(d) => Some(d.item_id.clone()),
                _ => None,
            }));
            let idle = changes.is_empty() && !state.is_empty();
            let (sync_state, last) = (page.sync_state, page.includes_last_item_in_range);
            // A page without changes leaves the stored SyncState valid (it marks the same
            // point in the folder's history), so an idle poll writes nothing.
            if !idle {
                let page = PreparedPage::new(SyncPage {
                    folder: folder.to_string(),
                    folder_id: folder_id.to_string(),
                    sync_state: sync_state.clone(),
                    includes_last_item: last,
                    changes,
                })?;
                report.applied += self.commits.page(lease, page).await?;
                report.pages += 1;
            }
            if last {
                return Ok(seen);
            }
            state = sync_state;
        }
    }

    /// The store's changes for one SyncFolderItems page: created and updated items read
    /// in full with GetItem (an item gone meanwhile is skipped; its deletion comes next).
    async fn read_changes(
        &self,
        changes: Vec<ops::ItemChange>,
    ) -> Result<Vec<ItemChange>, SyncError> {
        let wanted: Vec<EntityId> = changes
            .iter()
            .filter_map(|c| match c {
                ops::ItemChange::Create(i) | ops::ItemChange::Update(i) => i.id().cloned(),
                _ => None,
            })
            .collect();
        let mut items = HashMap::new();
        for batch in wanted.chunks(GET_ITEM_BATCH) {
            let request = GetItem {
                shape: Shape::base(BaseShape::AllProperties),
                item_ids: batch.to_vec(),
            };
            let called = self.client.call_read(Some(self.acting), &request).await?;
            for message in called.response.messages {
                if message.status.code == ResponseCode::ErrorItemNotFound {
                    continue;
                }
                for item in first_payload(vec![message])? {
                    if let Some(data) = item_data(&item) {
                        items.insert(data.item_id.clone(), data);
                    }
                }
            }
        }
        Ok(changes
            .into_iter()
            .filter_map(|c| match c {
                ops::ItemChange::Create(i) => {
                    items.get(&i.id()?.id).cloned().map(ItemChange::Create)
                }
                ops::ItemChange::Update(i) => {
                    items.get(&i.id()?.id).cloned().map(ItemChange::Update)
                }
                ops::ItemChange::Delete(id) => Some(ItemChange::Delete { item_id: id.id }),
                ops::ItemChange::ReadFlagChange { item_id, is_read } => {
                    Some(ItemChange::ReadFlag {
                        change_key: item_id.change_key.unwrap_or_default(),
                        item_id: item_id.id,
                        is_read,
                    })
                }
            })
            .collect())
    }
}
