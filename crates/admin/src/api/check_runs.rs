//! Check runs: start a bulk access check of the organisation's users as a background job,
//! follow its progress, read its results (JSON or CSV) and what changed since the last run.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use impersync_engine::access_check::{CSV_HEADER, csv_line};
use impersync_engine::check_run::{CheckRunError, CheckSelection};
use impersync_engine::m365::M365Error;
use impersync_exchange::ALL_CLASSES;
use impersync_store::{
    AdminId, CheckResult, CheckRun, CheckRunId, CheckRunStatus, OrgStore, Page, PageRequest,
    ResultChange,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

use super::Paging;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// The body of `POST /api/orgs/{org}/check-runs`: `{}` checks everyone, `{"emails": [...]}`
/// the given users, `{"failed_last_time": true}` those whose last check did not pass.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// Check only these users.
    pub emails: Option<Vec<String>>,
    /// Check only the users whose last check did not pass.
    #[serde(default)]
    pub failed_last_time: bool,
}

/// A run as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    /// Its id.
    #[schema(value_type = String)]
    pub id: CheckRunId,
    /// `running`, `finished`, `cancelled` or `failed`.
    #[schema(value_type = String)]
    pub status: CheckRunStatus,
    /// How many users it checks.
    pub total: u64,
    /// How many it has checked so far.
    pub done: u64,
    /// How many passed.
    pub ok: u64,
    /// How many did not.
    pub failed: u64,
    /// When it started (Unix milliseconds).
    pub started_at: i64,
    /// When it ended, if it has.
    pub finished_at: Option<i64>,
    /// The admin who started it.
    #[schema(value_type = Option<String>)]
    pub started_by: Option<AdminId>,
    /// Why it failed, if it did.
    pub note: Option<String>,
}

impl From<CheckRun> for RunView {
    fn from(r: CheckRun) -> Self {
        Self {
            id: r.id,
            status: r.status,
            total: r.total,
            done: r.checked,
            ok: r.ok,
            failed: r.failed,
            started_at: r.started_at,
            finished_at: r.finished_at,
            started_by: r.started_by,
            note: r.note,
        }
    }
}

/// One run with its counts per outcome and the changes since the previous run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDetail {
    /// The run.
    #[serde(flatten)]
    pub run: RunView,
    /// Results per outcome class.
    pub counts: BTreeMap<String, u64>,
    /// The run compared with, if there is one.
    #[schema(value_type = Option<String>)]
    pub previous_run: Option<CheckRunId>,
    /// Users whose outcome differs from the previous run's (`email`, `before`, `after`).
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<ResultChange>,
}

/// One result as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    /// The address.
    pub email: String,
    /// The outcome class.
    pub outcome: String,
    /// The EWS or HTTP code, if any.
    pub code: Option<String>,
    /// What happened.
    pub message: String,
    /// What to do.
    pub remedy: String,
    /// How long the check took.
    pub latency_ms: u64,
}

impl From<CheckResult> for ResultView {
    fn from(r: CheckResult) -> Self {
        Self {
            email: r.email,
            outcome: r.outcome,
            code: r.code,
            message: r.detail,
            remedy: r.remedy,
            latency_ms: r.duration_ms,
        }
    }
}

/// `?outcome=&page=&per_page=` of the results.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// Only results with this outcome class.
    pub outcome: Option<String>,
    /// The page, from 1 (JSON only; CSV holds every result).
    pub page: Option<u64>,
    /// Rows per page (JSON only).
    pub per_page: Option<u32>,
}

/// The API error for a refused start (the panel shows the same message).
pub(crate) fn start_error(e: CheckRunError) -> ApiError {
    match e {
        CheckRunError::AlreadyRunning(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
        CheckRunError::UnknownUsers(_) => ApiError::invalid("emails", e.to_string()),
        CheckRunError::NoUsers(_) => ApiError::invalid("emails", e.to_string()),
        CheckRunError::M365(M365Error::Store(store)) => store.into(),
        CheckRunError::Configuration(_) | CheckRunError::Secret(_) | CheckRunError::M365(_) => {
            ApiError::new(StatusCode::CONFLICT, e.to_string()).with_field("email_config")
        }
        CheckRunError::Store(store) => store.into(),
    }
}

/// Starts a check run; 202 with the run.
#[utoipa::path(
    operation_id = "check_runs_start",
    post,
    path = "/api/orgs/{org}/check-runs",
    tag = "check-runs",
    summary = "Start a check run (a bulk access check)",
    params(("org" = String, Path, description = "The organisation id")),
    request_body = StartRequest,
    responses(
        (status = 202, description = "The run, running", body = RunView),
        OrgErrors,
        (status = 409, description = "Conflicts with the current state", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn start(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<StartRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    let org = caller.org(&state, &org).await?;
    let Json(req) = body?;
    let selection = match (req.emails, req.failed_last_time) {
        (Some(_), true) => {
            return Err(ApiError::invalid(
                "failed_last_time",
                "give either emails or failed_last_time, not both",
            ));
        }
        (Some(emails), false) => CheckSelection::Emails(emails),
        (None, true) => CheckSelection::FailedLastTime,
        (None, false) => CheckSelection::All,
    };
    let run = state
        .engine()
        .start_check_run(&caller.principal, org.id(), selection, None)
        .await
        .map_err(start_error)?;
    Ok((StatusCode::ACCEPTED, Json(run.into())))
}

/// The organisation's runs, newest first.
#[utoipa::path(
    operation_id = "check_runs_list",
    get,
    path = "/api/orgs/{org}/check-runs",
    tag = "check-runs",
    summary = "List check runs, newest first",
    params(("org" = String, Path, description = "The organisation id"), Paging),
    responses(
        (status = 200, description = "A page of runs", body = serde_json::Value),
        OrgErrors
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<RunView>>, ApiError> {
    let org = caller.org(&state, &org).await?;
    // Ends a run whose process died before listing.
    if let Some(running) = org.check_runs().running().await? {
        state
            .engine()
            .check_run(&caller.principal, org.id(), running.id)
            .await?;
    }
    let page = org.check_runs().list(paging.request()).await?;
    Ok(Json(page.map(RunView::from)))
}

fn run_id(raw: &str) -> Result<CheckRunId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("check run"))
}

/// One run: progress, counts per outcome and the changes since the previous run.
#[utoipa::path(
    operation_id = "check_runs_get",
    get,
    path = "/api/orgs/{org}/check-runs/{run}",
    tag = "check-runs",
    summary = "One check run with its counts and its changes since the previous run",
    params(("org" = String, Path, description = "The organisation id"), ("run" = String, Path, description = "The check run id")),
    responses(
        (status = 200, description = "The run", body = RunDetail),
        OrgErrors
    )
)]
pub async fn get(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, run)): Path<(String, String)>,
) -> Result<Json<RunDetail>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let run = state
        .engine()
        .check_run(&caller.principal, org.id(), run_id(&run)?)
        .await?;
    let runs = org.check_runs();
    Ok(Json(RunDetail {
        counts: runs.outcome_counts(run.id).await?.into_iter().collect(),
        previous_run: runs.previous(run.id).await?.map(|p| p.id),
        changes: runs.changes_since_previous(run.id).await?,
        run: run.into(),
    }))
}

/// A run's results, optionally of one outcome: JSON pages, or every row as CSV with
/// `Accept: text/csv`.
#[utoipa::path(
    operation_id = "check_runs_results",
    get,
    path = "/api/orgs/{org}/check-runs/{run}/results",
    tag = "check-runs",
    summary = "A check run's results, as JSON or CSV (`Accept: text/csv`)",
    params(("org" = String, Path, description = "The organisation id"), ("run" = String, Path, description = "The check run id"), ResultsQuery),
    responses(
        (status = 200, description = "A page of results: `items` are `ResultView`s, `total` counts them all (CSV with `Accept: text/csv`)", body = serde_json::Value),
        OrgErrors,
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn results(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, run)): Path<(String, String)>,
    Query(query): Query<ResultsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let org = caller.org(&state, &org).await?;
    let run = run_id(&run)?;
    let outcome = query
        .outcome
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    if let Some(o) = outcome
        && !ALL_CLASSES.iter().any(|c| c.as_str() == o)
    {
        let known: Vec<&str> = ALL_CLASSES.iter().map(|c| c.as_str()).collect();
        return Err(ApiError::invalid(
            "outcome",
            format!("`{o}` is not an outcome; use one of {}", known.join(", ")),
        ));
    }
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        return Ok(csv(&org, run, outcome).await?.into_response());
    }
    let paging = Paging {
        page: query.page,
        per_page: query.per_page,
    };
    let page = org
        .check_runs()
        .results(run, outcome, paging.request())
        .await?;
    Ok(Json(page.map(ResultView::from)).into_response())
}

/// Every result of the run (of one outcome) as CSV; the panel's export link serves it too.
pub(crate) async fn csv(
    org: &OrgStore<'_>,
    run: CheckRunId,
    outcome: Option<&str>,
) -> Result<impl IntoResponse, ApiError> {
    const CHUNK: u32 = 1000;
    let mut body = format!("{CSV_HEADER}\r\n");
    let mut offset = 0;
    loop {
        let page = org
            .check_runs()
            .results(run, outcome, PageRequest::new(offset, CHUNK))
            .await?;
        for r in &page.items {
            body.push_str(&csv_line(
                &r.email,
                &r.outcome,
                r.code.as_deref(),
                &r.detail,
                &r.remedy,
                r.duration_ms,
            ));
            body.push_str("\r\n");
        }
        offset += page.items.len() as u64;
        if page.items.len() < CHUNK as usize || offset >= page.total {
            break;
        }
    }
    let disposition = format!("attachment; filename=\"check-run-{run}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    ))
}
