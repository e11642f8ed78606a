//! The change feed: an organisation's item changes in commit order, read with a cursor.

use axum::Json;
use axum::extract::{Path, Query, State};
use impersync_store::{FeedCursor, FeedPage};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// `?cursor=&limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Where to read on: a `next_cursor` (or a change's `id`) from an earlier answer; `0`
    /// (the default) is the start.
    pub cursor: Option<String>,
    /// Changes per answer (1 to 1000, default 100).
    pub limit: Option<String>,
}

/// A page of the change feed.
#[utoipa::path(
    operation_id = "changes_list",
    get,
    path = "/api/orgs/{org}/changes",
    tag = "sync",
    summary = "The change feed after a cursor, in commit order",
    description = "`{\"changes\": [{\"id\", \"kind\", \"user\", \"user_id\", \"folder\", \"item_id\", \
                   \"change_key\", \"item\", \"at\"}], \"next_cursor\"}`. `kind` is `created`, \
                   `updated`, `deleted` or `read_flag`; ids and cursors are decimal strings. Read on \
                   from `next_cursor` (also after a restart): every change comes exactly once.",
    params(("org" = String, Path, description = "The organisation id"), ChangesQuery),
    responses(
        (status = 200, description = "The changes after the cursor and the cursor to read on from", body = serde_json::Value),
        OrgErrors,
        (status = 400, description = "`cursor` or `limit` is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    Query(query): Query<ChangesQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let cursor = match params::text(query.cursor.as_deref()) {
        None => FeedCursor::default(),
        Some(raw) => raw
            .parse::<FeedCursor>()
            .map_err(|e| params::bad_parameter("cursor", e.to_string()))?,
    };
    let limit = params::limit("limit", query.limit.as_deref(), 100)?;
    Ok(Json(org.change_feed().changes(cursor, limit).await?))
}
