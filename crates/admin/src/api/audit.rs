//! `GET /api/audit`: all entries for an operator, their organisation's for an org admin.

use axum::Json;
use axum::extract::{Query, State};
use impersync_store::{AuditEntry, Page};

use super::Paging;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::openapi::SignedInErrors;
use crate::state::AdminState;

/// The audit log, newest first.
#[utoipa::path(
    operation_id = "audit_list",
    get,
    path = "/api/audit",
    tag = "audit",
    summary = "The audit log (operators: all; org admins: their organisation)",
    params(Paging),
    responses(
        (status = 200, description = "A page of audit entries", body = serde_json::Value),
        SignedInErrors
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let page = state
        .store()
        .audit_log(&caller.principal)
        .list(paging.request())
        .await?;
    Ok(Json(page))
}
