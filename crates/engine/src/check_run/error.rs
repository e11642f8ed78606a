//! Why a check run could not be started.

use crate::org_client::OrgClientError;
use impersync_store::{CheckRunId, StoreError};

/// Why a check run could not be started. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum CheckRunError {
    /// The email configuration is missing or unusable.
    #[error(transparent)]
    Configuration(#[from] OrgClientError),
    /// A stored secret cannot be decrypted.
    #[error("{0}; save the email configuration's secrets again")]
    Secret(String),
    /// The selection holds nobody.
    #[error("no users to check: {0}")]
    NoUsers(&'static str),
    /// Some addresses are not users of the organisation.
    #[error(
        "not users of this organisation: {}; import them first or correct the addresses",
        .0.join(", ")
    )]
    UnknownUsers(Vec<String>),
    /// Another run of the organisation is running.
    #[error(
        "a check run is already running for this organisation (run {0}); wait for it to finish before starting another"
    )]
    AlreadyRunning(CheckRunId),
    /// The store failed (or the organisation is not visible to the caller).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CheckRunError {
    /// A store error, with undecryptable secrets told apart.
    pub(crate) fn from_store(e: StoreError) -> Self {
        match e {
            StoreError::Secret { .. } => Self::Secret(e.to_string()),
            other => Self::Store(other),
        }
    }
}
