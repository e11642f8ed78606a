//! Why a token request failed.

use crate::error::ExchangeError;
use crate::outcome::OutcomeClass;

/// A refused or failed token request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OAuthError {
    /// `invalid_grant`: the code or refresh token is expired, revoked or already used.
    /// The service account must sign in again.
    #[error("the Microsoft 365 sign-in is no longer valid ({description}); sign in again")]
    InvalidGrant {
        /// The server's `error_description`.
        description: String,
    },
    /// Another OAuth error answer (RFC 6749 §5.2), e.g. `invalid_client`.
    #[error("the token endpoint refused the request (HTTP {status}): {error}: {description}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` code.
        error: String,
        /// The server's `error_description`.
        description: String,
    },
    /// The token endpoint could not be reached or did not answer with OAuth JSON.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
}

impl OAuthError {
    /// The outcome class: a refused grant or client is `AuthFailed`.
    pub fn class(&self) -> OutcomeClass {
        match self {
            Self::InvalidGrant { .. } => OutcomeClass::AuthFailed,
            Self::Refused { error, .. } => match error.as_str() {
                "invalid_client"
                | "unauthorized_client"
                | "invalid_scope"
                | "consent_required"
                | "interaction_required" => OutcomeClass::AuthFailed,
                _ => OutcomeClass::ServerError,
            },
            Self::Exchange(e) => e.class(),
        }
    }

    /// Whether the service account must sign in again.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Self::InvalidGrant { .. })
    }
}
