//! `/admins`: the admin accounts, and a form to create one (an operator, or the org admin
//! of one organisation). Operators only: an org admin gets 404.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use impersync_store::{NewAdmin, PageRequest, Role};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::form::CsrfForm;
use super::layout::{self, csrf_field};
use super::session::PanelUser;
use crate::auth::session::FlashLevel;
use crate::error::ApiError;
use crate::state::AdminState;

/// The shortest admin password the form accepts.
const MIN_PASSWORD_LEN: usize = 12;

/// The create form's fields (the password is never shown again).
#[derive(Debug, Default, Deserialize)]
pub struct NewAdminForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    org: String,
}

fn operator_only(user: &PanelUser) -> Result<(), PanelError> {
    if user.is_operator() {
        Ok(())
    } else {
        Err(PanelError::not_found("page"))
    }
}

async fn render(
    state: &AdminState,
    user: &PanelUser,
    form: &NewAdminForm,
    error: Option<&ApiError>,
) -> Result<Markup, PanelError> {
    let principal = user.principal();
    let accounts = state.store().admins(&principal).list().await?;
    let orgs = state
        .store()
        .organisations(&principal)
        .list(PageRequest::new(0, PageRequest::MAX_LIMIT))
        .await?;
    let org_name = |id| {
        orgs.items
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    };
    let flash = user.take_flashes(state);
    Ok(layout::page(
        user,
        &flash,
        "Admins",
        html! {
            h1 { "Admin accounts" }
            table {
                thead { tr { th { "Username" } th { "Role" } th { "Organisation" } th { "Created" } } }
                tbody {
                    @for a in &accounts {
                        tr {
                            td { (a.username) }
                            td { (a.role.as_str()) }
                            td { @if let Role::OrgAdmin(org) = a.role { (org_name(org)) } }
                            td { (layout::time(a.created_at)) }
                        }
                    }
                }
            }
            form.card method="post" action="/admins" {
                h2 { "New admin account" }
                @if let Some(e) = error {
                    p.flash.error role="alert" { (e.field.as_deref().unwrap_or("form")) ": " (e.message) }
                }
                (csrf_field(user))
                label for="username" { "Username" }
                input #username name="username" value=(form.username) required autocomplete="off";
                label for="password" { "Password" small.muted { " (at least " (MIN_PASSWORD_LEN) " characters)" } }
                input #password type="password" name="password" required autocomplete="new-password";
                label for="role" { "Role" }
                select #role name="role" {
                    option value="org_admin" selected[form.role != "operator"] { "org_admin (one organisation)" }
                    option value="operator" selected[form.role == "operator"] { "operator (all organisations)" }
                }
                label for="org" { "Organisation" small.muted { " (for an org_admin)" } }
                select #org name="org" {
                    option value="" { "—" }
                    @for o in &orgs.items {
                        option value=(o.id) selected[form.org == o.id.to_string()] { (o.name) }
                    }
                }
                button.primary type="submit" { "Create admin" }
            }
        },
    ))
}

/// The accounts.
pub async fn list(State(state): State<AdminState>, user: PanelUser) -> Result<Markup, PanelError> {
    operator_only(&user)?;
    render(&state, &user, &NewAdminForm::default(), None).await
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message).with_field(field)
}

/// Checks the form and creates the account.
pub async fn create(
    State(state): State<AdminState>,
    post: CsrfForm<NewAdminForm>,
) -> Result<Response, PanelError> {
    let CsrfForm { user, form } = post;
    operator_only(&user)?;
    let checked = (|| {
        let username = form.username.trim();
        if username.is_empty() {
            return Err(invalid("username", "give a username"));
        }
        if form.password.chars().count() < MIN_PASSWORD_LEN {
            return Err(invalid(
                "password",
                "the password must have at least 12 characters",
            ));
        }
        let role = match (form.role.as_str(), form.org.trim()) {
            ("operator", _) => Role::Operator,
            ("org_admin", "") => {
                return Err(invalid("org", "choose the organisation of the org_admin"));
            }
            ("org_admin", org) => Role::OrgAdmin(
                org.parse()
                    .map_err(|_| invalid("org", "choose an organisation from the list"))?,
            ),
            _ => return Err(invalid("role", "choose operator or org_admin")),
        };
        Ok((username.to_string(), role))
    })();
    let result = match checked {
        Ok((username, role)) => match state.hash_password(&form.password) {
            Ok(password_hash) => state
                .store()
                .admins(&user.principal())
                .create(NewAdmin {
                    username,
                    password_hash,
                    role,
                })
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e.into()),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(account) => {
            user.flash(
                &state,
                FlashLevel::Success,
                format!("Admin {} created.", account.username),
            );
            Ok(Redirect::to("/admins").into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let page = render(&state, &user, &form, Some(&e)).await?;
            Ok((e.status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
