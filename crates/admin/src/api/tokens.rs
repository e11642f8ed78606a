//! API bearer tokens: `POST /api/tokens` (shown once), `GET /api/tokens`, `DELETE /api/tokens/{id}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use impersync_store::{ApiToken, TokenId};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::openapi::SignedInErrors;
use crate::state::AdminState;

/// A new token's name.
#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    name: String,
}

/// Issues a token; its value is in this answer only.
#[utoipa::path(
    operation_id = "tokens_create",
    post,
    path = "/api/tokens",
    tag = "tokens",
    summary = "Create an API bearer token (shown once)",
    request_body = NewToken,
    responses(
        (status = 201, description = "The token, shown once", body = serde_json::Value),
        SignedInErrors,
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    caller: Caller,
    body: Result<Json<NewToken>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(new) = body?;
    let issued = state
        .store()
        .tokens(&caller.principal)
        .create(&new.name, None)
        .await
        .map_err(|e| ApiError::from(e).with_field("name"))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": issued.record.id,
            "name": issued.record.name,
            "token": issued.token.expose(),
        })),
    ))
}

/// The caller's tokens (without their values).
#[utoipa::path(
    operation_id = "tokens_list",
    get,
    path = "/api/tokens",
    tag = "tokens",
    summary = "List the caller's API tokens (never the tokens themselves)",
    responses(
        (status = 200, description = "The tokens' metadata", body = serde_json::Value),
        SignedInErrors
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(state.store().tokens(&caller.principal).list().await?))
}

/// Revokes a token.
#[utoipa::path(
    operation_id = "tokens_revoke",
    delete,
    path = "/api/tokens/{id}",
    tag = "tokens",
    summary = "Revoke an API token",
    params(("id" = String, Path, description = "The token id")),
    responses(
        (status = 204, description = "Revoked"),
        SignedInErrors,
        (status = 404, description = "No such token", body = ErrorBody)
    )
)]
pub async fn revoke(
    State(state): State<AdminState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: TokenId = id.parse().map_err(|_| ApiError::not_found("token"))?;
    state.store().tokens(&caller.principal).revoke(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
