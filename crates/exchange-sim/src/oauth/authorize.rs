//! The authorization endpoint: the sign-in form and its submission.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::error::AuthorizeError;
use super::html;
use super::params::given;
use super::pkce;
use super::responses::{page, redirect};
use super::server::OAuthServer;
use super::tokens::{PendingCode, Subject};

/// The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
#[derive(Debug, Deserialize)]
pub(crate) struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The sign-in form as submitted: the request again, plus credentials.
#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(flatten)]
    request: AuthorizeParams,
    username: Option<String>,
    password: Option<String>,
}

/// An authorization request whose client and redirect URI are trusted and
/// whose parameters are complete.
struct ValidRequest {
    client_id: String,
    redirect_uri: String,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: String,
}

/// `GET /authorize`: shows the sign-in form for a valid request.
pub(crate) async fn show_form(
    State(server): State<Arc<OAuthServer>>,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Result<Response, AuthorizeError> {
    let Query(params) = query.map_err(|_| AuthorizeError::Page(MALFORMED))?;
    let request = validate(&server, &params)?;
    Ok(sign_in_form(&request, "", None))
}

/// `POST /authorize`: signs the user in and redirects with a code, or shows
/// the form again after wrong credentials.
pub(crate) async fn sign_in(
    State(server): State<Arc<OAuthServer>>,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Result<Response, AuthorizeError> {
    let Form(form) = form.map_err(|_| AuthorizeError::Page(MALFORMED))?;
    let request = validate(&server, &form.request)?;
    let username = given(&form.username).unwrap_or_default();
    let password = form.password.as_deref().unwrap_or_default();
    let upn = (!username.is_empty())
        .then(|| server.check_password(username, password))
        .flatten();
    let Some(upn) = upn else {
        return Ok(sign_in_form(
            &request,
            username,
            Some("The user name or password is incorrect."),
        ));
    };
    let pending = PendingCode {
        subject: Subject {
            upn,
            client_id: request.client_id,
            scope: request.scope,
        },
        redirect_uri: request.redirect_uri,
        code_challenge: request.code_challenge,
    };
    let redirect_uri = pending.redirect_uri.clone();
    let code = server.tokens().issue_code(Instant::now(), pending);
    let mut params = vec![("code", code.as_str())];
    params.extend(request.state.as_deref().map(|state| ("state", state)));
    Ok(redirect(&redirect_uri, &params))
}

/// Why a request whose parameters cannot be decoded is refused.
const MALFORMED: &str = "The request has malformed or repeated parameters.";

/// Checks `params`. Until the client and redirect URI are known to match,
/// failures are shown as a page; after that they are redirected.
fn validate(
    server: &OAuthServer,
    params: &AuthorizeParams,
) -> Result<ValidRequest, AuthorizeError> {
    let client_id =
        given(&params.client_id).ok_or(AuthorizeError::Page("client_id is missing."))?;
    let client = server
        .clients()
        .get(client_id)
        .ok_or(AuthorizeError::Page("The application is not registered."))?;
    let redirect_uri =
        given(&params.redirect_uri).ok_or(AuthorizeError::Page("redirect_uri is missing."))?;
    if !client.allows_redirect(redirect_uri) {
        return Err(AuthorizeError::Page(
            "The redirect_uri is not registered for this application.",
        ));
    }
    let state = given(&params.state).map(str::to_owned);
    let refuse = |code, description| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        code,
        description,
    };
    match given(&params.response_type) {
        Some("code") => {}
        Some(_) => {
            return Err(refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        None => return Err(refuse("invalid_request", "response_type is missing")),
    }
    if given(&params.code_challenge_method) != Some(pkce::S256) {
        return Err(refuse(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required",
        ));
    }
    let code_challenge = given(&params.code_challenge)
        .filter(|challenge| pkce::is_valid_challenge(challenge))
        .ok_or_else(|| {
            refuse(
                "invalid_request",
                "code_challenge must be an unpadded base64url SHA-256 digest",
            )
        })?;
    Ok(ValidRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scope: given(&params.scope).map(str::to_owned),
        code_challenge: code_challenge.to_owned(),
        state,
    })
}

/// The sign-in form for `request`, pre-filled with `username`.
fn sign_in_form(request: &ValidRequest, username: &str, error: Option<&str>) -> Response {
    let mut hidden = vec![
        ("response_type", "code"),
        ("client_id", request.client_id.as_str()),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("code_challenge", request.code_challenge.as_str()),
        ("code_challenge_method", pkce::S256),
    ];
    hidden.extend(request.scope.as_deref().map(|scope| ("scope", scope)));
    hidden.extend(request.state.as_deref().map(|state| ("state", state)));
    let body = html::sign_in_page(&request.client_id, &hidden, username, error);
    page(StatusCode::OK, body)
}
