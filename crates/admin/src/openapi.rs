//! The OpenAPI document of the admin API, served at `GET /api/openapi.json`. The router and
//! the document come from the same list (`routes!` in [`crate::routes`]), so no route is
//! served without being documented.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::Extension;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as OpenApiDocument, Ref, RefOr};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::api::check_runs::ResultView;
use crate::error::ErrorBody;

/// The document's fixed parts: title, description, security schemes, shared schemas.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Impersync admin API",
        description = "Organisations, users, email configurations (secrets are write-only), \
                       check runs, activation and the audit log. Sign in with `POST /api/login` \
                       (a session cookie; send its CSRF token as `x-csrf-token` on changes) or \
                       send an API token as `Authorization: Bearer ...`."
    ),
    components(schemas(ErrorBody, ResultView)),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("session" = []))
)]
pub struct ApiDoc;

/// Adds the two ways to sign in.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::session::SESSION_COOKIE,
            ))),
        );
    }
}

/// The finished document as JSON, shared by the handler.
#[derive(Debug, Clone)]
pub struct Document(pub Arc<str>);

impl Document {
    /// The JSON of `document`.
    pub fn new(document: &OpenApiDocument) -> Self {
        let json = document
            .to_json()
            .expect("an OpenAPI document always serialises");
        Self(json.into())
    }
}

/// This document.
#[utoipa::path(
    operation_id = "openapi_openapi_json",
    get,
    path = "/api/openapi.json",
    tag = "meta",
    summary = "This OpenAPI document (no sign-in needed)",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", body = serde_json::Value))
)]
pub async fn openapi_json(Extension(document): Extension<Document>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.0.to_string(),
    )
}

/// An error answer with an [`ErrorBody`].
fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
        .into()
}

/// Why a signed-in endpoint refuses a caller without a valid sign-in.
const NOT_SIGNED_IN: &str = "Not signed in (no session cookie or API token, or an expired one)";

/// The refusal every signed-in endpoint can answer (documentation only).
pub struct SignedInErrors;

impl IntoResponses for SignedInErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([("401".to_string(), error_response(NOT_SIGNED_IN))])
    }
}

/// The refusals every per-organisation endpoint can answer (documentation only).
pub struct OrgErrors;

impl IntoResponses for OrgErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = SignedInErrors::responses();
        responses.insert(
            "404".to_string(),
            error_response("No such organisation (or not visible to the caller)"),
        );
        responses
    }
}
