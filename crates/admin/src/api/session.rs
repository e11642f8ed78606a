//! `POST /api/login` and `POST /api/logout`.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use impersync_store::{AdminAccount, Principal};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::password;
use crate::auth::session::{SESSION_COOKIE, Session};
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::{Caller, Credential};
use crate::openapi::SignedInErrors;
use crate::state::AdminState;

/// The login form.
#[derive(Deserialize, ToSchema)]
pub struct Login {
    username: String,
    password: String,
}

/// The `Set-Cookie` value for the session cookie (empty `value` and `max_age` 0 clear it).
pub(crate) fn cookie_header(state: &AdminState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.options().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A successful sign-in: the account and its new session.
pub(crate) struct SignedIn {
    /// The account.
    pub account: AdminAccount,
    /// The new session's id (the cookie's value).
    pub session_id: String,
    /// The new session.
    pub session: Session,
}

/// Checks a username and password under the login rate limit, audits the attempt and
/// starts a session. The API's `POST /api/login` and the panel's login form both use it.
pub(crate) async fn sign_in(
    state: &AdminState,
    username: &str,
    password: String,
    ip: IpAddr,
) -> Result<SignedIn, ApiError> {
    let inner = &state.inner;
    if let Some(wait) = inner.limiter.blocked(username, ip) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed logins; try again in {wait} seconds"),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let account = state.store().auth().admin_by_username(username).await?;
    let params = inner.options.argon2_params.clone();
    let hash = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .or_else(|| inner.dummy_hash.clone());
    let ok = tokio::task::spawn_blocking(move || {
        hash.is_some_and(|h| password::verify(&password, &h, &params))
    })
    .await
    .unwrap_or(false);
    let Some(account) = account.filter(|_| ok) else {
        inner.limiter.failed(username, ip);
        let _ = state
            .store()
            .audit_log(&Principal::system("admin-login"))
            .record(
                "admin.login_failed",
                None,
                json!({"username": username, "ip": ip.to_string()}),
            )
            .await;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong username or password",
        ));
    };
    inner.limiter.succeeded(username, ip);
    let principal = account.principal();
    state
        .store()
        .audit_log(&principal)
        .record(
            "admin.login",
            principal.role.org(),
            json!({"username": account.username, "ip": ip.to_string()}),
        )
        .await?;
    let (session_id, session) = inner.sessions.create(account.id);
    Ok(SignedIn {
        account,
        session_id,
        session,
    })
}

/// Signs in; sets the session cookie and answers the CSRF token.
#[utoipa::path(
    operation_id = "session_login",
    post,
    path = "/api/login",
    security(()),
    tag = "session",
    summary = "Sign in: a session cookie and its CSRF token",
    request_body = Login,
    responses(
        (status = 200, description = "Signed in; the body holds `csrf_token`", body = serde_json::Value),
        (status = 400, description = "The request is malformed", body = ErrorBody),
        SignedInErrors,
        (status = 429, description = "Too many failed logins", body = ErrorBody)
    )
)]
pub async fn login(
    State(state): State<AdminState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<Login>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(form) = body?;
    let signed = sign_in(&state, &form.username, form.password, peer.ip()).await?;
    let cookie = session_cookie(&state, &signed.session_id);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({"csrf_token": signed.session.csrf_token, "username": signed.account.username, "role": signed.account.role})),
    )
        .into_response())
}

/// The `Set-Cookie` value that starts a session.
pub(crate) fn session_cookie(state: &AdminState, id: &str) -> HeaderValue {
    cookie_header(state, id, state.inner.sessions.ttl().as_secs())
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(
    operation_id = "session_logout",
    post,
    path = "/api/logout",
    tag = "session",
    summary = "Sign out of the session",
    responses(
        (status = 204, description = "Signed out"),
        SignedInErrors
    )
)]
pub async fn logout(State(state): State<AdminState>, caller: Caller) -> Response {
    if let Credential::Session(id) = &caller.credential {
        state.inner.sessions.remove(id);
    }
    (
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie_header(&state, "", 0))],
    )
        .into_response()
}
