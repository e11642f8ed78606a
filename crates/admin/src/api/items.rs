//! The synced items of one mailbox, filtered and paged.

use axum::Json;
use axum::extract::{Path, Query, State};
use impersync_store::{Item, ItemFilter, Page, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// `?folder=&since=&until=&from=&to=&limit=&offset=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// Only this folder (distinguished name, e.g. `inbox`).
    pub folder: Option<String>,
    /// Only items received (calendar items: starting) at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Only items received (calendar items: starting) before this RFC 3339 time.
    pub until: Option<String>,
    /// Only items from this address.
    pub from: Option<String>,
    /// Only items to this address.
    pub to: Option<String>,
    /// Items per page (1 to 1000, default 50).
    pub limit: Option<String>,
    /// Items to skip (default 0).
    pub offset: Option<String>,
}

/// A page of a mailbox's synced items, newest first.
#[utoipa::path(
    operation_id = "items_list",
    get,
    path = "/api/orgs/{org}/users/{user}/items",
    tag = "sync",
    summary = "A mailbox's synced items, newest first, with filters",
    params(
        ("org" = String, Path, description = "The organisation id"),
        ("user" = String, Path, description = "The user id or address"),
        ItemsQuery
    ),
    responses(
        (status = 200, description = "A page of items (`items`, `total`, `offset`, `limit`)", body = serde_json::Value),
        OrgErrors,
        (status = 400, description = "A parameter is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, user)): Path<(String, String)>,
    Query(query): Query<ItemsQuery>,
) -> Result<Json<Page<Item>>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let filter = ItemFilter {
        folder: params::text(query.folder.as_deref()),
        since: params::time("since", query.since.as_deref())?,
        until: params::time("until", query.until.as_deref())?,
        from: params::text(query.from.as_deref()),
        to: params::text(query.to.as_deref()),
    };
    let page = PageRequest::new(
        params::offset("offset", query.offset.as_deref())?,
        params::limit("limit", query.limit.as_deref(), 50)?,
    );
    let user = params::user(&org, &user).await?;
    Ok(Json(org.items().list(user.id, &filter, page).await?))
}
