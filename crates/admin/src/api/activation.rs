//! Activation: turn sync on or off for many users at once, all or nothing. Users whose
//! last access check did not pass are activated only with `"force": true`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use impersync_store::{ActivationReport, UserSelection};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// The body of `users:activate` and `users:deactivate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    /// These users.
    pub emails: Option<Vec<String>>,
    /// Every user whose last access check passed.
    #[serde(default)]
    pub all_passed_last_check: bool,
    /// Activate users whose last check did not pass too.
    #[serde(default)]
    pub force: bool,
}

fn selection(req: &ActivationRequest) -> Result<UserSelection, ApiError> {
    match (&req.emails, req.all_passed_last_check) {
        (Some(_), true) => Err(ApiError::invalid(
            "all_passed_last_check",
            "give either emails or all_passed_last_check, not both",
        )),
        (Some(emails), false) => Ok(UserSelection::Emails(emails.clone())),
        (None, true) => Ok(UserSelection::AllPassedLastCheck),
        (None, false) => Err(ApiError::invalid(
            "emails",
            "give the users: {\"emails\": [...]} or {\"all_passed_last_check\": true}",
        )),
    }
}

/// Turns sync on for the selected users.
#[utoipa::path(
    operation_id = "activation_activate",
    post,
    path = "/api/orgs/{org}/users:activate",
    tag = "users",
    summary = "Activate users for sync (all or nothing)",
    params(("org" = String, Path, description = "The organisation id")),
    request_body = ActivationRequest,
    responses(
        (status = 200, description = "The activation report", body = serde_json::Value),
        OrgErrors,
        (status = 409, description = "Conflicts with the current state", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn activate(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<ActivationRequest>, JsonRejection>,
) -> Result<Json<ActivationReport>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let Json(req) = body?;
    let report = org.users().activate(&selection(&req)?, req.force).await?;
    state.engine().wake_worker();
    Ok(Json(report))
}

/// Turns sync off for the selected users.
#[utoipa::path(
    operation_id = "activation_deactivate",
    post,
    path = "/api/orgs/{org}/users:deactivate",
    tag = "users",
    summary = "Deactivate users",
    params(("org" = String, Path, description = "The organisation id")),
    request_body = ActivationRequest,
    responses(
        (status = 200, description = "The deactivation report", body = serde_json::Value),
        OrgErrors,
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn deactivate(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<ActivationRequest>, JsonRejection>,
) -> Result<Json<ActivationReport>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let Json(req) = body?;
    if req.force {
        return Err(ApiError::invalid(
            "force",
            "force applies to activation only",
        ));
    }
    let report = org.users().deactivate(&selection(&req)?).await?;
    Ok(Json(report))
}
