//! Errors of the authorization and token endpoints, and how each is reported.

use axum::Json;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::html;
use super::responses::{no_store, page, redirect};

/// A token endpoint error (RFC 6749 §5.2); the message is its `error_description`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// A parameter is missing, repeated or malformed.
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// Client authentication failed.
    #[error("{0}")]
    InvalidClient(&'static str),
    /// The code or refresh token is unknown, expired, used or bound elsewhere.
    #[error("{0}")]
    InvalidGrant(&'static str),
    /// The client may not use this grant.
    #[error("{0}")]
    UnauthorizedClient(&'static str),
    /// The grant type is not one this server knows.
    #[error("{0}")]
    UnsupportedGrantType(&'static str),
    /// The requested scope exceeds what was granted.
    #[error("{0}")]
    InvalidScope(&'static str),
}

impl TokenError {
    /// The `error` code of the JSON body.
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
        }
    }
}

/// The JSON body of a token endpoint error.
#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    error_description: String,
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = Json(ErrorBody {
            error: self.code(),
            error_description: self.to_string(),
        });
        if let Self::InvalidClient(_) = self {
            let challenge = [(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth2\""),
            )];
            (StatusCode::UNAUTHORIZED, no_store(), challenge, body).into_response()
        } else {
            (StatusCode::BAD_REQUEST, no_store(), body).into_response()
        }
    }
}

/// An authorization endpoint error.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthorizeError {
    /// The client or redirect URI cannot be trusted, so the user sees an
    /// error page and is never redirected (RFC 6749 §4.1.2.1).
    #[error("{0}")]
    Page(&'static str),
    /// Reported to the client by redirecting to its verified `redirect_uri`.
    #[error("{code}: {description}")]
    Redirect {
        /// The verified redirect URI.
        redirect_uri: String,
        /// The client's `state`, returned unchanged.
        state: Option<String>,
        /// The RFC 6749 error code.
        code: &'static str,
        /// Human-readable detail.
        description: &'static str,
    },
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            Self::Page(message) => page(StatusCode::BAD_REQUEST, html::error_page(message)),
            Self::Redirect {
                redirect_uri,
                state,
                code,
                description,
            } => {
                let mut params = vec![("error", code), ("error_description", description)];
                params.extend(state.as_deref().map(|state| ("state", state)));
                redirect(&redirect_uri, &params)
            }
        }
    }
}
