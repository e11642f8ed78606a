//! The store's error type: what happened, and what to do about it.

use crate::ids::{CheckRunId, OrgId, UserId, WebhookId};
use std::path::PathBuf;

/// Everything a store call can fail with. Every message says what happened and,
/// where a person can act, what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing does not exist, or the caller may not see it (a caller never learns which).
    #[error("{0} not found")]
    NotFound(&'static str),

    /// The caller's role does not allow this action.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),

    /// A unique value is taken (a name, an email address, a username).
    #[error("{0}")]
    Conflict(String),

    /// The input is not valid; the text says which field and why.
    #[error("invalid input: {0}")]
    Invalid(String),

    /// An organisation already has a check run in progress.
    #[error(
        "organisation {org} already has a check run in progress (run {running}); \
         wait for it to finish or cancel it before starting another"
    )]
    CheckRunAlreadyRunning {
        /// The organisation.
        org: OrgId,
        /// The run that is still running.
        running: CheckRunId,
    },

    /// The check run is finished and cannot take more results.
    #[error("check run {0} is not running any more; start a new run")]
    CheckRunNotRunning(CheckRunId),

    /// Some addresses of a request are not users of the organisation.
    #[error(
        "not users of this organisation: {}; import them first or correct the addresses",
        .0.join(", ")
    )]
    UnknownUsers(Vec<String>),

    /// Activation was refused: these users did not pass their last access check.
    #[error(
        "not activated: these users did not pass their last access check (or were never checked): {}; \
         fix their access and check them again, or activate them anyway with force",
        .0.join(", ")
    )]
    NotPassedLastCheck(Vec<String>),

    /// A sync worker's lease on a mailbox expired or was taken over; nothing was written.
    #[error(
        "the sync lease of `{owner}` on user {user} is lost (expired or taken over); \
         nothing was written: stop syncing this mailbox, another worker resumes it"
    )]
    LeaseLost {
        /// The mailbox's user.
        user: UserId,
        /// The worker that held the lease.
        owner: String,
    },

    /// A worker's lease on a webhook expired or was taken over; nothing was written.
    #[error(
        "the delivery lease of `{owner}` on webhook {webhook} is lost (expired or taken over); \
         nothing was written: another worker delivers it"
    )]
    WebhookLeaseLost {
        /// The webhook.
        webhook: WebhookId,
        /// The worker that held the lease.
        owner: String,
    },

    /// The database URL is not one Impersync can use.
    #[error(
        "the database URL `{url}` is not supported: {reason}; \
         use postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite://PATH"
    )]
    DatabaseUrl {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// Why it was refused.
        reason: String,
    },

    /// The database could not be reached or opened.
    #[error("cannot open the database at `{url}`: {source}")]
    Connect {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// A migration failed; the database is left at the previous version.
    #[error(
        "migration {version} ({name}) failed: {source}; the database is left at the version before it"
    )]
    Migration {
        /// The migration's version number.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// The database was written by a newer Impersync.
    #[error(
        "the database has migration {found}, but this Impersync knows only up to {known}; \
         run a newer Impersync, or restore a backup made before the upgrade"
    )]
    DatabaseTooNew {
        /// The highest migration found in the database.
        found: i64,
        /// The highest migration this build knows.
        known: i64,
    },

    /// The data directory could not be created or read.
    #[error("cannot use the data directory `{path}`: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The master key given is not base64 of 32 bytes.
    #[error(
        "the master key in {origin} is malformed: {reason}; it must be the base64 of 32 random bytes \
         (for example the output of `openssl rand -base64 32`)"
    )]
    MasterKeyMalformed {
        /// Where the key came from: `IMPERSYNC_MASTER_KEY` or the key file's path.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The master key does not decrypt this database's secrets.
    #[error(
        "the master key does not match this database: the database's secrets were encrypted with key {expected}, \
         but the key from {origin} is key {actual}; set IMPERSYNC_MASTER_KEY to the key used before, \
         or restore the key file"
    )]
    MasterKeyMismatch {
        /// Where the key came from.
        origin: String,
        /// The id of the key the database was encrypted with.
        expected: String,
        /// The id of the key given.
        actual: String,
    },

    /// The database holds secrets, but no key was given and there is no key file.
    #[error(
        "this database holds encrypted secrets, but no master key was given: IMPERSYNC_MASTER_KEY is not set \
         and the key file `{key_file}` does not exist; set IMPERSYNC_MASTER_KEY to the key used before, \
         or restore the key file"
    )]
    MasterKeyMissing {
        /// Where the key file was looked for.
        key_file: PathBuf,
    },

    /// The key file may be read by other users.
    #[error(
        "the key file `{path}` can be read by other users (mode {mode:o}); \
         run `chmod 600 {path}` and start again"
    )]
    KeyFileInsecure {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The key file could not be read or written.
    #[error("cannot use the key file `{path}`: {source}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A stored secret could not be decrypted.
    #[error("the stored {what} cannot be decrypted: {reason}")]
    Secret {
        /// Which secret.
        what: String,
        /// Why.
        reason: String,
    },

    /// A row holds a value this build does not understand.
    #[error("the database holds an unexpected value in {what}: `{value}`")]
    Corrupt {
        /// The table and column.
        what: &'static str,
        /// The value found.
        value: String,
    },

    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Whether this error means "not found (or not visible to the caller)".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound(_))
    }
}

/// Whether a driver error is a unique-constraint violation (on either backend).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// Turns a unique violation into [`StoreError::Conflict`] with `message`; passes others through.
pub(crate) fn conflict_on_unique(
    message: impl FnOnce() -> String,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(message())
        } else {
            StoreError::Database(e)
        }
    }
}

/// `NotFound(what)` when a statement that must touch one row touched none.
pub(crate) fn require_row(affected: u64, what: &'static str) -> Result<(), StoreError> {
    if affected == 0 {
        return Err(StoreError::NotFound(what));
    }
    Ok(())
}
