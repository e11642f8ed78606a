//! Mailbox sync: one round of the scheduler ([`Engine::sync_due`](crate::Engine::sync_due))
//! and one mailbox's folders synced into the store ([`MailboxSync`]).

mod folders;
mod item_data;
mod mailbox;
mod metrics;
mod run;

pub use folders::FolderError;
pub use item_data::item_data;
pub use mailbox::{DEFAULT_FOLDERS, GET_ITEM_BATCH, MailboxReport, MailboxSync, SyncError};
pub use metrics::{METRICS_CONTENT_TYPE, SyncMetrics};
pub use run::{
    FIRST_BACKOFF, LEASE_FOR, MAX_BACKOFF, MailboxOutcome, SyncRunError, backoff, is_permanent,
};
