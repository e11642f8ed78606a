//! An organisation's webhooks: list, add, change, delete, and their recent delivery
//! attempts. The signing secret is write-only: answers show it as "set".

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use impersync_engine::webhooks::webhook_url;
use impersync_store::{
    DeliveryAttempt, NewWebhook, OrgStore, SecretString, Webhook, WebhookId, WebhookUpdate,
    webhook_secret_problem,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// The body of `POST` and `PATCH` on webhooks. On `POST`, `url` and `secret` are required;
/// on `PATCH`, an absent field keeps its value. The secret is write-only.
#[derive(Default, Deserialize, ToSchema)]
pub struct WebhookRequest {
    /// Where to POST the feed: https, and a public address unless the organisation is a lab.
    pub url: Option<String>,
    /// The signing secret (at least 16 characters).
    pub secret: Option<String>,
    /// Whether it receives deliveries (on `POST`, true when absent).
    pub enabled: Option<bool>,
}

/// The organisation's webhooks.
#[derive(Debug, Serialize)]
pub struct WebhookList {
    /// Oldest first.
    pub webhooks: Vec<Webhook>,
}

/// A webhook's recent delivery attempts.
#[derive(Debug, Serialize)]
pub struct DeliveryList {
    /// Newest first.
    pub deliveries: Vec<DeliveryAttempt>,
}

/// `?limit=` for the delivery attempts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// How many attempts (1 to 1000, default 50).
    pub limit: Option<u32>,
}

fn webhook_id(raw: &str) -> Result<WebhookId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("webhook"))
}

/// A 400 naming the field.
fn refused(field: &str, message: String) -> ApiError {
    ApiError::bad_request(message).with_field(field)
}

/// Checks a URL against the organisation's policy (lab or not); the trimmed URL.
async fn checked_url(org: &OrgStore<'_>, url: &str) -> Result<String, ApiError> {
    let lab = org
        .email_config()
        .get()
        .await?
        .is_some_and(|c| c.settings.lab);
    webhook_url(url, lab).map_err(|e| refused("url", format!("url is refused: {e}")))?;
    Ok(url.trim().to_string())
}

fn checked_secret(secret: String) -> Result<SecretString, ApiError> {
    let secret = SecretString::new(secret);
    match webhook_secret_problem(&secret) {
        Some(problem) => Err(refused("secret", problem)),
        None => Ok(secret),
    }
}

/// Checks a request and adds the webhook (the panel adds through it too).
pub(crate) async fn add(org: &OrgStore<'_>, req: WebhookRequest) -> Result<Webhook, ApiError> {
    let url = req.url.filter(|u| !u.trim().is_empty()).ok_or_else(|| {
        refused(
            "url",
            "url is missing: give the receiver's https:// URL".into(),
        )
    })?;
    let url = checked_url(org, &url).await?;
    let secret = req
        .secret
        .ok_or_else(|| refused("secret", "secret is missing: give a signing secret".into()))?;
    let secret = checked_secret(secret)?;
    let new = NewWebhook {
        url,
        secret,
        enabled: req.enabled.unwrap_or(true),
    };
    Ok(org.webhooks().create(new).await?)
}

/// Checks a request and changes the webhook (the panel changes through it too).
pub(crate) async fn change(
    org: &OrgStore<'_>,
    id: WebhookId,
    req: WebhookRequest,
) -> Result<Webhook, ApiError> {
    org.webhooks().get(id).await?;
    let url = match req.url {
        Some(url) => Some(checked_url(org, &url).await?),
        None => None,
    };
    let secret = req.secret.map(checked_secret).transpose()?;
    let update = WebhookUpdate {
        url,
        secret,
        enabled: req.enabled,
    };
    Ok(org.webhooks().update(id, update).await?)
}

/// The organisation's webhooks.
#[utoipa::path(
    operation_id = "webhooks_list",
    get,
    path = "/api/orgs/{org}/webhooks",
    tag = "webhooks",
    summary = "List the webhooks (secrets show as \"set\")",
    params(("org" = String, Path, description = "The organisation id")),
    responses(
        (status = 200, description = "The webhooks", body = serde_json::Value),
        OrgErrors
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
) -> Result<Json<WebhookList>, ApiError> {
    let org = caller.org(&state, &org).await?;
    Ok(Json(WebhookList {
        webhooks: org.webhooks().list().await?,
    }))
}

/// Adds a webhook; it receives the organisation's feed from its start.
#[utoipa::path(
    operation_id = "webhooks_create",
    post,
    path = "/api/orgs/{org}/webhooks",
    tag = "webhooks",
    summary = "Add a webhook (url and a signing secret of at least 16 characters)",
    params(("org" = String, Path, description = "The organisation id")),
    request_body = WebhookRequest,
    responses(
        (status = 201, description = "The webhook", body = serde_json::Value),
        OrgErrors,
        (status = 400, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<WebhookRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Webhook>), ApiError> {
    let org = caller.org(&state, &org).await?;
    let Json(req) = body?;
    Ok((StatusCode::CREATED, Json(add(&org, req).await?)))
}

/// One webhook: its cursor, failures and next attempt.
#[utoipa::path(
    operation_id = "webhooks_get",
    get,
    path = "/api/orgs/{org}/webhooks/{id}",
    tag = "webhooks",
    summary = "One webhook (the secret shows as \"set\")",
    params(
        ("org" = String, Path, description = "The organisation id"),
        ("id" = String, Path, description = "The webhook id")
    ),
    responses((status = 200, description = "The webhook", body = serde_json::Value), OrgErrors)
)]
pub async fn get(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<Json<Webhook>, ApiError> {
    let org = caller.org(&state, &org).await?;
    Ok(Json(org.webhooks().get(webhook_id(&id)?).await?))
}

/// Changes a webhook's URL, secret or enabled flag.
#[utoipa::path(
    operation_id = "webhooks_update",
    patch,
    path = "/api/orgs/{org}/webhooks/{id}",
    tag = "webhooks",
    summary = "Change a webhook (absent fields are kept; the secret is write-only)",
    params(
        ("org" = String, Path, description = "The organisation id"),
        ("id" = String, Path, description = "The webhook id")
    ),
    request_body = WebhookRequest,
    responses(
        (status = 200, description = "The webhook", body = serde_json::Value),
        OrgErrors,
        (status = 400, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn update(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    body: Result<Json<WebhookRequest>, JsonRejection>,
) -> Result<Json<Webhook>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let id = webhook_id(&id)?;
    let Json(req) = body?;
    Ok(Json(change(&org, id, req).await?))
}

/// Deletes a webhook with its delivery attempts.
#[utoipa::path(
    operation_id = "webhooks_delete",
    delete,
    path = "/api/orgs/{org}/webhooks/{id}",
    tag = "webhooks",
    summary = "Delete a webhook",
    params(
        ("org" = String, Path, description = "The organisation id"),
        ("id" = String, Path, description = "The webhook id")
    ),
    responses((status = 204, description = "Deleted"), OrgErrors)
)]
pub async fn delete(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let org = caller.org(&state, &org).await?;
    org.webhooks().delete(webhook_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's recent delivery attempts, newest first.
#[utoipa::path(
    operation_id = "webhooks_deliveries",
    get,
    path = "/api/orgs/{org}/webhooks/{id}/deliveries",
    tag = "webhooks",
    summary = "Recent delivery attempts of a webhook, newest first",
    params(
        ("org" = String, Path, description = "The organisation id"),
        ("id" = String, Path, description = "The webhook id"),
        DeliveriesQuery
    ),
    responses(
        (status = 200, description = "The attempts", body = serde_json::Value),
        OrgErrors
    )
)]
pub async fn deliveries(
    State(state): State<AdminState>,
    caller: Caller,
    Path((org, id)): Path<(String, String)>,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let limit = query.limit.unwrap_or(50);
    Ok(Json(DeliveryList {
        deliveries: org.webhooks().deliveries(webhook_id(&id)?, limit).await?,
    }))
}
