//! The router and the server loop. Every route is registered through `routes!`, which takes
//! its path and methods from the handler's `#[utoipa::path]`, so the router and the OpenAPI
//! document (`GET /api/openapi.json`) come from one list.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension};
use axum::http::StatusCode;
use tokio::net::TcpListener;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::headers::with_security_headers;
use crate::openapi::{self, ApiDoc, Document};
use crate::state::AdminState;
use crate::{api, panel};

/// The routes with their OpenAPI document.
fn documented(import_limit: usize) -> OpenApiRouter<AdminState> {
    let (schemas, paths, import) = routes!(api::users::import);
    let import = (
        schemas,
        paths,
        import.layer(DefaultBodyLimit::max(import_limit)),
    );
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::health::healthz))
        .routes(routes!(api::health::readyz))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(api::session::login))
        .routes(routes!(api::session::logout))
        .routes(routes!(api::tokens::create, api::tokens::list))
        .routes(routes!(api::tokens::revoke))
        .routes(routes!(api::orgs::list, api::orgs::create))
        .routes(routes!(
            api::orgs::get,
            api::orgs::update,
            api::orgs::delete
        ))
        .routes(routes!(api::users::list, api::users::create))
        .routes(import)
        .routes(routes!(api::activation::activate))
        .routes(routes!(api::activation::deactivate))
        .routes(routes!(api::email_config::get, api::email_config::put))
        .routes(routes!(api::ews_url::generate))
        .routes(routes!(api::m365_oauth::start))
        .routes(routes!(api::m365_oauth::status))
        .routes(routes!(api::oauth_callback::callback))
        .routes(routes!(api::check_runs::start, api::check_runs::list))
        .routes(routes!(api::check_runs::get))
        .routes(routes!(api::check_runs::results))
        .routes(routes!(api::audit::list))
        .routes(routes!(api::webhooks::list, api::webhooks::create))
        .routes(routes!(
            api::webhooks::get,
            api::webhooks::update,
            api::webhooks::delete
        ))
        .routes(routes!(api::webhooks::deliveries))
        .routes(routes!(api::mailbox_sync::status))
        .routes(routes!(api::mailboxes::list))
        .routes(routes!(api::changes::list))
        .routes(routes!(api::items::list))
        .routes(routes!(api::rooms::get))
        .routes(routes!(api::rooms::refresh))
        .routes(routes!(api::metrics::scrape));
    with_user_action(router, routes!(api::mailbox_sync::sync_now))
}

/// Adds a documented `POST .../users/{user}:<action>` route. The router cannot match a
/// parameter followed by text within one path segment, so the route takes the whole
/// segment (`/users/{user_action}`) and the handler splits off the action; the document
/// keeps the path as written.
fn with_user_action(
    mut router: OpenApiRouter<AdminState>,
    (schemas, paths, handler): utoipa_axum::router::UtoipaMethodRouter<AdminState>,
) -> OpenApiRouter<AdminState> {
    let doc = router.get_openapi_mut();
    doc.paths.paths.extend(paths.paths);
    doc.components
        .get_or_insert_with(utoipa::openapi::Components::new)
        .schemas
        .extend(schemas);
    router.route("/api/orgs/{org}/users/{user_action}", handler)
}

/// The admin API's routes, with security headers on every response.
pub fn router(state: AdminState) -> Router {
    let import_limit = state.options().import_body_limit;
    let (routes, document) = documented(import_limit).split_for_parts();
    let routes = routes
        .merge(panel::routes(import_limit))
        .layer(Extension(Document::new(&document)))
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
