//! `/orgs/{org}/webhooks`: the organisation's webhooks with their recent delivery attempts,
//! a form to add one (URL and signing secret), and buttons to enable, disable or delete.
//! Checks go through the API's own (the same 400s naming the field); the secret is never
//! shown again.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use impersync_store::{DeliveryAttempt, OrgStore, Webhook, WebhookId};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PanelError;
use super::form::{CsrfForm, NoFields};
use super::layout::{self, Tab, csrf_field};
use super::session::PanelUser;
use crate::api::webhooks::{WebhookRequest, add, change};
use crate::auth::session::FlashLevel;
use crate::error::ApiError;
use crate::state::AdminState;

/// How many attempts are shown per webhook.
const RECENT: u32 = 5;

/// The add form's fields (the secret is never echoed back).
#[derive(Default, Deserialize)]
pub struct NewWebhookForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
}

/// The enable/disable form.
#[derive(Deserialize)]
pub struct EnabledForm {
    enabled: bool,
}

fn path(org: &OrgStore<'_>) -> String {
    format!("/orgs/{}/webhooks", org.id())
}

fn webhook_id(raw: &str) -> Result<WebhookId, PanelError> {
    raw.parse().map_err(|_| PanelError::not_found("webhook"))
}

fn attempt_row(a: &DeliveryAttempt) -> Markup {
    html! {
        tr {
            td { (a.attempt) }
            td { (layout::time(a.attempted_at)) }
            td { (a.first_id) "–" (a.last_id) }
            td {
                @if a.delivered { span.badge.ok { "delivered" } } @else { span.badge.bad { "failed" } }
            }
            td {
                @if let Some(status) = a.http_status { "HTTP " (status) }
                @if let Some(error) = &a.error { " " small.muted { (error) } }
            }
            td { (a.duration_ms) " ms" }
        }
    }
}

fn webhook_card(
    base: &str,
    user: &PanelUser,
    hook: &Webhook,
    attempts: &[DeliveryAttempt],
) -> Markup {
    let action = format!("{base}/{}", hook.id);
    html! {
        section.card {
            h2 { code { (hook.url) } }
            p {
                @if hook.enabled { span.badge.ok { "enabled" } } @else { span.badge { "disabled" } }
                " Secret: " (hook.secret)
                " · delivered up to change " (hook.delivered_cursor)
                @if hook.failures > 0 {
                    " · " (hook.failures) " failed in a row, next attempt " (layout::time(hook.next_attempt_at))
                }
            }
            @if let Some(error) = &hook.last_error { p.flash.error { (error) } }
            form.inline method="post" action={ (action) "/enabled" } {
                (csrf_field(user))
                input type="hidden" name="enabled" value=(!hook.enabled);
                button type="submit" { @if hook.enabled { "Disable" } @else { "Enable" } }
            }
            form.inline method="post" action={ (action) "/delete" } {
                (csrf_field(user))
                button.danger type="submit" { "Delete" }
            }
            @if attempts.is_empty() {
                p.muted { "No delivery attempts yet." }
            } @else {
                table {
                    thead { tr { th { "#" } th { "When" } th { "Changes" } th { "Result" } th { "Answer" } th { "Took" } } }
                    tbody { @for a in attempts { (attempt_row(a)) } }
                }
            }
        }
    }
}

async fn render(
    state: &AdminState,
    user: &PanelUser,
    org: &OrgStore<'_>,
    form: &NewWebhookForm,
    error: Option<&ApiError>,
) -> Result<Markup, PanelError> {
    let organisation = org.get().await?;
    let base = path(org);
    let mut cards = Vec::new();
    for hook in org.webhooks().list().await? {
        let attempts = org.webhooks().deliveries(hook.id, RECENT).await?;
        cards.push(webhook_card(&base, user, &hook, &attempts));
    }
    let body = html! {
        p.muted {
            "Each webhook receives the change feed as signed JSON POSTs (header X-Impersync-Signature), "
            "retried with back-off until it answers 2xx."
        }
        @if cards.is_empty() { p { "No webhooks yet." } }
        @for card in &cards { (card) }
        form.card method="post" action=(base) {
            h2 { "Add a webhook" }
            @if let Some(e) = error {
                p.flash.error role="alert" { (e.field.as_deref().unwrap_or("form")) ": " (e.message) }
            }
            (csrf_field(user))
            label for="url" { "URL" small.muted { " (https://, a public address unless the organisation is a lab)" } }
            input #url name="url" type="url" value=(form.url) required autocomplete="off";
            label for="secret" { "Signing secret" small.muted { " (at least 16 characters; shown only as set)" } }
            input #secret name="secret" type="password" required autocomplete="new-password";
            button.primary type="submit" { "Add webhook" }
        }
    };
    let flash = user.take_flashes(state);
    Ok(layout::org_page(
        user,
        &flash,
        &organisation,
        Tab::Webhooks,
        body,
    ))
}

/// The webhooks page.
pub async fn list(
    State(state): State<AdminState>,
    user: PanelUser,
    Path(org): Path<String>,
) -> Result<Markup, PanelError> {
    let org = user.org(&state, &org).await?;
    render(&state, &user, &org, &NewWebhookForm::default(), None).await
}

/// Adds a webhook; a refused field is shown on the form (400).
pub async fn create(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<NewWebhookForm>,
) -> Result<Response, PanelError> {
    let CsrfForm { user, form } = post;
    let org = user.org(&state, &org).await?;
    let req = WebhookRequest {
        url: Some(form.url.clone()),
        secret: Some(form.secret.clone()),
        enabled: Some(true),
    };
    match add(&org, req).await {
        Ok(hook) => {
            user.flash(
                &state,
                FlashLevel::Success,
                format!("Webhook {} added.", hook.url),
            );
            Ok(Redirect::to(&path(&org)).into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let page = render(&state, &user, &org, &form, Some(&e)).await?;
            Ok((e.status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Enables or disables a webhook.
pub async fn set_enabled(
    State(state): State<AdminState>,
    Path((org, id)): Path<(String, String)>,
    post: CsrfForm<EnabledForm>,
) -> Result<Redirect, PanelError> {
    let CsrfForm { user, form } = post;
    let org = user.org(&state, &org).await?;
    let req = WebhookRequest {
        enabled: Some(form.enabled),
        ..WebhookRequest::default()
    };
    let hook = change(&org, webhook_id(&id)?, req).await?;
    let what = if hook.enabled { "enabled" } else { "disabled" };
    user.flash(
        &state,
        FlashLevel::Success,
        format!("Webhook {} {what}.", hook.url),
    );
    Ok(Redirect::to(&path(&org)))
}

/// Deletes a webhook.
pub async fn delete(
    State(state): State<AdminState>,
    Path((org, id)): Path<(String, String)>,
    post: CsrfForm<NoFields>,
) -> Result<Redirect, PanelError> {
    let CsrfForm { user, .. } = post;
    let org = user.org(&state, &org).await?;
    org.webhooks().delete(webhook_id(&id)?).await?;
    user.flash(&state, FlashLevel::Success, "Webhook deleted.");
    Ok(Redirect::to(&path(&org)))
}
