//! An organisation's email configuration: read it back (secrets shown only as "set" or
//! "not set") and save it after checking every field; secrets are write-only.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use impersync_exchange::{GuardedUrl, IdType, TlsPolicy, UrlPolicy, UrlRefused};
use impersync_store::{
    AccessType, CheckRunStatus, EmailConfig, EmailSettingsInput, ExchangeAuth, OrgStore,
    POLL_INTERVAL_RANGE, PageRequest, SecretString, SecretUpdate, StoreError,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// The shortest poll interval the API accepts, in seconds.
pub const MIN_POLL_INTERVAL_SECS: u32 = 30;

/// The folders synced when the request names none.
const DEFAULT_FOLDERS: [&str; 3] = ["inbox", "calendar", "contacts"];

/// A value that may be absent (`None`), `null` (`Some(None)`) or given (`Some(Some(..))`).
type Patch = Option<Option<String>>;

fn patch<'de, D: Deserializer<'de>>(d: D) -> Result<Patch, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The body of `PUT /api/orgs/{org}/email-config`. Secrets (`password`, `client_secret`,
/// `refresh_token`) are write-only: absent keeps the stored value, a string sets it, `null`
/// clears it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailConfigRequest {
    /// `ExchangeImpersonation` or `M365OAuthImpersonation`.
    pub access_type: Option<String>,
    /// The service account's logon (`ExchangeImpersonation`).
    pub logon: Option<String>,
    /// `Basic` or `NTLM` (`ExchangeImpersonation`; NTLM when absent).
    pub auth: Option<String>,
    /// The service account's password (`ExchangeImpersonation`).
    #[serde(default, deserialize_with = "patch")]
    pub password: Patch,
    /// The OAuth authority (`M365OAuthImpersonation`).
    pub authority: Option<String>,
    /// The tenant id or domain (`M365OAuthImpersonation`).
    pub tenant: Option<String>,
    /// The app registration's client id (`M365OAuthImpersonation`).
    pub client_id: Option<String>,
    /// The redirect URL registered for the app (`M365OAuthImpersonation`).
    pub redirect_url: Option<String>,
    /// The app's client secret (`M365OAuthImpersonation`).
    #[serde(default, deserialize_with = "patch")]
    pub client_secret: Patch,
    /// The refresh token (`M365OAuthImpersonation`).
    #[serde(default, deserialize_with = "patch")]
    pub refresh_token: Patch,
    /// The account that signed in (`M365OAuthImpersonation`); absent keeps the stored one.
    #[serde(default, deserialize_with = "patch")]
    pub signed_in_account: Patch,
    /// The EWS URL; required unless `autodiscover` is true.
    pub ews_url: Option<String>,
    /// Find the EWS URL with Autodiscover.
    #[serde(default)]
    pub autodiscover: bool,
    /// `verify` (the default), `pin:SHA256` or `ignore-trust`.
    pub tls_policy: Option<String>,
    /// The impersonated-id type (`SmtpAddress` when absent).
    pub id_type: Option<String>,
    /// The folders to sync.
    pub folders: Option<Vec<String>>,
    /// Seconds between polls of a mailbox (300 when absent).
    pub poll_interval_secs: Option<u32>,
    /// A lab organisation: plain `http://` EWS URLs are allowed.
    #[serde(default)]
    pub lab: bool,
}

/// The answer to a save: the configuration as `GET` shows it, plus warnings.
#[derive(Debug, Serialize)]
pub struct SavedEmailConfig {
    /// The saved configuration.
    #[serde(flatten)]
    pub config: EmailConfig,
    /// Things the admin should know about the saved settings.
    pub warnings: Vec<String>,
}

/// A non-empty, trimmed text field, or its name when it is missing.
fn required(value: Option<String>, field: &'static str, missing: &mut Vec<&'static str>) -> String {
    let value = value.map(|v| v.trim().to_string()).unwrap_or_default();
    if value.is_empty() {
        missing.push(field);
    }
    value
}

fn secret(update: Patch) -> SecretUpdate {
    match update {
        None => SecretUpdate::Keep,
        Some(None) => SecretUpdate::Clear,
        Some(Some(value)) => SecretUpdate::Set(SecretString::new(value)),
    }
}

fn guard(field: &str, url: &str, allow_insecure_http: bool) -> Result<(), ApiError> {
    GuardedUrl::new(
        url,
        UrlPolicy {
            allow_insecure_http,
        },
    )
    .map_err(|e| {
        let hint = match e {
            UrlRefused::InsecureHttp(_) => " (here: set \"lab\": true for a lab organisation)",
            _ => "",
        };
        ApiError::invalid(field, format!("{field} is refused: {e}{hint}"))
    })?;
    Ok(())
}

/// Checks the request and turns it into the store's settings, with any warnings.
/// `stored_account` is the signed-in account already stored for an M365 configuration.
fn settings(
    req: EmailConfigRequest,
    stored_account: Option<String>,
) -> Result<(EmailSettingsInput, Vec<String>), ApiError> {
    let mut missing = Vec::new();
    let access_type = required(req.access_type, "access_type", &mut missing);
    let access = match access_type.as_str() {
        "" => None,
        "ExchangeImpersonation" => {
            let auth = match req.auth.as_deref().map(str::trim) {
                None | Some("NTLM") => ExchangeAuth::Ntlm,
                Some("Basic") => ExchangeAuth::Basic,
                Some(other) => {
                    return Err(ApiError::invalid(
                        "auth",
                        format!("`{other}` is not an auth method; use Basic or NTLM"),
                    ));
                }
            };
            Some(AccessType::ExchangeImpersonation {
                logon: required(req.logon, "logon", &mut missing),
                auth,
                password: secret(req.password),
            })
        }
        "M365OAuthImpersonation" => {
            let authority = required(req.authority, "authority", &mut missing);
            let tenant = required(req.tenant, "tenant", &mut missing);
            let client_id = required(req.client_id, "client_id", &mut missing);
            let redirect_url = required(req.redirect_url, "redirect_url", &mut missing);
            if !authority.is_empty() {
                guard("authority", &authority, req.lab)?;
            }
            let refresh_token = secret(req.refresh_token);
            // The stored account stays only with the stored refresh token it signed in for.
            let signed_in_account = match req.signed_in_account {
                None if refresh_token == SecretUpdate::Keep => stored_account,
                None => None,
                Some(account) => account,
            };
            Some(AccessType::M365OAuthImpersonation {
                authority,
                tenant,
                client_id,
                redirect_url,
                client_secret: secret(req.client_secret),
                refresh_token,
                signed_in_account,
            })
        }
        other => {
            return Err(ApiError::invalid(
                "access_type",
                format!(
                    "`{other}` is not an access type; use ExchangeImpersonation or M365OAuthImpersonation"
                ),
            ));
        }
    };
    let ews_url = req
        .ews_url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    if ews_url.is_none() && !req.autodiscover {
        missing.push("ews_url");
    }
    let Some(access) = access.filter(|_| missing.is_empty()) else {
        return Err(ApiError::invalid(
            missing[0],
            format!(
                "missing required fields: {} (give ews_url, or set autodiscover to true)",
                missing.join(", ")
            ),
        ));
    };
    if let Some(url) = &ews_url {
        guard("ews_url", url, req.lab)?;
    }
    let tls = req
        .tls_policy
        .as_deref()
        .unwrap_or("verify")
        .parse::<TlsPolicy>()
        .map_err(|e| ApiError::invalid("tls_policy", e.to_string()))?;
    let id_type = req
        .id_type
        .as_deref()
        .unwrap_or("SmtpAddress")
        .trim()
        .parse::<IdType>()
        .map_err(|e| ApiError::invalid("id_type", e))?;
    let poll_interval_secs = req.poll_interval_secs.unwrap_or(300);
    let (min, max) = (MIN_POLL_INTERVAL_SECS, *POLL_INTERVAL_RANGE.end());
    if !(min..=max).contains(&poll_interval_secs) {
        return Err(ApiError::invalid(
            "poll_interval_secs",
            format!("the poll interval must be between {min} and {max} seconds"),
        ));
    }
    let folders = req
        .folders
        .unwrap_or_else(|| DEFAULT_FOLDERS.map(String::from).to_vec());
    if folders.iter().all(|f| f.trim().is_empty()) {
        return Err(ApiError::invalid(
            "folders",
            "name at least one folder to sync",
        ));
    }
    if folders.iter().any(|f| f.trim().is_empty()) {
        return Err(ApiError::invalid("folders", "a folder name is empty"));
    }
    let warnings = tls.warning().map(String::from).into_iter().collect();
    Ok((
        EmailSettingsInput {
            access,
            ews_url,
            autodiscover: req.autodiscover,
            tls_policy: tls.to_string(),
            id_type: id_type.to_string(),
            folders,
            poll_interval_secs,
            lab: req.lab,
            saved: true,
        },
        warnings,
    ))
}

/// The saved configuration; secrets show as "set" or "not set".
#[utoipa::path(
    operation_id = "email_config_get",
    get,
    path = "/api/orgs/{org}/email-config",
    tag = "email-config",
    summary = "The email configuration; secrets show as \"set\" or \"not set\"",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 200, description = "The configuration", body = serde_json::Value),
        OrgErrors
    )
)]
pub async fn get(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<EmailConfig>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let config = org.email_config().get().await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "this organisation has no email configuration yet; save one with PUT",
        )
    })?;
    Ok(Json(config))
}

/// Checks and saves the configuration (the store encrypts the secrets and audits the change);
/// a cached Microsoft 365 access token is dropped, as it may belong to the old settings.
#[utoipa::path(
    operation_id = "email_config_put",
    put,
    path = "/api/orgs/{org}/email-config",
    tag = "email-config",
    summary = "Save the email configuration (secrets are write-only)",
    params(("org" = String, Path, description = "The organisation id")),
    request_body = EmailConfigRequest,
    responses(
        (status = 200, description = "The saved configuration with warnings", body = serde_json::Value),
        OrgErrors,
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn put(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<EmailConfigRequest>, JsonRejection>,
) -> Result<Json<SavedEmailConfig>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let Json(req) = body?;
    Ok(Json(save(&state, &org, req, true).await?))
}

/// Checks a request and saves it (the store encrypts the secrets and audits the change) and
/// drops a cached Microsoft 365 access token; `saved` false keeps it as a draft. The
/// panel's form saves through it too.
pub(crate) async fn save(
    state: &AdminState,
    org: &OrgStore<'_>,
    req: EmailConfigRequest,
    saved: bool,
) -> Result<SavedEmailConfig, ApiError> {
    let configs = org.email_config();
    let stored = configs.get().await?;
    let stored_lab = stored.as_ref().is_some_and(|c| c.settings.lab);
    if req.lab && !stored_lab && !org.principal().is_operator() {
        return Err(ApiError::invalid(
            "lab",
            "only an operator may mark an organisation as a lab (which allows plain http:// URLs)",
        ));
    }
    let stored_account = stored.and_then(|c| match c.settings.access {
        AccessType::M365OAuthImpersonation {
            signed_in_account, ..
        } => signed_in_account,
        AccessType::ExchangeImpersonation { .. } => None,
    });
    let (mut input, mut warnings) = settings(req, stored_account)?;
    if keeps_a_secret(&input.access)
        && let Err(StoreError::Secret { what, reason }) = configs.credentials().await
    {
        return Err(ApiError::invalid(
            secret_field(&input.access),
            format!(
                "the stored {what} cannot be decrypted with this server's master key ({reason}); enter it again"
            ),
        ));
    }
    input.saved = saved;
    let config = configs.save(input).await?;
    state.m365().tokens.forget(org.id());
    if saved && !has_passing_run(org).await? {
        warnings.push(NO_PASSING_RUN.to_string());
    }
    Ok(SavedEmailConfig { config, warnings })
}

/// The warning of a save while no check run has passed.
pub const NO_PASSING_RUN: &str = "No check run has passed yet: press \u{201c}Check Users Exchange Impersonated Access\u{201d} (or POST .../check-runs) to verify these settings before activating users.";

/// Whether a recent finished check run of the organisation had a user pass.
async fn has_passing_run(org: &OrgStore<'_>) -> Result<bool, StoreError> {
    let runs = org.check_runs().list(PageRequest::first(20)).await?;
    Ok(runs
        .items
        .iter()
        .any(|r| r.status == CheckRunStatus::Finished && r.ok > 0))
}

/// Whether the save keeps a stored secret of its access type.
fn keeps_a_secret(access: &AccessType<SecretUpdate>) -> bool {
    match access {
        AccessType::ExchangeImpersonation { password, .. } => *password == SecretUpdate::Keep,
        AccessType::M365OAuthImpersonation {
            client_secret,
            refresh_token,
            ..
        } => *client_secret == SecretUpdate::Keep || *refresh_token == SecretUpdate::Keep,
    }
}

/// The field to enter again when a kept secret cannot be opened.
fn secret_field(access: &AccessType<SecretUpdate>) -> &'static str {
    match access {
        AccessType::ExchangeImpersonation { .. } => "password",
        AccessType::M365OAuthImpersonation { .. } => "client_secret",
    }
}
