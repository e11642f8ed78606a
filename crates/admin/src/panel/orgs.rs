//! `/orgs`: the organisations the admin may see, and (for operators) a form to create one.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use impersync_store::{NewOrganisation, PageRequest};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::form::CsrfForm;
use super::layout::{self, csrf_field, pager};
use super::session::PanelUser;
use crate::auth::session::FlashLevel;
use crate::state::AdminState;

/// Organisations per page.
const PER_PAGE: u32 = 50;

/// `?page=`.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<u64>,
}

/// The create form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct NewOrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    domains: String,
}

async fn render(
    state: &AdminState,
    user: &PanelUser,
    page: u64,
    form: &NewOrgForm,
    error: Option<&str>,
) -> Result<Markup, PanelError> {
    let principal = user.principal();
    let list = state
        .store()
        .organisations(&principal)
        .list(PageRequest::new((page - 1) * u64::from(PER_PAGE), PER_PAGE))
        .await?;
    let flash = user.take_flashes(state);
    Ok(layout::page(
        user,
        &flash,
        "Organisations",
        html! {
            h1 { "Organisations" }
            @if list.items.is_empty() {
                p.muted { "No organisations yet." }
            } @else {
                table {
                    thead { tr { th { "Name" } th { "Domains" } th { "Created" } } }
                    tbody {
                        @for org in &list.items {
                            tr {
                                td { a href={ "/orgs/" (org.id) "/users" } { (org.name) } }
                                td { (org.domains.join(", ")) }
                                td { (layout::time(org.created_at)) }
                            }
                        }
                    }
                }
                (pager(page, PER_PAGE, list.total, |p| format!("/orgs?page={p}")))
            }
            @if user.is_operator() {
                form.card method="post" action="/orgs" {
                    h2 { "New organisation" }
                    @if let Some(e) = error { p.flash.error role="alert" { (e) } }
                    (csrf_field(user))
                    label for="name" { "Name" }
                    input #name name="name" value=(form.name) required;
                    label for="domains" { "Domains" small.muted { " (comma-separated, e.g. contoso.com)" } }
                    input #domains name="domains" value=(form.domains) required;
                    button.primary type="submit" { "Create organisation" }
                }
            }
        },
    ))
}

/// The list.
pub async fn list(
    State(state): State<AdminState>,
    user: PanelUser,
    Query(q): Query<PageQuery>,
) -> Result<Markup, PanelError> {
    let page = q.page.unwrap_or(1).max(1);
    render(&state, &user, page, &NewOrgForm::default(), None).await
}

/// Creates an organisation and opens it; shows the form again with the error otherwise.
pub async fn create(
    State(state): State<AdminState>,
    post: CsrfForm<NewOrgForm>,
) -> Result<Response, PanelError> {
    let CsrfForm { user, form } = post;
    let principal = user.principal();
    let new = NewOrganisation {
        name: form.name.trim().to_string(),
        domains: form
            .domains
            .split([',', ' ', ';'])
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(String::from)
            .collect(),
    };
    match state.store().organisations(&principal).create(new).await {
        Ok(org) => {
            user.flash(
                &state,
                FlashLevel::Success,
                format!("Organisation {} created.", org.name),
            );
            Ok(Redirect::to(&format!("/orgs/{}/users", org.id)).into_response())
        }
        Err(e) => {
            let e = crate::error::ApiError::from(e);
            if e.status == StatusCode::FORBIDDEN {
                return Err(e.into());
            }
            let page = render(&state, &user, 1, &form, Some(&e.message)).await?;
            Ok((e.status, page).into_response())
        }
    }
}

/// `/orgs/{org}` opens the users tab.
pub async fn open(
    State(state): State<AdminState>,
    user: PanelUser,
    Path(org): Path<String>,
) -> Result<Redirect, PanelError> {
    let org = user.org(&state, &org).await?;
    Ok(Redirect::to(&format!("/orgs/{}/users", org.id())))
}
