//! `GET /login`, `POST /login` and `POST /logout`.
//!
//! **Login CSRF.** Before a session exists there is no session token to check, so the
//! login form uses a double-submit cookie: `GET /login` sets a fresh random value in the
//! cookie `impersync_login` (HttpOnly, SameSite=Strict, path `/login`, ten minutes) and
//! puts the same value in the form's hidden field. `POST /login` signs in only when both
//! are present and equal. Another site can neither read the cookie nor make the browser
//! send it (SameSite=Strict), so it cannot sign a visitor into an account of its choosing.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::form::{CsrfForm, NoFields};
use super::layout;
use super::session::PanelUser;
use crate::api::session::{cookie_header, session_cookie, sign_in};
use crate::auth::csrf::constant_time_eq;
use crate::auth::random_token;
use crate::extract::cookie;
use crate::state::AdminState;

/// The login form's double-submit cookie.
const LOGIN_COOKIE: &str = "impersync_login";

/// How long a login form stays valid, in seconds.
const LOGIN_FORM_TTL: u64 = 600;

fn login_cookie(state: &AdminState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.options().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={value}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn form(token: &str, username: &str, error: Option<&str>) -> Markup {
    layout::bare(
        "Log in",
        html! {
            main.narrow {
                h1 { "Impersync" }
                form.card method="post" action="/login" {
                    h2 { "Log in" }
                    @if let Some(e) = error { p.flash.error role="alert" { (e) } }
                    input type="hidden" name="_login_csrf" value=(token);
                    label for="username" { "Username" }
                    input #username name="username" value=(username) autocomplete="username" required autofocus;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button.primary type="submit" { "Log in" }
                }
            }
        },
    )
}

/// A fresh login form with its double-submit cookie.
fn fresh_form(
    state: &AdminState,
    status: StatusCode,
    username: &str,
    error: Option<&str>,
) -> Response {
    let token = random_token();
    (
        status,
        [(
            header::SET_COOKIE,
            login_cookie(state, &token, LOGIN_FORM_TTL),
        )],
        form(&token, username, error),
    )
        .into_response()
}

/// The login form (or the panel, when already signed in).
pub async fn show(State(state): State<AdminState>, user: Option<PanelUser>) -> Response {
    if user.is_some() {
        return Redirect::to("/orgs").into_response();
    }
    fresh_form(&state, StatusCode::OK, "", None)
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(rename = "_login_csrf", default)]
    login_csrf: String,
}

/// Signs in with the form; sets the session cookie and goes to the organisations.
pub async fn submit(
    State(state): State<AdminState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), f.login_csrf.as_bytes()) {
        return fresh_form(
            &state,
            StatusCode::FORBIDDEN,
            &f.username,
            Some("This login form is out of date or did not come from this panel. Log in again."),
        );
    }
    match sign_in(&state, &f.username, f.password, peer.ip()).await {
        Ok(signed) => {
            let mut response = Redirect::to("/orgs").into_response();
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                session_cookie(&state, &signed.session_id),
            );
            h.append(header::SET_COOKIE, login_cookie(&state, "", 0));
            response
        }
        Err(e) => fresh_form(&state, e.status, &f.username, Some(&e.message)),
    }
}

/// Signs out and goes to the login form.
pub async fn logout(
    State(state): State<AdminState>,
    post: CsrfForm<NoFields>,
) -> Result<Response, PanelError> {
    state.inner.sessions.remove(&post.user.session_id);
    Ok((
        [(header::SET_COOKIE, cookie_header(&state, "", 0))],
        Redirect::to("/login"),
    )
        .into_response())
}
