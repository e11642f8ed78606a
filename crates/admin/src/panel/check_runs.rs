//! The check-runs tab: the runs of an organisation, and one run with a live progress bar
//! (htmx polls a fragment every second while it runs), its results filterable by outcome
//! with each outcome's remedy, a CSV export and the difference from the previous run.

use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Redirect, Response};
use impersync_engine::check_run::CheckSelection;
use impersync_store::{CheckRun, CheckRunId, CheckRunStatus, OrgId, PageRequest};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::form::{CsrfForm, NoFields};
use super::layout::{self, Tab, csrf_field, outcome_badge, pager, query_value};
use super::session::PanelUser;
use crate::api::check_runs::{csv, start_error};
use crate::auth::session::FlashLevel;
use crate::state::AdminState;

/// Runs and results per page.
const PER_PAGE: u32 = 50;

/// `?page=&outcome=`.
#[derive(Debug, Default, Deserialize)]
pub struct ResultsQuery {
    page: Option<u64>,
    #[serde(default)]
    outcome: String,
}

fn run_url(org: impl std::fmt::Display, run: CheckRunId) -> String {
    format!("/orgs/{org}/check-runs/{run}")
}

/// The progress bar; while the run is running it asks for itself again every second.
fn progress(org: impl std::fmt::Display, run: &CheckRun) -> Markup {
    let running = run.status == CheckRunStatus::Running;
    let percent = (run.checked * 100)
        .checked_div(run.total)
        .unwrap_or(if running { 0 } else { 100 });
    let url = format!("{}/progress", run_url(&org, run.id));
    html! {
        div #progress .progress-box
            hx-get=[running.then_some(&url)]
            hx-trigger=[running.then_some("every 1s")]
            hx-swap=[running.then_some("outerHTML")] {
            progress max="100" value=(percent) aria-label="Check progress" {}
            p.progress-text {
                span.status { (run.status.as_str()) } " · "
                (run.checked) " of " (run.total) " checked · "
                span.ok-count { (run.ok) " Ok" } " · "
                span.failed-count { (run.failed) " failed" }
            }
            @if let Some(note) = &run.note { p.muted { (note) } }
        }
    }
}

fn parse_run(run: &str) -> Result<CheckRunId, PanelError> {
    run.parse().map_err(|_| PanelError::not_found("check run"))
}

/// The runs of the organisation, newest first.
pub async fn list(
    State(state): State<AdminState>,
    user: PanelUser,
    Path(org): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Markup, PanelError> {
    let org = user.org(&state, &org).await?;
    let organisation = org.get().await?;
    if let Some(running) = org.check_runs().running().await? {
        // Ends a run whose process died, as the API's list does.
        state
            .engine()
            .check_run(&user.principal(), org.id(), running.id)
            .await?;
    }
    let page = q.page.unwrap_or(1).max(1);
    let runs = org
        .check_runs()
        .list(PageRequest::new((page - 1) * u64::from(PER_PAGE), PER_PAGE))
        .await?;
    let id = org.id();
    let flash = user.take_flashes(&state);
    let body = html! {
        div.toolbar {
            form.inline method="post" action={ "/orgs/" (id) "/check-runs" } {
                (csrf_field(&user))
                button.primary type="submit" { "Check Users Exchange Impersonated Access" }
            }
        }
        @if runs.items.is_empty() {
            p.muted { "No check runs yet." }
        } @else {
            table {
                thead { tr { th { "Run" } th { "Started" } th { "Status" } th { "Checked" } th { "Ok" } th { "Failed" } } }
                tbody {
                    @for r in &runs.items {
                        tr {
                            td { a href=(run_url(id, r.id)) { "#" (r.id) } }
                            td { (layout::time(r.started_at)) }
                            td { (r.status.as_str()) }
                            td { (r.checked) " / " (r.total) }
                            td { (r.ok) }
                            td { (r.failed) }
                        }
                    }
                }
            }
            (pager(page, PER_PAGE, runs.total, |p| format!("/orgs/{id}/check-runs?page={p}")))
        }
    };
    Ok(layout::org_page(
        &user,
        &flash,
        &organisation,
        Tab::CheckRuns,
        body,
    ))
}

/// One run: progress, counts, results by outcome with remedies, changes since the previous run.
pub async fn show(
    State(state): State<AdminState>,
    user: PanelUser,
    Path((org, run)): Path<(String, String)>,
    Query(q): Query<ResultsQuery>,
) -> Result<Markup, PanelError> {
    let org = user.org(&state, &org).await?;
    let organisation = org.get().await?;
    let runs = org.check_runs();
    let run = state
        .engine()
        .check_run(&user.principal(), org.id(), parse_run(&run)?)
        .await?;
    let outcome = Some(q.outcome.trim()).filter(|o| !o.is_empty());
    let page = q.page.unwrap_or(1).max(1);
    let results = runs
        .results(
            run.id,
            outcome,
            PageRequest::new((page - 1) * u64::from(PER_PAGE), PER_PAGE),
        )
        .await?;
    let counts = runs.outcome_counts(run.id).await?;
    let previous = runs.previous(run.id).await?;
    let changes = match &previous {
        Some(_) => runs.changes_since_previous(run.id).await?,
        None => Vec::new(),
    };
    let id = org.id();
    let base = run_url(id, run.id);
    let link = |o: &str, p: u64| {
        if o.is_empty() {
            format!("{base}?page={p}")
        } else {
            format!("{base}?outcome={}&page={p}", query_value(o))
        }
    };
    let flash = user.take_flashes(&state);
    let body = html! {
        h2 { "Check run #" (run.id) small.muted { " started " (layout::time(run.started_at)) } }
        (progress(id, &run))
        div.toolbar {
            a.button href={ (base) "/results.csv" @if let Some(o) = outcome { "?outcome=" (query_value(o)) } } download { "Export CSV" }
            @if run.status != CheckRunStatus::Running && run.failed > 0 {
                form.inline method="post" action={ (base) "/retry" } {
                    (csrf_field(&user))
                    button type="submit" { "Retry failed" }
                }
            }
        }
        nav.filters aria-label="Filter by outcome" {
            a class=@if outcome.is_none() { "active" } href=(link("", 1)) { "All" }
            @for (name, n) in &counts {
                a class=@if outcome == Some(name.as_str()) { "active" } href=(link(name, 1)) { (name) " (" (n) ")" }
            }
        }
        table.results {
            thead { tr { th { "Email" } th { "Outcome" } th { "Cause" } th { "Remedy" } th { "ms" } } }
            tbody {
                @for r in &results.items {
                    tr data-email=(r.email) {
                        td { (r.email) }
                        td { (outcome_badge(&r.outcome)) }
                        td.detail { (r.detail) }
                        td.remedy { (r.remedy) }
                        td { (r.duration_ms) }
                    }
                }
            }
        }
        (pager(page, PER_PAGE, results.total, |p| link(outcome.unwrap_or(""), p)))
        section.card {
            h2 { "Difference from the previous run" }
            @match &previous {
                None => p.muted { "There is no earlier run to compare with." },
                Some(p) if changes.is_empty() => p.muted { "Same outcomes as run " a href=(run_url(id, p.id)) { "#" (p.id) } "." },
                Some(p) => {
                    p { "Compared with run " a href=(run_url(id, p.id)) { "#" (p.id) } ":" }
                    table.changes {
                        thead { tr { th { "Email" } th { "Before" } th { "Now" } } }
                        tbody {
                            @for c in &changes {
                                tr {
                                    td { (c.email) }
                                    td { @match &c.before { Some(b) => (outcome_badge(b)), None => span.muted { "not checked" } } }
                                    td { (outcome_badge(&c.after)) }
                                }
                            }
                        }
                    }
                },
            }
        }
    };
    Ok(layout::org_page(
        &user,
        &flash,
        &organisation,
        Tab::CheckRuns,
        body,
    ))
}

/// The progress fragment; once the run has ended it asks htmx to reload the page.
pub async fn progress_fragment(
    State(state): State<AdminState>,
    user: PanelUser,
    Path((org, run)): Path<(String, String)>,
) -> Result<Response, PanelError> {
    let org = user.org(&state, &org).await?;
    let run = state
        .engine()
        .check_run(&user.principal(), org.id(), parse_run(&run)?)
        .await?;
    let mut response = progress(org.id(), &run).into_response();
    if run.status != CheckRunStatus::Running {
        response
            .headers_mut()
            .insert("hx-refresh", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The run's results as CSV, exactly as `GET /api/orgs/{org}/check-runs/{run}/results`
/// answers `Accept: text/csv`.
pub async fn results_csv(
    State(state): State<AdminState>,
    user: PanelUser,
    Path((org, run)): Path<(String, String)>,
    Query(q): Query<ResultsQuery>,
) -> Result<Response, PanelError> {
    let org = user.org(&state, &org).await?;
    let run = org.check_runs().get(parse_run(&run)?).await?;
    let outcome = Some(q.outcome.trim()).filter(|o| !o.is_empty());
    Ok(csv(&org, run.id, outcome).await?.into_response())
}

/// Starts a run of `selection` and opens it; a refusal comes back as a message on `back`.
pub(crate) async fn begin(
    state: &AdminState,
    user: &PanelUser,
    org: OrgId,
    selection: CheckSelection,
    back: &str,
) -> Result<Redirect, PanelError> {
    match state
        .engine()
        .start_check_run(&user.principal(), org, selection, None)
        .await
    {
        Ok(run) => Ok(Redirect::to(&run_url(org, run.id))),
        Err(e) => {
            let e = start_error(e);
            if e.status.is_server_error() {
                return Err(e.into());
            }
            user.flash(
                state,
                FlashLevel::Error,
                format!("The check did not start: {}", e.message),
            );
            Ok(Redirect::to(back))
        }
    }
}

/// "Check Users Exchange Impersonated Access": checks every user.
pub async fn start(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<NoFields>,
) -> Result<Redirect, PanelError> {
    let org = post.user.org(&state, &org).await?.id();
    let back = format!("/orgs/{org}/check-runs");
    begin(&state, &post.user, org, CheckSelection::All, &back).await
}

/// "Retry failed": checks again the users whose last check did not pass.
pub async fn retry(
    State(state): State<AdminState>,
    Path((org, run)): Path<(String, String)>,
    post: CsrfForm<NoFields>,
) -> Result<Redirect, PanelError> {
    let org = post.user.org(&state, &org).await?.id();
    let back = run_url(org, parse_run(&run)?);
    begin(
        &state,
        &post.user,
        org,
        CheckSelection::FailedLastTime,
        &back,
    )
    .await
}
