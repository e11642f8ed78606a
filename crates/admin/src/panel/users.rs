//! The users tab: a paginated, searchable list with the last check outcome and an
//! activation toggle per user, bulk activation, and the CSV import form.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use impersync_store::{OrgStore, PageRequest, StoreError, User, UserFilter, UserId, UserSelection};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::form::{CSRF_FIELD, CsrfForm, NoFields};
use super::layout::{self, Tab, csrf_field, outcome_badge, pager, query_value};
use super::session::{PanelUser, is_htmx};
use crate::api::users::{ImportAnswer, import_csv};
use crate::auth::session::FlashLevel;
use crate::error::ApiError;
use crate::state::AdminState;

/// Users per page.
pub const PER_PAGE: u32 = 50;

/// `?page=&q=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// The page, from 1.
    page: Option<u64>,
    /// Search text (address or display name).
    #[serde(default)]
    q: String,
}

impl ListQuery {
    fn page(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }

    fn link(&self, org: impl std::fmt::Display, page: u64) -> String {
        let mut url = format!("/orgs/{org}/users?page={page}");
        if !self.q.trim().is_empty() {
            url.push_str("&q=");
            url.push_str(&query_value(self.q.trim()));
        }
        url
    }
}

/// One user's row (also the answer to an htmx toggle).
fn row(user: &PanelUser, org: impl std::fmt::Display, u: &User, q: &ListQuery) -> Markup {
    let action = format!("/orgs/{org}/users/{}/activation", u.id);
    html! {
        tr id={ "user-" (u.id) } {
            td { (u.email) }
            td { (u.display_name) }
            td {
                @match &u.last_check {
                    Some(c) => span title=(c.detail) { (outcome_badge(&c.outcome)) },
                    None => span.muted { "not checked" },
                }
            }
            td {
                @if u.sync_enabled { span.badge.ok { "active" } } @else { span.badge { "inactive" } }
            }
            td {
                form.inline method="post" action=(action) hx-post=(action) hx-target="closest tr" hx-swap="outerHTML" {
                    (csrf_field(user))
                    input type="hidden" name="active" value=(!u.sync_enabled);
                    input type="hidden" name="page" value=(q.page());
                    input type="hidden" name="q" value=(q.q);
                    button type="submit" { @if u.sync_enabled { "Deactivate" } @else { "Activate" } }
                }
            }
        }
    }
}

async fn render(
    state: &AdminState,
    user: &PanelUser,
    org: &OrgStore<'_>,
    q: &ListQuery,
    import: Option<Result<ImportAnswer, ApiError>>,
) -> Result<Markup, PanelError> {
    let organisation = org.get().await?;
    let filter = UserFilter {
        search: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
        ..UserFilter::default()
    };
    let page = q.page();
    let list = org
        .users()
        .list(
            &filter,
            PageRequest::new((page - 1) * u64::from(PER_PAGE), PER_PAGE),
        )
        .await?;
    let id = org.id();
    let flash = user.take_flashes(state);
    let body = html! {
        div.toolbar {
            form.search method="get" action={ "/orgs/" (id) "/users" } {
                input type="search" name="q" value=(q.q) placeholder="Search address or name" aria-label="Search users";
                button type="submit" { "Search" }
            }
            form.inline method="post" action={ "/orgs/" (id) "/users/activate-passed" } {
                (csrf_field(user))
                button.primary type="submit" { "Activate all that passed the last check" }
            }
            form.inline method="post" action={ "/orgs/" (id) "/users/deactivate-all" } {
                (csrf_field(user))
                button.danger type="submit" { "Deactivate all" }
            }
        }
        @if list.items.is_empty() {
            p.muted { @if filter.search.is_some() { "No user matches the search." } @else { "No users yet: import a CSV file below." } }
        } @else {
            table.users {
                thead { tr { th { "Email" } th { "Display name" } th { "Last check" } th { "Sync" } th { "Activation" } } }
                tbody { @for u in &list.items { (row(user, id, u, q)) } }
            }
            (pager(page, PER_PAGE, list.total, |p| q.link(id, p)))
        }
        section.card #import {
            h2 { "Import users from CSV" }
            p.muted { "A UTF-8 file whose first line is " code { "email,display_name" } "." }
            @match &import {
                Some(Ok(answer)) => {
                    p class=@if answer.rejected.is_empty() { "flash success" } @else { "flash warning" } role="alert" {
                        "Imported " (answer.inserted) " user(s); " (answer.rejected_count) " row(s) refused."
                    }
                    @if !answer.rejected.is_empty() {
                        table.import-errors {
                            thead { tr { th { "Line" } th { "Email" } th { "Why it was refused" } } }
                            tbody { @for r in &answer.rejected { tr { td { (r.line) } td { (r.email) } td { (r.reason) } } } }
                        }
                    }
                },
                Some(Err(e)) => p.flash.error role="alert" { "file: " (e.message) },
                None => {},
            }
            form method="post" action={ "/orgs/" (id) "/users/import" } enctype="multipart/form-data" {
                (csrf_field(user))
                label for="file" { "CSV file" }
                input #file type="file" name="file" accept=".csv,text/csv" required;
                button.primary type="submit" { "Import" }
            }
        }
    };
    Ok(layout::org_page(
        user,
        &flash,
        &organisation,
        Tab::Users,
        body,
    ))
}

/// The users tab.
pub async fn list(
    State(state): State<AdminState>,
    user: PanelUser,
    Path(org): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PanelError> {
    let org = user.org(&state, &org).await?;
    render(&state, &user, &org, &q, None).await
}

/// The toggle's fields.
#[derive(Debug, Deserialize)]
pub struct ActivationForm {
    active: bool,
    page: Option<u64>,
    #[serde(default)]
    q: String,
}

/// Activates or deactivates one user; htmx gets the new row, a plain form the list again.
pub async fn set_activation(
    State(state): State<AdminState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    post: CsrfForm<ActivationForm>,
) -> Result<Response, PanelError> {
    let CsrfForm { user, form } = post;
    let back = ListQuery {
        page: form.page,
        q: form.q,
    };
    let org = user.org(&state, &org).await?;
    let id: UserId = id.parse().map_err(|_| PanelError::not_found("user"))?;
    let users = org.users();
    let target = users.get(id).await?;
    let selection = UserSelection::Emails(vec![target.email.clone()]);
    let result = if form.active {
        users.activate(&selection, false).await
    } else {
        users.deactivate(&selection).await
    };
    let problem = match result {
        Ok(_) => {
            state.engine().wake_worker();
            None
        }
        Err(e) => Some(refused(e)?),
    };
    if is_htmx(&headers) && problem.is_none() {
        let updated = users.get(id).await?;
        return Ok(row(&user, org.id(), &updated, &back).into_response());
    }
    match problem {
        Some(text) => user.flash(&state, FlashLevel::Error, text),
        None => {
            let verb = if form.active {
                "activated"
            } else {
                "deactivated"
            };
            user.flash(
                &state,
                FlashLevel::Success,
                format!("{} {verb}.", target.email),
            );
        }
    }
    let link = back.link(org.id(), back.page());
    if is_htmx(&headers) {
        // The browser would follow a 303 inside htmx's request and swap the whole page into
        // the row; ask htmx to load the list (with the message) as a page instead.
        let value = HeaderValue::from_str(&link).map_err(|_| PanelError::not_found("page"))?;
        return Ok(([("hx-redirect", value)], "").into_response());
    }
    Ok(Redirect::to(&link).into_response())
}

/// The message for an activation the store refused, or the error page.
fn refused(e: StoreError) -> Result<String, PanelError> {
    match e {
        StoreError::NotPassedLastCheck(_) | StoreError::UnknownUsers(_) => Ok(e.to_string()),
        other => Err(other.into()),
    }
}

/// Activates every user whose last check was `Ok` (all or nothing).
pub async fn activate_passed(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<NoFields>,
) -> Result<Redirect, PanelError> {
    let org = post.user.org(&state, &org).await?;
    let report = org
        .users()
        .activate(&UserSelection::AllPassedLastCheck, false)
        .await?;
    state.engine().wake_worker();
    post.user.flash(
        &state,
        FlashLevel::Success,
        format!(
            "Activated {} user(s) whose last check passed ({} already active).",
            report.changed.len(),
            report.unchanged.len()
        ),
    );
    Ok(Redirect::to(&format!("/orgs/{}/users", org.id())))
}

/// Deactivates every active user (all or nothing).
pub async fn deactivate_all(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<NoFields>,
) -> Result<Redirect, PanelError> {
    let org = post.user.org(&state, &org).await?;
    let users = org.users();
    let active = UserFilter {
        sync_enabled: Some(true),
        ..UserFilter::default()
    };
    let mut emails = Vec::new();
    loop {
        let page = users
            .list(
                &active,
                PageRequest::new(emails.len() as u64, PageRequest::MAX_LIMIT),
            )
            .await?;
        let done =
            page.items.is_empty() || emails.len() as u64 + page.items.len() as u64 >= page.total;
        emails.extend(page.items.into_iter().map(|u| u.email));
        if done {
            break;
        }
    }
    let n = if emails.is_empty() {
        0
    } else {
        users
            .deactivate(&UserSelection::Emails(emails))
            .await?
            .changed
            .len()
    };
    post.user.flash(
        &state,
        FlashLevel::Success,
        format!("Deactivated {n} user(s)."),
    );
    Ok(Redirect::to(&format!("/orgs/{}/users", org.id())))
}

/// Imports the uploaded CSV file and shows the list with the per-row report.
pub async fn import(
    State(state): State<AdminState>,
    user: PanelUser,
    Path(org): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PanelError> {
    let org = user.org(&state, &org).await?;
    let mut token = None;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        ApiError::new(
            e.status(),
            format!("the upload cannot be read: {}", e.body_text()),
        )
    })? {
        match field.name() {
            Some(CSRF_FIELD) => token = field.text().await.ok(),
            Some("file") => {
                file = Some(field.bytes().await.map_err(|e| {
                    ApiError::new(
                        e.status(),
                        format!("the file cannot be read: {}", e.body_text()),
                    )
                })?);
            }
            _ => {}
        }
    }
    user.check_csrf(token.as_deref())?;
    let answer = match file {
        Some(bytes) if !bytes.is_empty() => import_csv(&org, &bytes).await,
        _ => Err(ApiError::bad_request("choose a CSV file to import").with_field("file")),
    };
    let status = match &answer {
        Ok(_) => StatusCode::OK,
        Err(e) => e.status,
    };
    let page = render(&state, &user, &org, &ListQuery::default(), Some(answer)).await?;
    Ok((status, page).into_response())
}
