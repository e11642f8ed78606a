//! `/healthz` (the process runs) and `/readyz` (the database answers).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AdminState;

/// Always 200.
#[utoipa::path(
    operation_id = "health_healthz",
    get,
    path = "/healthz",
    security(()),
    tag = "health",
    summary = "The process runs",
    responses(
        (status = 200, description = "Running", body = serde_json::Value)
    )
)]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// 200 when the database answers, else 503.
#[utoipa::path(
    operation_id = "health_readyz",
    get,
    path = "/readyz",
    security(()),
    tag = "health",
    summary = "The database answers",
    responses(
        (status = 200, description = "Ready", body = serde_json::Value),
        (status = 503, description = "The database does not answer", body = serde_json::Value)
    )
)]
pub async fn readyz(State(state): State<AdminState>) -> (StatusCode, Json<Value>) {
    match state.store().auth().admin_count().await {
        Ok(_) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": "the database does not answer"})),
            )
        }
    }
}
