//! `/audit`: the audit log, newest first (an org admin sees their organisation's entries).

use axum::extract::{Query, State};
use impersync_store::PageRequest;
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::layout::{self, pager};
use super::session::PanelUser;
use crate::state::AdminState;

/// Entries per page.
const PER_PAGE: u32 = 50;

/// `?page=`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    page: Option<u64>,
}

/// The audit log.
pub async fn list(
    State(state): State<AdminState>,
    user: PanelUser,
    Query(q): Query<AuditQuery>,
) -> Result<Markup, PanelError> {
    let page = q.page.unwrap_or(1).max(1);
    let principal = user.principal();
    let entries = state
        .store()
        .audit_log(&principal)
        .list(PageRequest::new((page - 1) * u64::from(PER_PAGE), PER_PAGE))
        .await?;
    let flash = user.take_flashes(&state);
    Ok(layout::page(
        &user,
        &flash,
        "Audit log",
        html! {
            h1 { "Audit log" }
            table.audit {
                thead { tr { th { "When" } th { "Who" } th { "Action" } th { "Organisation" } th { "Details" } } }
                tbody {
                    @for e in &entries.items {
                        tr {
                            td { (layout::time(e.at)) }
                            td { (e.actor_username.as_deref().unwrap_or(&e.actor)) }
                            td { code { (e.action) } }
                            td { @if let Some(org) = e.org_id { a href={ "/orgs/" (org) "/users" } { (org) } } }
                            td.details { code { (e.details.to_string()) } }
                        }
                    }
                }
            }
            (pager(page, PER_PAGE, entries.total, |p| format!("/audit?page={p}")))
        },
    ))
}
