//! `GET /api/audit`: all entries for an operator, their organisation's for an org admin.

use axum::Json;
use axum::extract::{Query, State};
use impersync_store::{AuditEntry, Page};

use super::Paging;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::state::AdminState;

/// The audit log, newest first.
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
