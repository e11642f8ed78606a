//! The check-runs tab: the runs of an organisation, and one run with a live progress bar
//! (htmx polls a fragment every second while it runs), its results filterable by outcome
//! with each outcome's remedy, a CSV export and the difference from the previous run.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use impersync_store::{CheckRun, CheckRunId, CheckRunStatus, PageRequest};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::layout::{self, Tab, csrf_field, outcome_badge, pager, query_value};
use super::session::PanelUser;
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

fn status_text(run: &CheckRun) -> &'static str {
    match run.status {
        CheckRunStatus::Running => "running",
        CheckRunStatus::Finished => "finished",
        CheckRunStatus::Cancelled => "cancelled",
        CheckRunStatus::Failed => "failed",
    }
}

fn run_url(org: impl std::fmt::Display, run: CheckRunId) -> String {
    format!("/orgs/{org}/check-runs/{run}")
}

/// The progress bar; while the run is running it asks for itself again every second.
fn progress(org: impl std::fmt::Display, run: &CheckRun) -> Markup {
    let percent = if run.total == 0 {
        if run.status == CheckRunStatus::Running {
            0
        } else {
            100
        }
    } else {
        run.checked * 100 / run.total
    };
    let running = run.status == CheckRunStatus::Running;
    let url = format!("{}/progress", run_url(&org, run.id));
    html! {
        div #progress .progress-box
            hx-get=[running.then_some(&url)]
            hx-trigger=[running.then_some("every 1s")]
            hx-swap=[running.then_some("outerHTML")] {
            progress max="100" value=(percent) aria-label="Check progress" {}
            p.progress-text {
                span.status { (status_text(run)) } " · "
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
                            td { (status_text(r)) }
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
    let run = runs.get(parse_run(&run)?).await?;
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
            a.button href={ (base) "/results.csv" } download { "Export CSV" }
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
    let run = org.check_runs().get(parse_run(&run)?).await?;
    let mut response = progress(org.id(), &run).into_response();
    if run.status != CheckRunStatus::Running {
        response
            .headers_mut()
            .insert("hx-refresh", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Quotes a CSV field when it needs it.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The run's results as CSV: `email,outcome,detail,remedy,duration_ms,checked_at`.
pub async fn results_csv(
    State(state): State<AdminState>,
    user: PanelUser,
    Path((org, run)): Path<(String, String)>,
) -> Result<Response, PanelError> {
    let org = user.org(&state, &org).await?;
    let runs = org.check_runs();
    let run = runs.get(parse_run(&run)?).await?;
    let mut out = String::from("email,outcome,detail,remedy,duration_ms,checked_at\n");
    let mut offset = 0;
    loop {
        let page = runs
            .results(
                run.id,
                None,
                PageRequest::new(offset, PageRequest::MAX_LIMIT),
            )
            .await?;
        for r in &page.items {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                csv_field(&r.email),
                csv_field(&r.outcome),
                csv_field(&r.detail),
                csv_field(&r.remedy),
                r.duration_ms,
                layout::time(r.checked_at),
            ));
        }
        offset += page.items.len() as u64;
        if page.items.is_empty() || offset >= page.total {
            break;
        }
    }
    let disposition = format!("attachment; filename=\"check-run-{}.csv\"", run.id);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok((headers, out).into_response())
}
