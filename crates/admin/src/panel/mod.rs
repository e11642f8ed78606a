//! The web admin panel: server-rendered HTML (maud) with a little htmx (served from the
//! binary), one file per page. It signs in with the same sessions as `/api/login`, checks
//! the session's CSRF token on every state-changing post, and reaches organisations only
//! through the caller's tenant-scoped handle (404 for an organisation they may not see).

mod admins;
mod assets;
mod audit;
mod check_runs;
mod email_config;
mod error;
mod form;
mod htmx_errors;
mod layout;
mod login;
mod orgs;
mod rooms;
mod session;
mod sync;
mod users;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::state::AdminState;
use session::PanelUser;

/// `/` goes to the organisations when signed in, else to the login form.
async fn home(user: Option<PanelUser>) -> Redirect {
    Redirect::to(if user.is_some() { "/orgs" } else { "/login" })
}

/// The panel's routes (everything outside `/api`).
pub fn routes(import_limit: usize) -> Router<AdminState> {
    Router::new()
        .route("/", get(home))
        .route("/static/htmx.min.js", get(assets::htmx))
        .route("/static/panel.css", get(assets::css))
        .route("/favicon.ico", get(assets::favicon))
        .route("/login", get(login::show).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/orgs", get(orgs::list).post(orgs::create))
        .route("/orgs/{org}", get(orgs::open))
        .route("/orgs/{org}/users", get(users::list))
        .route(
            "/orgs/{org}/users/{user}/activation",
            post(users::set_activation),
        )
        .route(
            "/orgs/{org}/users/activate-passed",
            post(users::activate_passed),
        )
        .route(
            "/orgs/{org}/users/deactivate-all",
            post(users::deactivate_all),
        )
        .route(
            "/orgs/{org}/users/import",
            post(users::import).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route(
            "/orgs/{org}/email-config",
            get(email_config::show).post(email_config::submit),
        )
        .route("/orgs/{org}/email-config/check", post(email_config::check))
        .route(
            "/orgs/{org}/email-config/oauth-start",
            post(email_config::oauth_start),
        )
        .route(
            "/orgs/{org}/email-config/magic-wand",
            post(email_config::magic_wand),
        )
        .route(
            "/orgs/{org}/check-runs",
            get(check_runs::list).post(check_runs::start),
        )
        .route(
            "/orgs/{org}/check-runs/{run}/retry",
            post(check_runs::retry),
        )
        .route("/orgs/{org}/check-runs/{run}", get(check_runs::show))
        .route(
            "/orgs/{org}/check-runs/{run}/progress",
            get(check_runs::progress_fragment),
        )
        .route(
            "/orgs/{org}/check-runs/{run}/results.csv",
            get(check_runs::results_csv),
        )
        .route(
            "/orgs/{org}/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/orgs/{org}/webhooks/{id}/enabled",
            post(webhooks::set_enabled),
        )
        .route("/orgs/{org}/webhooks/{id}/delete", post(webhooks::delete))
        .route("/orgs/{org}/sync", get(sync::show))
        .route("/orgs/{org}/sync/{user}/now", post(sync::sync_now))
        .route("/orgs/{org}/rooms", get(rooms::show).post(rooms::refresh))
        .route("/audit", get(audit::list))
        .route("/admins", get(admins::list).post(admins::create))
        .layer(axum::middleware::from_fn(htmx_errors::show_errors))
}
