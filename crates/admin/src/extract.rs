//! The caller: an extractor that turns a session cookie or a bearer token into the store's
//! [`Principal`], checking the CSRF token of cookie-authenticated state-changing requests.
//! Per-organisation handlers then open an [`OrgStore`] through [`Caller::org`], which gives
//! 404 for an organisation the caller may not see.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use impersync_store::{AdminAccount, OrgId, OrgStore, Principal};

use crate::auth::csrf;
use crate::auth::session::SESSION_COOKIE;
use crate::error::ApiError;
use crate::state::AdminState;

/// How the caller signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A session cookie, with the session id.
    Session(String),
    /// An API bearer token.
    Bearer,
}

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who they are and what they may see.
    pub principal: Principal,
    /// How they signed in.
    pub credential: Credential,
}

impl Caller {
    /// The organisation, as this caller may see it (404 if they may not).
    pub async fn org<'s>(
        &self,
        state: &'s AdminState,
        org: &str,
    ) -> Result<OrgStore<'s>, ApiError> {
        let id: OrgId = org
            .parse()
            .map_err(|_| ApiError::not_found("organisation"))?;
        Ok(state.store().org(&self.principal, id).await?)
    }
}

/// The value of a cookie in the request.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "not signed in: log in with POST /api/login or send an API token as `Authorization: Bearer ...`",
    )
}

fn caller(account: AdminAccount, credential: Credential) -> Caller {
    Caller {
        principal: account.principal(),
        credential,
    }
}

impl FromRequestParts<AdminState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AdminState) -> Result<Self, ApiError> {
        let auth = state.store().auth();
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(unauthorized)?;
            let (_, account) = auth.token(token).await?.ok_or_else(unauthorized)?;
            return Ok(caller(account, Credential::Bearer));
        }
        let id = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(unauthorized)?;
        let session = state.inner.sessions.get(id).ok_or_else(unauthorized)?;
        if csrf::changes_state(&parts.method) {
            csrf::check(&parts.headers, &session.csrf_token)?;
        }
        let account = auth.admin(session.admin).await?.ok_or_else(unauthorized)?;
        Ok(caller(account, Credential::Session(id.to_string())))
    }
}
