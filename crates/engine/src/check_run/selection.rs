//! Which users a check run checks.

use super::error::CheckRunError;
use impersync_store::{CheckTarget, OUTCOME_OK, normalize_email};
use std::collections::HashMap;

/// Which users a check run checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckSelection {
    /// Every user of the organisation.
    All,
    /// These addresses (each must be a user of the organisation).
    Emails(Vec<String>),
    /// The users whose last check did not pass.
    FailedLastTime,
}

impl CheckSelection {
    /// How the audit log names the selection: `all`, `emails` or `failed_last_time`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Emails(_) => "emails",
            Self::FailedLastTime => "failed_last_time",
        }
    }

    /// The selected users among the organisation's, by address.
    pub(crate) fn resolve(
        &self,
        users: Vec<CheckTarget>,
    ) -> Result<Vec<CheckTarget>, CheckRunError> {
        let selected: Vec<CheckTarget> = match self {
            Self::All => users,
            Self::FailedLastTime => users
                .into_iter()
                .filter(|u| u.last_outcome.as_deref().is_some_and(|o| o != OUTCOME_OK))
                .collect(),
            Self::Emails(emails) => {
                let mut by_email: HashMap<String, CheckTarget> =
                    users.into_iter().map(|u| (u.email.clone(), u)).collect();
                let mut selected = Vec::new();
                let mut unknown = Vec::new();
                for raw in emails {
                    match normalize_email(raw) {
                        Ok(email) => match by_email.remove(&email) {
                            Some(user) => selected.push(user),
                            None if selected.iter().any(|u: &CheckTarget| u.email == email) => {}
                            None => unknown.push(email),
                        },
                        Err(_) => unknown.push(raw.trim().to_string()),
                    }
                }
                if !unknown.is_empty() {
                    return Err(CheckRunError::UnknownUsers(unknown));
                }
                selected
            }
        };
        if selected.is_empty() {
            return Err(CheckRunError::NoUsers(match self {
                Self::All => "the organisation has no users; import them first",
                Self::Emails(_) => "the list of addresses is empty",
                Self::FailedLastTime => "no user failed their last check",
            }));
        }
        Ok(selected)
    }
}
