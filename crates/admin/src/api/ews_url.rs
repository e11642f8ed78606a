//! The "magic wand": propose the organisation's EWS URL (Autodiscover, else
//! `https://mail.<domain>/EWS/Exchange.asmx`), saying where it came from. Nothing is saved.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use impersync_engine::ews_url::{EwsUrlError, GeneratedEwsUrl};

use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// Proposes the EWS URL.
#[utoipa::path(
    operation_id = "ews_url_generate",
    post,
    path = "/api/orgs/{org}/email-config/ews-url:generate",
    tag = "email-config",
    summary = "The magic wand: find the EWS URL",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 200, description = "The URL found and how", body = serde_json::Value),
        OrgErrors,
        (status = 409, description = "Conflicts with the current state", body = ErrorBody)
    )
)]
pub async fn generate(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<GeneratedEwsUrl>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let generated = state
        .engine()
        .generate_ews_url(&caller.principal, org.id())
        .await
        .map_err(|e| match e {
            EwsUrlError::NoDomain => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            EwsUrlError::Store(store) => store.into(),
        })?;
    Ok(Json(generated))
}
