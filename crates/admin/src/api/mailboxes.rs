//! An organisation's mailboxes for sync monitoring: counts by state, whether the failing
//! share is above the alert threshold, and a page of mailboxes with their status.

use axum::Json;
use axum::extract::{Path, Query, State};
use impersync_store::{ALL_STATES, MailboxEntry, MailboxState, OrgStore, Page, StateCounts};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Paging, params};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// The organisation's sync at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncSummary {
    /// Mailboxes per state (`idle`, `syncing`, `backoff`, `needs_attention`).
    #[schema(value_type = Object)]
    pub counts: StateCounts,
    /// Mailboxes with sync enabled.
    pub total: u64,
    /// Mailboxes that need attention or are backed off.
    pub failing: u64,
    /// The failing share (percent) above which `alert` is set.
    pub alert_threshold_percent: u8,
    /// Whether more than the threshold share of mailboxes fail.
    pub alert: bool,
}

impl SyncSummary {
    /// The summary of these counts against a threshold in percent.
    pub fn new(counts: StateCounts, alert_threshold_percent: u8) -> Self {
        let (total, failing) = (counts.total(), counts.failing());
        Self {
            counts,
            total,
            failing,
            alert_threshold_percent,
            alert: total > 0 && failing * 100 > u64::from(alert_threshold_percent) * total,
        }
    }
}

/// The organisation's summary, with the server's threshold.
pub(crate) async fn summary(
    state: &AdminState,
    org: &OrgStore<'_>,
) -> Result<SyncSummary, ApiError> {
    let counts = org.mailboxes().counts().await?;
    Ok(SyncSummary::new(
        counts,
        state.options().sync_alert_threshold_percent,
    ))
}

/// A state filter as given: one of the state names, or empty for every state.
pub(crate) fn state_filter(raw: Option<&str>) -> Result<Option<MailboxState>, ApiError> {
    let Some(raw) = params::text(raw) else {
        return Ok(None);
    };
    ALL_STATES
        .into_iter()
        .find(|s| s.as_str() == raw)
        .map(Some)
        .ok_or_else(|| {
            let names: Vec<&str> = ALL_STATES.iter().map(|s| s.as_str()).collect();
            params::bad_parameter(
                "state",
                format!(
                    "state: {raw:?} is not a state; use one of {}",
                    names.join(", ")
                ),
            )
        })
}

/// `?state=&page=&per_page=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailboxQuery {
    /// Only mailboxes in this state (`idle`, `syncing`, `backoff`, `needs_attention`).
    pub state: Option<String>,
    /// The page, from 1.
    pub page: Option<u64>,
    /// Rows per page (1 to 1000, default 50).
    pub per_page: Option<u32>,
}

/// The answer of `GET /api/orgs/{org}/mailboxes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailboxesAnswer {
    /// Counts by state and the alert.
    pub summary: SyncSummary,
    /// A page of mailboxes (`items`, `total`, `offset`, `limit`).
    #[schema(value_type = Object)]
    pub mailboxes: Page<MailboxEntry>,
}

/// The organisation's mailboxes and their sync.
#[utoipa::path(
    operation_id = "mailboxes_list",
    get,
    path = "/api/orgs/{org}/mailboxes",
    tag = "sync",
    summary = "Sync monitoring: counts by state, the failing-share alert and a page of mailboxes",
    params(("org" = String, Path, description = "The organisation id"), MailboxQuery),
    responses(
        (status = 200, description = "The summary and a page of mailboxes", body = MailboxesAnswer),
        OrgErrors,
        (status = 400, description = "A parameter is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    Query(query): Query<MailboxQuery>,
) -> Result<Json<MailboxesAnswer>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let filter = state_filter(query.state.as_deref())?;
    let paging = Paging {
        page: query.page,
        per_page: query.per_page,
    };
    let mailboxes = org.mailboxes().list(filter, paging.request()).await?;
    Ok(Json(MailboxesAnswer {
        summary: summary(&state, &org).await?,
        mailboxes,
    }))
}
