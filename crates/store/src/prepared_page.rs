//! [`PreparedPage`]: a sync page checked and with its items' JSON serialised, ready to
//! commit. The sync engine prepares pages in its mailbox tasks, so that the transaction
//! that commits them ([`SyncWorker::commit`](crate::SyncWorker::commit)) spends its time
//! on the statements only.

use crate::error::StoreError;
use crate::page_writes::PreparedItem;
use crate::sync_pages::{ItemChange, SyncPage};

/// A page of SyncFolderItems changes, checked and serialised.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedPage {
    pub(crate) folder: String,
    pub(crate) folder_id: String,
    pub(crate) sync_state: String,
    pub(crate) includes_last_item: bool,
    pub(crate) changes: Vec<Prepared>,
    /// The ids of the items the page is about, sorted, each once.
    pub(crate) item_ids: Vec<String>,
}

/// A change ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Prepared {
    /// Create or update this item.
    Write(Box<PreparedItem>),
    /// Delete the item of this id.
    Delete(String),
    /// Set the read flag (and the new change key) of the item of this id.
    ReadFlag {
        item_id: String,
        change_key: String,
        is_read: bool,
    },
}

impl PreparedPage {
    /// Checks `page` (a folder name, an item id on every change, a change key on every
    /// read-flag change) and serialises its items.
    pub fn new(page: SyncPage) -> Result<Self, StoreError> {
        validate(&page)?;
        let changes: Vec<Prepared> = page
            .changes
            .into_iter()
            .map(|change| match change {
                ItemChange::Create(data) | ItemChange::Update(data) => {
                    Prepared::Write(Box::new(PreparedItem::new(data)))
                }
                ItemChange::Delete { item_id } => Prepared::Delete(item_id),
                ItemChange::ReadFlag {
                    item_id,
                    change_key,
                    is_read,
                } => Prepared::ReadFlag {
                    item_id,
                    change_key,
                    is_read,
                },
            })
            .collect();
        let mut item_ids: Vec<String> = changes.iter().map(|c| c.item_id().to_string()).collect();
        item_ids.sort_unstable();
        item_ids.dedup();
        Ok(Self {
            folder: page.folder,
            folder_id: page.folder_id,
            sync_state: page.sync_state,
            includes_last_item: page.includes_last_item,
            changes,
            item_ids,
        })
    }
}

impl Prepared {
    fn item_id(&self) -> &str {
        match self {
            Self::Write(item) => item.item_id(),
            Self::Delete(item_id) | Self::ReadFlag { item_id, .. } => item_id,
        }
    }
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
