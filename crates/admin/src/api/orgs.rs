//! Organisations: list, create, get, update, delete.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use impersync_store::{NewOrganisation, Organisation, OrganisationUpdate, Page};

use super::Paging;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::state::AdminState;

/// The organisations the caller may see.
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
pub async fn get(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(caller.org(&state, &org).await?.get().await?))
}

/// Changes an organisation's name or domains.
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
pub async fn delete(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.org(&state, &org).await?.delete().await?;
    Ok(StatusCode::NO_CONTENT)
}
