//! One user's mailbox sync: its status, and "sync now".

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use impersync_store::{MailboxEntry, OrgStore, User};
use serde_json::json;

use super::params;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// The user's mailbox entry; 409 when the user is not activated for sync.
async fn entry(org: &OrgStore<'_>, user: &User) -> Result<MailboxEntry, ApiError> {
    let not_activated = || {
        ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "{} is not activated for sync; activate the user first (POST /api/orgs/{{org}}/users:activate)",
                user.email
            ),
        )
    };
    if !user.sync_enabled {
        return Err(not_activated());
    }
    org.mailboxes()
        .entry(user.id)
        .await?
        .ok_or_else(not_activated)
}

/// Makes an activated user's mailbox due at once, wakes this process's worker and records
/// it in the audit log; the mailbox entry afterwards. The panel's button uses it too.
pub(crate) async fn request_sync(
    state: &AdminState,
    org: &OrgStore<'_>,
    user: &User,
) -> Result<MailboxEntry, ApiError> {
    entry(org, user).await?;
    org.mailboxes().sync_now(user.id).await?;
    state.engine().wake_worker();
    org.audit()
        .record(
            "mailbox.sync_requested",
            json!({"user_id": user.id, "email": user.email}),
        )
        .await?;
    entry(org, user).await
}

/// Syncs a mailbox now.
#[utoipa::path(
    operation_id = "mailbox_sync_now",
    post,
    path = "/api/orgs/{org}/users/{user}:sync",
    tag = "sync",
    summary = "Sync a mailbox now (also after it needed attention)",
    params(
        ("org" = String, Path, description = "The organisation id"),
        ("user" = String, Path, description = "The user id or address")
    ),
    responses(
        (status = 202, description = "The mailbox's sync status, due now", body = serde_json::Value),
        OrgErrors,
        (status = 409, description = "The user is not activated for sync", body = ErrorBody)
    )
)]
pub async fn sync_now(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, user_action)): Path<(String, String)>,
) -> Result<(StatusCode, Json<MailboxEntry>), ApiError> {
    let Some(user) = user_action.strip_suffix(":sync") else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "no such endpoint"));
    };
    let org = caller.org(&state, &org).await?;
    let user = params::user(&org, user).await?;
    let entry = request_sync(&state, &org, &user).await?;
    Ok((StatusCode::ACCEPTED, Json(entry)))
}

/// A mailbox's sync status.
#[utoipa::path(
    operation_id = "mailbox_sync_status",
    get,
    path = "/api/orgs/{org}/users/{user}/sync",
    tag = "sync",
    summary = "A mailbox's sync status: state, last success, items per folder, error, next run",
    params(
        ("org" = String, Path, description = "The organisation id"),
        ("user" = String, Path, description = "The user id or address")
    ),
    responses(
        (status = 200, description = "The mailbox's sync status", body = serde_json::Value),
        OrgErrors,
        (status = 409, description = "The user is not activated for sync", body = ErrorBody)
    )
)]
pub async fn status(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, user)): Path<(String, String)>,
) -> Result<Json<MailboxEntry>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let user = params::user(&org, &user).await?;
    Ok(Json(entry(&org, &user).await?))
}
