//! `GET /oauth/callback`: where the authority sends the browser back after the Microsoft 365
//! sign-in. Success redirects to the organisation's email-configuration page; every failure
//! ends on a page that says what happened, and nothing is stored.

use std::fmt::Write;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use impersync_engine::m365::{M365Error, SignInFailure};
use impersync_store::OrgId;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::state::AdminState;

/// The callback's query (RFC 6749 §4.1.2 and §4.1.2.1).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` of the sign-in.
    pub state: Option<String>,
    /// The authority's error code, e.g. `access_denied`.
    pub error: Option<String>,
    /// The authority's explanation.
    pub error_description: Option<String>,
}

/// The panel page of an organisation's email configuration.
fn panel_page(org: OrgId) -> String {
    format!("/orgs/{org}/email-config")
}

/// A parameter's trimmed value, unless it is absent or empty.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Finishes the sign-in and redirects (303) to the panel, or shows why it failed.
#[utoipa::path(
    operation_id = "oauth_callback_callback",
    get,
    path = "/oauth/callback",
    security(()),
    tag = "email-config",
    summary = "Where the authority sends the browser back after the Microsoft 365 sign-in",
    params(CallbackQuery),
    responses(
        (status = 303, description = "Signed in: on to the panel page /orgs/{org}/email-config"),
        (status = 400, description = "The sign-in failed; an HTML page says why", body = String, content_type = "text/html")
    )
)]
pub async fn callback(
    State(state): State<AdminState>,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return failure_page(
            None,
            "The sign-in answer has malformed or repeated parameters.",
        );
    };
    let Some(sign_in) = given(&query.state) else {
        return failure_page(
            None,
            "The sign-in answer has no state; start the sign-in again.",
        );
    };
    let sign_ins = &state.m365().sign_ins;
    let result = match (given(&query.error), given(&query.code)) {
        (Some(error), _) => Err(sign_ins.refused(sign_in, error, given(&query.error_description))),
        (None, Some(code)) => sign_ins.finish(sign_in, code).await,
        (None, None) => Err(sign_ins.refused(
            sign_in,
            "invalid_request",
            Some("the answer has neither a code nor an error"),
        )),
    };
    match result {
        Ok(done) => {
            tracing::info!(org = %done.org, account = %done.account, "Microsoft 365 sign-in finished");
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, panel_page(done.org)),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
            )
                .into_response()
        }
        Err(SignInFailure { org, error }) => {
            if let M365Error::Store(e) = &error {
                tracing::error!(error = %e, "Microsoft 365 sign-in could not be stored");
            } else {
                tracing::info!(?org, error = %error, "Microsoft 365 sign-in failed");
            }
            failure_page(org, &error.to_string())
        }
    }
}

/// `text` with HTML's special characters escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A 400 page saying why the sign-in failed, linking back to the organisation's page.
fn failure_page(org: Option<OrgId>, message: &str) -> Response {
    let mut body = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
         <title>Microsoft 365 sign-in failed</title></head>\n<body>\n\
         <h1>Microsoft 365 sign-in failed</h1>\n",
    );
    let _ = writeln!(body, "<p role=\"alert\">{}</p>", escape(message));
    if let Some(org) = org {
        let _ = writeln!(
            body,
            "<p><a href=\"{}\">Back to the email configuration</a></p>",
            escape(&panel_page(org))
        );
    }
    body.push_str("</body>\n</html>\n");
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, "no-store")],
        Html(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<script>"x" & 'y'</script>"#),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
