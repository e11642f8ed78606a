//! Organisations: list, create, get, update, delete.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use impersync_store::{NewOrganisation, Organisation, OrganisationUpdate, Page};

use super::Paging;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::openapi::{OrgErrors, SignedInErrors};
use crate::state::AdminState;

/// The organisations the caller may see.
#[utoipa::path(
    operation_id = "orgs_list",
    get,
    path = "/api/orgs",
    tag = "orgs",
    summary = "List the organisations the caller may see",
    params(Paging),
    responses(
        (status = 200, description = "A page of organisations", body = serde_json::Value),
        SignedInErrors
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<Organisation>>, ApiError> {
    let page = state
        .store()
        .organisations(&caller.principal)
        .list(paging.request())
        .await?;
    Ok(Json(page))
}

/// Creates an organisation (operators only).
#[utoipa::path(
    operation_id = "orgs_create",
    post,
    path = "/api/orgs",
    tag = "orgs",
    summary = "Create an organisation (operators only)",
    request_body = serde_json::Value,
    responses(
        (status = 201, description = "The organisation", body = serde_json::Value),
        SignedInErrors,
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    caller: Caller,
    body: Result<Json<NewOrganisation>, JsonRejection>,
) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    let Json(new) = body?;
    let org = state
        .store()
        .organisations(&caller.principal)
        .create(new)
        .await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// One organisation.
#[utoipa::path(
    operation_id = "orgs_get",
    get,
    path = "/api/orgs/{org}",
    tag = "orgs",
    summary = "One organisation",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 200, description = "The organisation", body = serde_json::Value),
        OrgErrors
    )
)]
pub async fn get(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(caller.org(&state, &org).await?.get().await?))
}

/// Changes an organisation's name or domains.
#[utoipa::path(
    operation_id = "orgs_update",
    patch,
    path = "/api/orgs/{org}",
    tag = "orgs",
    summary = "Rename an organisation or change its domains",
    params(("org" = String, Path, description = "The organisation id")),
    request_body = serde_json::Value,
    responses(
        (status = 200, description = "The organisation", body = serde_json::Value),
        OrgErrors,
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn update(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<OrganisationUpdate>, JsonRejection>,
) -> Result<Json<Organisation>, ApiError> {
    let handle = caller.org(&state, &org).await?;
    let Json(update) = body?;
    Ok(Json(handle.update(update).await?))
}

/// Deletes an organisation.
#[utoipa::path(
    operation_id = "orgs_delete",
    delete,
    path = "/api/orgs/{org}",
    tag = "orgs",
    summary = "Delete an organisation (operators only)",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 204, description = "Deleted"),
        OrgErrors
    )
)]
pub async fn delete(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.org(&state, &org).await?.delete().await?;
    Ok(StatusCode::NO_CONTENT)
}
