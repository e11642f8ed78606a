//! Why a Microsoft 365 token or sign-in is not available.

use impersync_exchange::oauth::OAuthError;
use impersync_exchange::{Outcome, OutcomeClass, UrlRefused};
use impersync_store::StoreError;

/// Why no access token (or no sign-in) could be had.
#[derive(Debug, thiserror::Error)]
pub enum M365Error {
    /// The organisation has no `M365OAuthImpersonation` email configuration.
    #[error("the organisation's email configuration is not Microsoft 365 OAuth; save one first")]
    NotM365,
    /// No service account has signed in yet.
    #[error("no Microsoft 365 account has signed in yet; sign in from the email configuration")]
    NotSignedIn,
    /// The refresh token was refused (`invalid_grant`): the service account must sign in again.
    #[error("the Microsoft 365 sign-in has expired or was revoked ({0}); sign in again")]
    SignInAgain(String),
    /// The authority's URL was refused by the URL guard.
    #[error("the authority is refused: {0}")]
    Authority(#[from] UrlRefused),
    /// The token endpoint refused the request or could not be reached.
    #[error(transparent)]
    OAuth(OAuthError),
    /// The sign-in's `state` is unknown, already used or expired.
    #[error("this sign-in link is unknown, already used or expired; start the sign-in again")]
    UnknownState,
    /// The authority refused the sign-in (e.g. `access_denied`).
    #[error("Microsoft 365 refused the sign-in: {error}{}", description_suffix(.description))]
    Denied {
        /// The OAuth `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
    /// The email configuration changed while the sign-in was in progress.
    #[error("the email configuration changed during the sign-in; start the sign-in again")]
    ConfigChanged,
    /// The token response named no account.
    #[error("the sign-in answer named no account; the app must grant the `openid profile` scope")]
    NoAccount,
    /// The token response carried no refresh token.
    #[error("the sign-in answer had no refresh token; the app must grant `offline_access`")]
    NoRefreshToken,
    /// Too many sign-ins are in progress.
    #[error("too many sign-ins are in progress; try again in a few minutes")]
    TooManySignIns,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn description_suffix(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

impl From<OAuthError> for M365Error {
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::InvalidGrant { description } => Self::SignInAgain(description),
            other => Self::OAuth(other),
        }
    }
}

impl M365Error {
    /// The outcome class: everything that needs a (new) sign-in or a fixed app is `AuthFailed`.
    pub fn class(&self) -> OutcomeClass {
        match self {
            Self::NotM365
            | Self::NotSignedIn
            | Self::SignInAgain(_)
            | Self::UnknownState
            | Self::Denied { .. }
            | Self::ConfigChanged
            | Self::NoAccount
            | Self::NoRefreshToken => OutcomeClass::AuthFailed,
            Self::Authority(_) => OutcomeClass::Unreachable,
            Self::OAuth(e) => e.class(),
            Self::TooManySignIns => OutcomeClass::Throttled,
            Self::Store(_) => OutcomeClass::ServerError,
        }
    }

    /// Whether the service account must sign in (again).
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Self::NotSignedIn | Self::SignInAgain(_))
    }

    /// The classified outcome, for an access check that could not get a token.
    pub fn outcome(&self) -> Outcome {
        let code = match self {
            Self::SignInAgain(_) => Some("invalid_grant".to_string()),
            Self::OAuth(OAuthError::Refused { error, .. }) => Some(error.clone()),
            _ => None,
        };
        Outcome::failed(self.class(), code, self.to_string())
    }
}
