//! The signed-in panel user: the session cookie of `/api/login` (the same store and
//! cookie), its admin account and its CSRF token.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use impersync_store::{AdminAccount, OrgStore, Principal, Role};

use super::error::PanelError;
use crate::auth::csrf::{CSRF_HEADER, constant_time_eq};
use crate::auth::session::{Flash, FlashLevel, SESSION_COOKIE};
use crate::extract::cookie;
use crate::state::AdminState;

/// A signed-in admin in the panel.
#[derive(Debug, Clone)]
pub struct PanelUser {
    /// Their account.
    pub account: AdminAccount,
    /// The session's id.
    pub session_id: String,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
}

impl PanelUser {
    /// Who they are and what they may see.
    pub fn principal(&self) -> Principal {
        self.account.principal()
    }

    /// Whether they are an operator.
    pub fn is_operator(&self) -> bool {
        self.account.role == Role::Operator
    }

    /// The organisation `org`, as this admin may see it (404 otherwise).
    pub async fn org<'s>(
        &self,
        state: &'s AdminState,
        org: &str,
    ) -> Result<OrgStore<'s>, PanelError> {
        let id = org
            .parse()
            .map_err(|_| PanelError::not_found("organisation"))?;
        Ok(state.store().org(&self.principal(), id).await?)
    }

    /// Refuses (403) unless `given` is this session's CSRF token.
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), PanelError> {
        match given {
            Some(token) if constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) => Ok(()),
            _ => Err(PanelError::csrf()),
        }
    }

    /// Keeps a message for the next page.
    pub fn flash(&self, state: &AdminState, level: FlashLevel, text: impl Into<String>) {
        state.inner.sessions.flash(
            &self.session_id,
            Flash {
                level,
                text: text.into(),
            },
        );
    }

    /// Takes the pending messages.
    pub fn take_flashes(&self, state: &AdminState) -> Vec<Flash> {
        state.inner.sessions.take_flashes(&self.session_id)
    }
}

/// Whether htmx sent the request (it adds `HX-Request`).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The CSRF token an htmx request sends in its header, if any.
pub fn header_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl FromRequestParts<AdminState> for PanelUser {
    type Rejection = PanelError;

    async fn from_request_parts(parts: &mut Parts, state: &AdminState) -> Result<Self, PanelError> {
        let signed_out = PanelError::SignIn {
            htmx: is_htmx(&parts.headers),
        };
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(signed_out);
        };
        let Some(session) = state.inner.sessions.get(id) else {
            return Err(signed_out);
        };
        let account = state
            .store()
            .auth()
            .admin(session.admin)
            .await?
            .ok_or(signed_out)?;
        Ok(Self {
            account,
            session_id: id.to_string(),
            csrf: session.csrf_token,
        })
    }
}

impl OptionalFromRequestParts<AdminState> for PanelUser {
    type Rejection = PanelError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Option<Self>, PanelError> {
        match <Self as FromRequestParts<AdminState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(PanelError::SignIn { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
