//! The "Email Configuration" tab: the mailbox access type and its credentials, the EWS
//! URL, TLS, id type, folders and poll interval, with the labels of the setup guide.
//! Secrets are write-only: the form shows only whether one is set, and an empty field
//! keeps the stored value.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use impersync_engine::check_run::CheckSelection;
use impersync_engine::ews_url::{EwsUrlError, EwsUrlSource};
use impersync_engine::m365::TokenStatus;
use impersync_exchange::TlsPolicy;
use impersync_store::{AccessType, EmailConfig, OrgStore, SecretStatus};
use maud::{Markup, html};
use serde::Deserialize;

use super::check_runs::begin;
use super::error::PanelError;
use super::form::CsrfForm;
use super::layout::{self, Tab, csrf_field};
use super::session::PanelUser;
use crate::api::email_config::{EmailConfigRequest, save};
use crate::auth::session::FlashLevel;
use crate::error::ApiError;
use crate::state::AdminState;

/// The form's fields, as typed (secrets are never filled in).
#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
pub struct EmailConfigForm {
    #[serde(default)]
    access_type: String,
    #[serde(default)]
    ews_url: String,
    autodiscover: Option<String>,
    lab: Option<String>,
    #[serde(default)]
    logon: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    auth: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_url: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    tls_mode: String,
    #[serde(default)]
    tls_pin: String,
    #[serde(default)]
    id_type: String,
    #[serde(default)]
    folders: String,
    #[serde(default)]
    poll_interval_secs: String,
}

/// What is stored beyond the form: secret states and the signed-in account.
#[derive(Debug, Default)]
struct Stored {
    password: Option<SecretStatus>,
    client_secret: Option<SecretStatus>,
    refresh_token: Option<SecretStatus>,
    signed_in_account: Option<String>,
    tls_warning: Option<&'static str>,
    saved: bool,
    tokens: Option<TokenStatus>,
}

fn secret_option(value: String) -> Option<Option<String>> {
    (!value.is_empty()).then_some(Some(value))
}

impl EmailConfigForm {
    fn from_config(config: Option<&EmailConfig>) -> (Self, Stored) {
        let Some(c) = config else {
            return (
                Self {
                    access_type: "ExchangeImpersonation".into(),
                    auth: "NTLM".into(),
                    tls_mode: "verify".into(),
                    id_type: "SmtpAddress".into(),
                    folders: "inbox, calendar, contacts".into(),
                    poll_interval_secs: "300".into(),
                    ..Self::default()
                },
                Stored::default(),
            );
        };
        let s = &c.settings;
        let (tls_mode, tls_pin) = match s.tls_policy.split_once(':') {
            Some(("pin", pin)) => ("pin".to_string(), pin.to_string()),
            _ => (s.tls_policy.clone(), String::new()),
        };
        let mut form = Self {
            access_type: s.access.name().into(),
            ews_url: s.ews_url.clone().unwrap_or_default(),
            autodiscover: s.autodiscover.then(|| "true".into()),
            lab: s.lab.then(|| "true".into()),
            tls_mode,
            tls_pin,
            id_type: s.id_type.clone(),
            folders: s.folders.join(", "),
            poll_interval_secs: s.poll_interval_secs.to_string(),
            auth: "NTLM".into(),
            ..Self::default()
        };
        let mut stored = Stored {
            tls_warning: s
                .tls_policy
                .parse::<TlsPolicy>()
                .ok()
                .and_then(|p| p.warning()),
            saved: s.saved,
            ..Stored::default()
        };
        match &s.access {
            AccessType::ExchangeImpersonation {
                logon,
                auth,
                password,
            } => {
                form.logon = logon.clone();
                form.auth = auth.as_str().into();
                stored.password = Some(*password);
            }
            AccessType::M365OAuthImpersonation {
                authority,
                tenant,
                client_id,
                redirect_url,
                client_secret,
                refresh_token,
                signed_in_account,
            } => {
                form.authority = authority.clone();
                form.tenant = tenant.clone();
                form.client_id = client_id.clone();
                form.redirect_url = redirect_url.clone();
                stored.client_secret = Some(*client_secret);
                stored.refresh_token = Some(*refresh_token);
                stored.signed_in_account = signed_in_account.clone();
            }
        }
        (form, stored)
    }

    /// The API's request for these fields (an empty secret keeps the stored one).
    fn request(&self) -> Result<EmailConfigRequest, ApiError> {
        let poll = self.poll_interval_secs.trim();
        let poll_interval_secs = if poll.is_empty() {
            None
        } else {
            Some(poll.parse().map_err(|_| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "the poll interval must be a whole number of seconds",
                )
                .with_field("poll_interval_secs")
            })?)
        };
        let tls_policy = match self.tls_mode.as_str() {
            "pin" => format!("pin:{}", self.tls_pin.trim()),
            other => other.to_string(),
        };
        let exchange = self.access_type == "ExchangeImpersonation";
        let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        Ok(EmailConfigRequest {
            access_type: text(&self.access_type),
            logon: text(&self.logon).filter(|_| exchange),
            auth: text(&self.auth).filter(|_| exchange),
            password: secret_option(self.password.clone()).filter(|_| exchange),
            authority: text(&self.authority),
            tenant: text(&self.tenant),
            client_id: text(&self.client_id),
            redirect_url: text(&self.redirect_url),
            client_secret: secret_option(self.client_secret.clone()).filter(|_| !exchange),
            refresh_token: None,
            signed_in_account: None,
            ews_url: text(&self.ews_url),
            autodiscover: self.autodiscover.is_some(),
            tls_policy: Some(tls_policy),
            id_type: text(&self.id_type),
            folders: Some(
                self.folders
                    .split(',')
                    .map(|f| f.trim().to_string())
                    .filter(|f| !f.is_empty())
                    .collect(),
            ),
            poll_interval_secs,
            lab: self.lab.is_some(),
        })
    }
}

/// How the form names a request field.
fn label(field: &str) -> &str {
    match field {
        "access_type" => "Mailbox Access Type",
        "ews_url" => "EWS URL",
        "logon" => "Service account logon",
        "password" => "Service account password",
        "auth" => "Authentication",
        "authority" => "Authority",
        "tenant" => "Tenant",
        "client_id" => "Client id",
        "redirect_url" => "Redirect URL",
        "client_secret" => "Client secret",
        "tls_policy" => "TLS policy",
        "id_type" => "Impersonated id type",
        "folders" => "Folders",
        "poll_interval_secs" => "Poll interval",
        other => other,
    }
}

fn secret_state(status: Option<SecretStatus>) -> &'static str {
    match status {
        Some(SecretStatus::Set) => "set – leave empty to keep it",
        _ => "not set",
    }
}

fn options(name: &str, current: &str, choices: &[(&str, &str)]) -> Markup {
    html! {
        select #(name) name=(name) {
            @for (value, text) in choices {
                option value=(value) selected[*value == current] { (text) }
            }
        }
    }
}

fn field_error(error: Option<&ApiError>, field: &str) -> Markup {
    html! {
        @if let Some(e) = error.filter(|e| e.field.as_deref() == Some(field)) {
            p.field-error role="alert" { (e.message) }
        }
    }
}

/// The EWS URL input with the magic wand, and what the wand said last.
fn ews_url_field(wand: &str, value: &str, note: Option<(&str, &str)>) -> Markup {
    html! {
        div #ews-url-field {
            div.with-button {
                input #ews_url name="ews_url" value=(value) placeholder="https://mail.contoso.com/EWS/Exchange.asmx";
                button #magic-wand type="button" hx-post=(wand) hx-include="#email-config" hx-target="#ews-url-field" hx-swap="outerHTML"
                    title="Propose the EWS URL from the organisation's domain (Autodiscover, else mail.<domain>)" { "Magic wand" }
            }
            @if let Some((class, text)) = note { p class=(class) role="status" { (text) } }
        }
    }
}

fn wand_url(org: &impl std::fmt::Display) -> String {
    format!("/orgs/{org}/email-config/magic-wand")
}

/// The form, with `error` shown at its field.
fn view(
    user: &PanelUser,
    org: impl std::fmt::Display,
    f: &EmailConfigForm,
    stored: &Stored,
    error: Option<&ApiError>,
) -> Markup {
    let wand = wand_url(&org);
    html! {
        @if let Some(e) = error {
            p.flash.error role="alert" {
                "Not saved: " (e.field.as_deref().map(label).unwrap_or("form")) ": " (e.message)
            }
        }
        @if !stored.saved && stored.password.or(stored.refresh_token).is_some() {
            p.flash.warning { "This configuration is a draft: it has been checked but not saved." }
        }
        form.card.email-config #email-config method="post" action={ "/orgs/" (org) "/email-config" } {
            (csrf_field(user))
            label for="access_type" { "Mailbox Access Type" }
            (options("access_type", &f.access_type, &[
                ("ExchangeImpersonation", "ExchangeImpersonation"),
                ("M365OAuthImpersonation", "M365OAuthImpersonation"),
            ]))
            (field_error(error, "access_type"))

            label for="ews_url" { "EWS URL" }
            (ews_url_field(&wand, &f.ews_url, None))
            (field_error(error, "ews_url"))
            label.check { input type="checkbox" name="autodiscover" value="true" checked[f.autodiscover.is_some()]; " Find the EWS URL with Autodiscover" }
            label.check { input type="checkbox" name="lab" value="true" checked[f.lab.is_some()]; " Lab organisation (allow plain http:// URLs)" }

            fieldset.exchange-only {
                legend { "ExchangeImpersonation" }
                label for="logon" { "Service account logon" }
                input #logon name="logon" value=(f.logon) placeholder="CONTOSO\\MasterImpersonation" autocomplete="off";
                (field_error(error, "logon"))
                label for="password" { "Service account password" small.muted { " (" (secret_state(stored.password)) ")" } }
                input #password type="password" name="password" autocomplete="new-password";
                (field_error(error, "password"))
                label for="auth" { "Authentication" }
                (options("auth", &f.auth, &[("NTLM", "NTLM"), ("Basic", "Basic")]))
                (field_error(error, "auth"))
            }

            fieldset.oauth-only {
                legend { "M365OAuthImpersonation" }
                label for="authority" { "Authority" }
                input #authority name="authority" value=(f.authority) placeholder="https://login.microsoftonline.com";
                (field_error(error, "authority"))
                label for="tenant" { "Tenant" }
                input #tenant name="tenant" value=(f.tenant);
                (field_error(error, "tenant"))
                label for="client_id" { "Client id" }
                input #client_id name="client_id" value=(f.client_id);
                (field_error(error, "client_id"))
                label for="redirect_url" { "Redirect URL" }
                input #redirect_url name="redirect_url" value=(f.redirect_url);
                (field_error(error, "redirect_url"))
                label for="client_secret" { "Client secret" small.muted { " (" (secret_state(stored.client_secret)) ")" } }
                input #client_secret type="password" name="client_secret" autocomplete="new-password";
                (field_error(error, "client_secret"))
                div.oauth-state {
                    p {
                        @match (&stored.signed_in_account, stored.refresh_token) {
                            (Some(account), Some(SecretStatus::Set)) => { "Signed in as " strong { (account) } "; refresh token set." }
                            (_, Some(SecretStatus::Set)) => { "Refresh token set." }
                            _ => { "Not signed in yet." }
                        }
                    }
                    @if let Some(t) = &stored.tokens {
                        @if let Some(at) = t.access_token_expires_at { p.muted { "Access token valid until " (layout::time(at)) "." } }
                        @if let Some(at) = t.last_refresh_at { p.muted { "Last token refresh " (layout::time(at)) "." } }
                        @if let Some(e) = &t.last_error { p.flash.error role="alert" { "Last token refresh failed: " (e) } }
                    }
                }
                button #oauth-start type="submit" formaction={ "/orgs/" (org) "/email-config/oauth-start" } { "Sign in with Microsoft 365" }
            }

            label for="tls_mode" { "TLS policy" }
            (options("tls_mode", &f.tls_mode, &[
                ("verify", "verify (recommended)"),
                ("pin", "pin a certificate (SHA-256)"),
                ("ignore-trust", "ignore trust (unsafe)"),
            ]))
            input #tls_pin.tls-pin name="tls_pin" value=(f.tls_pin) placeholder="certificate SHA-256 (64 hex digits)" aria-label="Pinned certificate SHA-256";
            p.warning.tls-warning { "Warning: pinning stops working when the certificate is renewed, and ignoring trust lets a man in the middle read the service account's credentials." }
            @if let Some(w) = stored.tls_warning { p.flash.warning role="alert" { (w) } }
            (field_error(error, "tls_policy"))

            label for="id_type" { "Impersonated id type" }
            (options("id_type", &f.id_type, &[
                ("SmtpAddress", "SmtpAddress"),
                ("PrimarySmtpAddress", "PrimarySmtpAddress"),
                ("PrincipalName", "PrincipalName"),
                ("SID", "SID"),
            ]))
            (field_error(error, "id_type"))
            label for="folders" { "Folders" small.muted { " (comma-separated)" } }
            input #folders name="folders" value=(f.folders);
            (field_error(error, "folders"))
            label for="poll_interval_secs" { "Poll interval (seconds)" }
            input #poll_interval_secs type="number" name="poll_interval_secs" value=(f.poll_interval_secs) min="30";
            (field_error(error, "poll_interval_secs"))

            div.actions {
                button #check type="submit" formaction={ "/orgs/" (org) "/email-config/check" } { "Check Users Exchange Impersonated Access" }
                button.primary #save type="submit" { "Save" }
            }
        }
    }
}

async fn render(
    state: &AdminState,
    user: &PanelUser,
    org: &OrgStore<'_>,
    typed: Option<(&EmailConfigForm, &ApiError)>,
) -> Result<Markup, PanelError> {
    let organisation = org.get().await?;
    let config = org.email_config().get().await?;
    let (stored_form, mut stored) = EmailConfigForm::from_config(config.as_ref());
    if stored.refresh_token.is_some() {
        stored.tokens = Some(state.m365().tokens.status(org.id()));
    }
    let (form, error) = match typed {
        Some((form, error)) => (form, Some(error)),
        None => (&stored_form, None),
    };
    let flash = user.take_flashes(state);
    Ok(layout::org_page(
        user,
        &flash,
        &organisation,
        Tab::EmailConfig,
        view(user, org.id(), form, &stored, error),
    ))
}

/// The tab.
pub async fn show(
    State(state): State<AdminState>,
    user: PanelUser,
    Path(org): Path<String>,
) -> Result<Markup, PanelError> {
    let org = user.org(&state, &org).await?;
    render(&state, &user, &org, None).await
}

/// Checks the form and saves it as a draft (`saved` false) or for good; on a refusal the
/// form comes back with what was typed (never a secret) and the error at its field.
pub(crate) async fn store_form(
    state: &AdminState,
    user: &PanelUser,
    org: &OrgStore<'_>,
    form: &EmailConfigForm,
    saved: bool,
) -> Result<Result<Vec<String>, Response>, PanelError> {
    let result = match form.request() {
        Ok(req) => save(state, org, req, saved).await.map(|s| s.warnings),
        Err(e) => Err(e),
    };
    match result {
        Ok(warnings) => Ok(Ok(warnings)),
        Err(e) if e.field.is_some() || e.status.is_client_error() => {
            let page = render(state, user, org, Some((form, &e))).await?;
            Ok(Err((e.status, page).into_response()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Saves the form; warns (but saves) when no check run has passed yet.
pub async fn submit(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<EmailConfigForm>,
) -> Result<Response, PanelError> {
    let CsrfForm { user, form } = post;
    let org = user.org(&state, &org).await?;
    let warnings = match store_form(&state, &user, &org, &form, true).await? {
        Ok(w) => w,
        Err(page) => return Ok(page),
    };
    user.flash(&state, FlashLevel::Success, "Email configuration saved.");
    for w in warnings {
        user.flash(&state, FlashLevel::Warning, w);
    }
    Ok(Redirect::to(&format!("/orgs/{}/email-config", org.id())).into_response())
}

/// "Check Users Exchange Impersonated Access": keeps a changed form as a draft (so the
/// check uses what was typed; a saved configuration checked unchanged stays saved) and
/// checks every user.
pub async fn check(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<EmailConfigForm>,
) -> Result<Response, PanelError> {
    let CsrfForm { user, form } = post;
    let org = user.org(&state, &org).await?;
    let stored = org.email_config().get().await?;
    let unchanged = stored.as_ref().is_some_and(|c| c.settings.saved)
        && form.password.is_empty()
        && form.client_secret.is_empty()
        && EmailConfigForm::from_config(stored.as_ref()).0 == form;
    if !unchanged && let Err(page) = store_form(&state, &user, &org, &form, false).await? {
        return Ok(page);
    }
    let back = format!("/orgs/{}/email-config", org.id());
    Ok(begin(&state, &user, org.id(), CheckSelection::All, &back)
        .await?
        .into_response())
}

/// The magic wand (htmx): the EWS URL field with the proposed URL and where it came from.
/// When a new service-account password was typed, the form is first kept as a draft (with
/// Autodiscover on if no URL is given), so that Autodiscover logs on as that account.
pub async fn magic_wand(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<EmailConfigForm>,
) -> Result<Markup, PanelError> {
    let CsrfForm { user, form } = post;
    let scope = user.org(&state, &org).await?;
    let org = scope.id();
    let wand = wand_url(&org);
    let typed_credentials = form.access_type == "ExchangeImpersonation"
        && !form.logon.trim().is_empty()
        && !form.password.is_empty();
    if typed_credentials && let Ok(mut req) = form.request() {
        req.autodiscover |= req.ews_url.is_none();
        if let Err(e) = save(&state, &scope, req, false).await {
            let text = format!("Autodiscover not tried: {}", e.message);
            return Ok(ews_url_field(
                &wand,
                &form.ews_url,
                Some(("field-error", &text)),
            ));
        }
    }
    match state
        .engine()
        .generate_ews_url(&user.principal(), org)
        .await
    {
        Ok(g) => {
            let source = match g.source {
                EwsUrlSource::Autodiscover => "Autodiscover",
                EwsUrlSource::Fallback => "the domain (Autodiscover found nothing)",
            };
            let note = format!("Proposed from {source}: {}", g.reason);
            Ok(ews_url_field(&wand, &g.ews_url, Some(("muted", &note))))
        }
        Err(EwsUrlError::NoDomain) => {
            let text = EwsUrlError::NoDomain.to_string();
            Ok(ews_url_field(&wand, "", Some(("field-error", &text))))
        }
        Err(EwsUrlError::Store(e)) => Err(e.into()),
    }
}

/// "Sign in with Microsoft 365": keeps the form as a draft (the sign-in reads the stored
/// authority, tenant and client) and sends the browser to the authority's sign-in page;
/// `/oauth/callback` brings it back to this tab.
pub async fn oauth_start(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    post: CsrfForm<EmailConfigForm>,
) -> Result<Response, PanelError> {
    let CsrfForm { user, form } = post;
    let org = user.org(&state, &org).await?;
    if let Err(page) = store_form(&state, &user, &org, &form, false).await? {
        return Ok(page);
    }
    match state.m365().sign_ins.start(&org).await {
        Ok(started) => Ok(Redirect::to(&started.authorize_url).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            if e.status.is_server_error() && e.status != StatusCode::BAD_GATEWAY {
                return Err(e.into());
            }
            let page = render(&state, &user, &org, Some((&form, &e))).await?;
            Ok((e.status, page).into_response())
        }
    }
}
