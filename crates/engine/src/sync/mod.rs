//! Mailbox sync: the scheduler's loop ([`Engine::run_worker`](crate::Engine::run_worker)), one
//! round of it ([`Engine::sync_due`](crate::Engine::sync_due))
//! and one mailbox's folders synced into the store ([`MailboxSync`]).

mod commits;
mod folders;
mod item_data;
mod mailbox;
mod metrics;
mod run;
mod slots;
mod worker;

pub use commits::{CommitQueue, MAX_GROUP};
pub use folders::FolderError;
pub use item_data::item_data;
pub use mailbox::{DEFAULT_FOLDERS, GET_ITEM_BATCH, MailboxReport, MailboxSync, SyncError};
pub use metrics::{METRICS_CONTENT_TYPE, SyncMetrics};
pub use run::{
    FIRST_BACKOFF, LEASE_FOR, MAX_BACKOFF, MailboxOutcome, POLL_JITTER, SyncRunError, backoff,
    is_permanent, poll_delay,
};
pub use worker::{WorkerOptions, WorkerReport, default_owner};
