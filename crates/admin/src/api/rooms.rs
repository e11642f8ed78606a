//! The room directory: the organisation's room lists with their rooms, as last read through
//! the service account's own mailbox, and a refresh on demand.

use axum::Json;
use axum::extract::{Path, State};
use impersync_store::{OrgStore, RoomDirectory};

use crate::error::ApiError;
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// The room directory (`lists` with `rooms`, `refreshed_at`, `attempted_at`, and `error`
/// with `outcome`, `code`, `message` and `remedy` while the last refresh failed).
#[utoipa::path(
    operation_id = "rooms_get",
    get,
    path = "/api/orgs/{org}/rooms",
    tag = "rooms",
    summary = "The room lists and their rooms, with the last refresh's failure and remedy",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 200, description = "The room directory", body = serde_json::Value),
        OrgErrors
    )
)]
pub async fn get(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<RoomDirectory>, ApiError> {
    let org = caller.org(&state, &org).await?;
    Ok(Json(org.rooms().directory().await?))
}

/// Reads the room lists and rooms from Exchange now, through the service account's own
/// mailbox, and answers the directory as stored (a failure is in `error`, with its remedy).
#[utoipa::path(
    operation_id = "rooms_refresh",
    post,
    path = "/api/orgs/{org}/rooms:refresh",
    tag = "rooms",
    summary = "Refresh the room directory from Exchange now",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 200, description = "The refreshed room directory", body = serde_json::Value),
        OrgErrors
    )
)]
pub async fn refresh(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<RoomDirectory>, ApiError> {
    let org = caller.org(&state, &org).await?;
    Ok(Json(refresh_and_audit(&state, &org).await?))
}

/// Refreshes the organisation's room directory and records that in the audit log (the
/// panel's "Refresh now" does the same).
pub(crate) async fn refresh_and_audit(
    state: &AdminState,
    org: &OrgStore<'_>,
) -> Result<RoomDirectory, ApiError> {
    let directory = state.engine().sync_rooms(org.id()).await?;
    org.audit()
        .record(
            "rooms.refreshed",
            serde_json::json!({
                "lists": directory.lists.len(),
                "error": directory.error.as_ref().map(|e| e.outcome.clone()),
            }),
        )
        .await?;
    Ok(directory)
}
