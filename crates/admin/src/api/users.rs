//! An organisation's users: paginated list, create, and CSV import.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use impersync_store::{ImportOutcome, ImportRow, NewUser, OrgStore, Page, User, UserFilter};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{Paging, csv};
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::Caller;
use crate::openapi::OrgErrors;
use crate::state::AdminState;

/// One page of users.
#[utoipa::path(
    operation_id = "users_list",
    get,
    path = "/api/orgs/{org}/users",
    tag = "users",
    summary = "List an organisation's users with their last check",
    params(("org" = String, Path, description = "The organisation id"), Paging),
    responses(
        (status = 200, description = "A page of users", body = serde_json::Value),
        OrgErrors
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Page<User>>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let page = org
        .users()
        .list(&UserFilter::default(), paging.request())
        .await?;
    Ok(Json(page))
}

/// Adds a user.
#[utoipa::path(
    operation_id = "users_create",
    post,
    path = "/api/orgs/{org}/users",
    tag = "users",
    summary = "Add a user",
    params(("org" = String, Path, description = "The organisation id")),
    request_body = serde_json::Value,
    responses(
        (status = 201, description = "The user", body = serde_json::Value),
        OrgErrors,
        (status = 409, description = "Conflicts with the current state", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let org = caller.org(&state, &org).await?;
    let Json(new) = body?;
    let user = org.users().create(new).await?;
    org.audit()
        .record(
            "user.created",
            json!({"user_id": user.id, "email": user.email}),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// A refused import row.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rejected {
    /// The row's line in the file.
    pub line: usize,
    /// The address as given.
    pub email: String,
    /// Why the row was refused.
    pub reason: String,
}

/// The import's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportAnswer {
    /// How many users were added.
    pub inserted: usize,
    /// How many rows were refused.
    pub rejected_count: usize,
    /// The refused rows, by line.
    pub rejected: Vec<Rejected>,
}

/// Imports users from a CSV body with the header `email,display_name`.
#[utoipa::path(
    operation_id = "users_import",
    post,
    path = "/api/orgs/{org}/users:import",
    tag = "users",
    summary = "Import users from CSV (`email,display_name`)",
    params(("org" = String, Path, description = "The organisation id")),
    request_body(content = String, content_type = "text/csv", description = "CSV with the header `email,display_name`"),
    responses(
        (status = 200, description = "What was inserted and what was refused", body = ImportAnswer),
        OrgErrors,
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` names it", body = ErrorBody)
    )
)]
pub async fn import(
    State(state): State<AdminState>,
    caller: Caller,
    Path(org): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportAnswer>, ApiError> {
    let org = caller.org(&state, &org).await?;
    let limit = state.options().import_body_limit;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the import is larger than {} MB; split the file and import the parts",
                    limit / (1024 * 1024)
                ),
            )
        } else {
            ApiError::new(
                e.status(),
                format!("cannot read the body: {}", e.body_text()),
            )
        }
    })?;
    Ok(Json(import_csv(&org, &body).await?))
}

/// Imports users from CSV text with the header `email,display_name`, audits it and
/// reports every refused row. The panel's upload form uses it too.
pub(crate) async fn import_csv(org: &OrgStore<'_>, body: &[u8]) -> Result<ImportAnswer, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the CSV is not UTF-8 text; save it as UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = csv::parse(text)
        .map_err(|e| ApiError::bad_request(format!("the CSV cannot be read: {e}")))?;
    let mut records = records.into_iter();
    let header: Vec<String> = records
        .next()
        .map(|(_, h)| h.iter().map(|f| f.trim().to_lowercase()).collect())
        .unwrap_or_default();
    if header != ["email", "display_name"] {
        return Err(ApiError::bad_request(
            "the CSV must start with the header line `email,display_name`",
        ));
    }
    let mut rejected = Vec::new();
    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() != 2 {
            rejected.push(Rejected {
                line,
                email: fields.first().cloned().unwrap_or_default(),
                reason: format!(
                    "expected 2 fields (email,display_name), found {}",
                    fields.len()
                ),
            });
            continue;
        }
        let mut it = fields.into_iter();
        rows.push(ImportRow {
            line,
            email: it.next().unwrap_or_default().trim().to_string(),
            display_name: it.next().unwrap_or_default().trim().to_string(),
            sync_enabled: false,
        });
    }
    let report = org.users().import(rows).await?;
    for row in report.rows {
        let reason = match row.outcome {
            ImportOutcome::Inserted { .. } => continue,
            ImportOutcome::Invalid { reason } => reason,
            ImportOutcome::DuplicateInImport { first_line } => {
                format!("the address is already on line {first_line}")
            }
            ImportOutcome::AlreadyExists { .. } => {
                "the organisation already has a user with this address".to_string()
            }
        };
        rejected.push(Rejected {
            line: row.line,
            email: row.email,
            reason,
        });
    }
    rejected.sort_by_key(|r| r.line);
    org.audit()
        .record(
            "users.imported",
            json!({"inserted": report.inserted, "rejected": rejected.len()}),
        )
        .await?;
    Ok(ImportAnswer {
        inserted: report.inserted,
        rejected_count: rejected.len(),
        rejected,
    })
}
