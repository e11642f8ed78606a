//! The panel's error: a redirect to the login page, or an HTML page with the status and
//! the message (which never holds a secret).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use impersync_store::StoreError;
use maud::html;

use super::layout;
use crate::error::ApiError;

/// Why a panel request did not produce its page.
#[derive(Debug)]
pub enum PanelError {
    /// Not signed in: go to the login page (`htmx`: the request came from htmx, which
    /// is told to load the page instead of swapping it into a fragment).
    SignIn {
        /// Whether htmx asked.
        htmx: bool,
    },
    /// A failure shown as a page with its status.
    Page(ApiError),
}

impl PanelError {
    /// 403: the form's CSRF token is missing or wrong; nothing was changed.
    pub fn csrf() -> Self {
        Self::Page(ApiError::new(
            StatusCode::FORBIDDEN,
            "This form is out of date or did not come from this panel, so nothing was changed. \
             Reload the page and try again.",
        ))
    }

    /// 404 for `what`.
    pub fn not_found(what: &str) -> Self {
        Self::Page(ApiError::not_found(what))
    }
}

impl From<ApiError> for PanelError {
    fn from(e: ApiError) -> Self {
        Self::Page(e)
    }
}

impl From<StoreError> for PanelError {
    fn from(e: StoreError) -> Self {
        Self::Page(e.into())
    }
}

impl IntoResponse for PanelError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn { htmx: false } => Redirect::to("/login").into_response(),
            Self::SignIn { htmx: true } => {
                ([("hx-redirect", "/login")], StatusCode::UNAUTHORIZED).into_response()
            }
            Self::Page(e) => {
                let title = e.status.canonical_reason().unwrap_or("Error");
                let body = html! {
                    main.narrow {
                        h1 { (e.status.as_u16()) " " (title) }
                        p.flash.error role="alert" { (e.message) }
                        p { a href="/" { "Back to the panel" } }
                    }
                };
                (e.status, layout::bare(title, body)).into_response()
            }
        }
    }
}
