//! The Microsoft 365 sign-in of an organisation's service account: start it (the panel's
//! "Sign in with Microsoft" button) and read the token state (never a token).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use impersync_engine::m365::M365Error;
use impersync_store::{AccessType, OrgStore, SecretStatus};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// The answer to `POST /api/orgs/{org}/email-config/oauth:start`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthStarted {
    /// Where to send the browser: the authority's sign-in page.
    pub authorize_url: String,
}

/// The token state of an organisation's Microsoft 365 sign-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthState {
    /// The account that signed in, if one did.
    pub signed_in_account: Option<String>,
    /// Whether a refresh token is stored: "set" or "not set".
    #[schema(value_type = String)]
    pub refresh_token: SecretStatus,
    /// When the cached access token expires (Unix milliseconds), if one is cached.
    pub access_token_expires_at: Option<i64>,
    /// When a token was last obtained (Unix milliseconds).
    pub last_refresh_at: Option<i64>,
    /// The last failure, if the last attempt failed.
    pub last_error: Option<String>,
}

impl From<M365Error> for ApiError {
    fn from(e: M365Error) -> Self {
        match e {
            M365Error::Store(e) => e.into(),
            M365Error::NotM365 => {
                ApiError::new(StatusCode::CONFLICT, e.to_string()).with_field("access_type")
            }
            M365Error::Authority(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
                    .with_field("authority")
            }
            M365Error::TooManySignIns => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.to_string())
            }
            other => ApiError::new(StatusCode::BAD_GATEWAY, other.to_string()),
        }
    }
}

/// Starts the sign-in: the authorization URL with `state` and a PKCE challenge; the
/// verifier stays on the server, bound to the organisation and the caller.
#[utoipa::path(
    operation_id = "m365_oauth_start",
    post,
    path = "/api/orgs/{org}/email-config/oauth:start",
    tag = "email-config",
    summary = "Start the Microsoft 365 sign-in of the service account",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 200, description = "Where to send the browser", body = OAuthStarted),
        OrgErrors,
        (status = 409, description = "Conflicts with the current state", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody),
        (status = 429, description = "Too many sign-ins in progress", body = ErrorBody)
    )
)]
pub async fn start(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<OAuthStarted>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let started = state.m365().sign_ins.start(&org).await?;
    Ok(Json(OAuthStarted {
        authorize_url: started.authorize_url,
    }))
}

/// The signed-in account, whether a refresh token is stored, and the cache's state.
#[utoipa::path(
    operation_id = "m365_oauth_status",
    get,
    path = "/api/orgs/{org}/email-config/oauth",
    tag = "email-config",
    summary = "The Microsoft 365 token state (never a token)",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 200, description = "The token state", body = OAuthState),
        OrgErrors,
        (status = 409, description = "Conflicts with the current state", body = ErrorBody)
    )
)]
pub async fn status(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<OAuthState>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let (signed_in_account, refresh_token) = m365_settings(&org).await?;
    let tokens = state.m365().tokens.status(org.id());
    Ok(Json(OAuthState {
        signed_in_account,
        refresh_token,
        access_token_expires_at: tokens.access_token_expires_at,
        last_refresh_at: tokens.last_refresh_at,
        last_error: tokens.last_error,
    }))
}

/// The stored account and refresh-token status of an M365 configuration.
async fn m365_settings(org: &OrgStore<'_>) -> Result<(Option<String>, SecretStatus), ApiError> {
    let config = org.email_config().get().await?;
    match config.map(|c| c.settings.access) {
        Some(AccessType::M365OAuthImpersonation {
            signed_in_account,
            refresh_token,
            ..
        }) => Ok((signed_in_account, refresh_token)),
        _ => Err(M365Error::NotM365.into()),
    }
}
