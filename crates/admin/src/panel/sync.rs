//! The sync tab: counts by state, an alert when too many mailboxes fail, and a page of
//! mailboxes (filterable by state) with last success, items per folder, the error and its
//! remedy, the next run and a "Sync now" button.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use impersync_store::{ALL_STATES, MailboxEntry, MailboxState, PageRequest};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::form::CsrfForm;
use super::layout::{self, Tab, csrf_field, pager, time};
use super::session::{PanelUser, is_htmx};
use crate::api::mailbox_sync::request_sync;
use crate::api::mailboxes::{state_filter, summary};
use crate::auth::session::FlashLevel;
use crate::state::AdminState;

/// Mailboxes per page.
pub const PER_PAGE: u32 = 50;

/// `?state=&page=` (also the hidden fields of "Sync now", to come back to the same view).
#[derive(Debug, Default, Deserialize)]
pub struct SyncQuery {
    /// Only mailboxes in this state.
    #[serde(default)]
    state: String,
    /// The page, from 1.
    page: Option<u64>,
}

impl SyncQuery {
    fn page(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }

    fn link(&self, org: impl std::fmt::Display, page: u64) -> String {
        let mut url = format!("/orgs/{org}/sync?page={page}");
        if !self.state.is_empty() {
            url.push_str("&state=");
            url.push_str(&layout::query_value(&self.state));
        }
        url
    }
}

/// A state as a badge.
fn state_badge(state: MailboxState) -> Markup {
    let class = match state {
        MailboxState::Idle => "badge ok",
        MailboxState::Syncing => "badge",
        MailboxState::Backoff | MailboxState::NeedsAttention => "badge bad",
    };
    html! { span class=(class) { (state.as_str()) } }
}

/// One mailbox's row (also the answer to an htmx "Sync now").
fn row(user: &PanelUser, org: impl std::fmt::Display, m: &MailboxEntry, q: &SyncQuery) -> Markup {
    let action = format!("/orgs/{org}/sync/{}/now", m.status.user);
    html! {
        tr id={ "mailbox-" (m.status.user) } {
            td { (m.email) @if !m.display_name.is_empty() { br; small.muted { (m.display_name) } } }
            td { (state_badge(m.status.state)) }
            td { @match m.status.last_success_at { Some(at) => (time(at)), None => span.muted { "never" } } }
            td {
                @if m.folders.is_empty() { span.muted { "none" } }
                @for (folder, n) in &m.folders { span.folder { (folder) " " (n) } " " }
            }
            td {
                @match &m.status.last_error {
                    Some(e) => {
                        span.badge.bad { (e.outcome) } @if let Some(code) = &e.code { " " code { (code) } }
                        p { (e.message) }
                        p.muted { (e.remedy) }
                    },
                    None => span.muted { "none" },
                }
            }
            td { @match m.status.next_due_at { Some(at) => (time(at)), None => span.muted { "not scheduled" } } }
            td {
                form.inline method="post" action=(action) hx-post=(action) hx-target="closest tr" hx-swap="outerHTML" {
                    (csrf_field(user))
                    input type="hidden" name="state" value=(q.state);
                    input type="hidden" name="page" value=(q.page());
                    button type="submit" { "Sync now" }
                }
            }
        }
    }
}

/// The sync tab.
pub async fn show(
    State(state): State<AdminState>,
    user: PanelUser,
    Path(org): Path<String>,
    Query(q): Query<SyncQuery>,
) -> Result<Markup, PanelError> {
    let org = user.org(&state, &org).await?;
    let organisation = org.get().await?;
    let filter = state_filter(Some(&q.state))?;
    let page = q.page();
    let summary = summary(&state, &org).await?;
    let list = org
        .mailboxes()
        .list(
            filter,
            PageRequest::new((page - 1) * u64::from(PER_PAGE), PER_PAGE),
        )
        .await?;
    let id = org.id();
    let flash = user.take_flashes(&state);
    let body = html! {
        @if summary.alert {
            p.flash.error role="alert" {
                (summary.failing) " of " (summary.total) " mailboxes fail (need attention or are backed off), more than "
                (summary.alert_threshold_percent) "%. Check the errors and remedies below."
            }
        }
        ul.counts {
            li { "All: " strong { (summary.total) } }
            @for s in ALL_STATES { li { (state_badge(s)) " " strong { (summary.counts.get(s)) } } }
        }
        form.search method="get" action={ "/orgs/" (id) "/sync" } {
            label for="state" { "State" }
            select #state name="state" {
                option value="" selected[filter.is_none()] { "every state" }
                @for s in ALL_STATES { option value=(s.as_str()) selected[filter == Some(s)] { (s.as_str()) } }
            }
            button type="submit" { "Filter" }
        }
        @if list.items.is_empty() {
            p.muted { "No mailbox to show: activate users on the Users tab to sync them." }
        } @else {
            table.mailboxes {
                thead { tr {
                    th { "Mailbox" } th { "State" } th { "Last success" } th { "Items per folder" }
                    th { "Error and remedy" } th { "Next run" } th {}
                } }
                tbody { @for m in &list.items { (row(&user, id, m, &q)) } }
            }
            (pager(page, PER_PAGE, list.total, |p| q.link(id, p)))
        }
    };
    Ok(layout::org_page(
        &user,
        &flash,
        &organisation,
        Tab::Sync,
        body,
    ))
}

/// Syncs one mailbox now; htmx gets the new row, a plain form the page again.
pub async fn sync_now(
    State(state): State<AdminState>,
    Path((org, id)): Path<(String, String)>,
    headers: HeaderMap,
    post: CsrfForm<SyncQuery>,
) -> Result<Response, PanelError> {
    let CsrfForm { user, form } = post;
    let org = user.org(&state, &org).await?;
    let id = id.parse().map_err(|_| PanelError::not_found("user"))?;
    let target = org.users().get(id).await?;
    let entry = request_sync(&state, &org, &target).await?;
    if is_htmx(&headers) {
        return Ok(row(&user, org.id(), &entry, &form).into_response());
    }
    user.flash(
        &state,
        FlashLevel::Success,
        format!("{} is due for sync now.", target.email),
    );
    let link = form.link(org.id(), form.page());
    Ok(Redirect::to(&link).into_response())
}
