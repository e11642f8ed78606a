//! The router and the server loop.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use tokio::net::TcpListener;

use crate::api;
use crate::error::ApiError;
use crate::headers::with_security_headers;
use crate::state::AdminState;

/// The admin API's routes, with security headers on every response.
pub fn router(state: AdminState) -> Router {
    let import_limit = state.options().import_body_limit;
    let routes = Router::new()
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .route("/api/login", post(api::session::login))
        .route("/api/logout", post(api::session::logout))
        .route(
            "/api/tokens",
            post(api::tokens::create).get(api::tokens::list),
        )
        .route("/api/tokens/{id}", delete(api::tokens::revoke))
        .route("/api/orgs", get(api::orgs::list).post(api::orgs::create))
        .route(
            "/api/orgs/{org}",
            get(api::orgs::get)
                .patch(api::orgs::update)
                .delete(api::orgs::delete),
        )
        .route(
            "/api/orgs/{org}/users",
            get(api::users::list).post(api::users::create),
        )
        .route(
            "/api/orgs/{org}/email-config",
            get(api::email_config::get).put(api::email_config::put),
        )
        .route(
            "/api/orgs/{org}/users:import",
            post(api::users::import).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route(
            "/api/orgs/{org}/users:activate",
            post(api::activation::activate),
        )
        .route(
            "/api/orgs/{org}/users:deactivate",
            post(api::activation::deactivate),
        )
        .route(
            "/api/orgs/{org}/email-config/ews-url:generate",
            post(api::ews_url::generate),
        )
        .route(
            "/api/orgs/{org}/check-runs",
            post(api::check_runs::start).get(api::check_runs::list),
        )
        .route(
            "/api/orgs/{org}/check-runs/{run}",
            get(api::check_runs::get),
        )
        .route(
            "/api/orgs/{org}/check-runs/{run}/results",
            get(api::check_runs::results),
        )
        .route("/api/audit", get(api::audit::list))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .with_state(state);
    with_security_headers(routes)
}

/// Serves the admin API on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    state: AdminState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
