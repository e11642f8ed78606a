//! API bearer tokens: `POST /api/tokens` (shown once), `GET /api/tokens`, `DELETE /api/tokens/{id}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use impersync_store::{ApiToken, TokenId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::Caller;
use crate::state::AdminState;

/// A new token's name.
#[derive(Deserialize)]
pub struct NewToken {
    name: String,
}

/// Issues a token; its value is in this answer only.
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
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(state.store().tokens(&caller.principal).list().await?))
}

/// Revokes a token.
pub async fn revoke(
    State(state): State<AdminState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: TokenId = id.parse().map_err(|_| ApiError::not_found("token"))?;
    state.store().tokens(&caller.principal).revoke(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
