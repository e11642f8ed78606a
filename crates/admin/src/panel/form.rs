//! A form post with the session's CSRF token: the hidden field `_csrf` (plain forms) or
//! the `x-csrf-token` header (htmx sets it from `hx-headers` on `<body>`). A post without
//! the right token is refused with 403 before the handler runs, so it changes nothing.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::PanelError;
use super::session::{PanelUser, header_token};
use crate::error::ApiError;
use crate::state::AdminState;

/// The name of the hidden CSRF field.
pub const CSRF_FIELD: &str = "_csrf";

/// A checked form post: who posted it and the decoded fields.
#[derive(Debug)]
pub struct CsrfForm<T> {
    /// The signed-in admin.
    pub user: PanelUser,
    /// The fields.
    pub form: T,
}

/// A form with no fields but the CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
struct Token {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

impl<T: DeserializeOwned + Send> FromRequest<AdminState> for CsrfForm<T> {
    type Rejection = PanelError;

    async fn from_request(req: Request, state: &AdminState) -> Result<Self, PanelError> {
        let (mut parts, body) = req.into_parts();
        let user = PanelUser::from_request_parts(&mut parts, state).await?;
        let header = header_token(&parts);
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| ApiError::new(e.status(), "the form cannot be read"))?;
        let field = serde_urlencoded::from_bytes::<Token>(&bytes)
            .ok()
            .and_then(|t| t.csrf);
        user.check_csrf(field.or(header).as_deref())?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the form is not valid: {e}"),
            )
        })?;
        Ok(Self { user, form })
    }
}
