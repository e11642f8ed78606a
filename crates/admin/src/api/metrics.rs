//! `GET /metrics`: the sync engine's Prometheus metrics, for operators.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use impersync_engine::sync::METRICS_CONTENT_TYPE;
use impersync_store::now_millis;

use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;
use crate::openapi::SignedInErrors;
use crate::state::AdminState;

/// The metrics in the OpenMetrics text format.
#[utoipa::path(
    operation_id = "metrics_scrape",
    get,
    path = "/metrics",
    tag = "meta",
    summary = "Prometheus metrics of the sync engine (operators only; scrape with an API token)",
    responses(
        (status = 200, description = "OpenMetrics text: syncs, items, errors, back-offs, lease takeovers, pages, queue lag, mailboxes by state", body = String, content_type = "application/openmetrics-text"),
        SignedInErrors,
        (status = 403, description = "The caller is not an operator", body = ErrorBody)
    )
)]
pub async fn scrape(
    State(state): State<AdminState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    if !caller.principal.is_operator() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not allowed: only operators may read the metrics",
        ));
    }
    let now = now_millis();
    let gauges = state.store().sync_gauges(&caller.principal, now).await?;
    let text = state.engine().metrics().render(&gauges, now);
    Ok(([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], text))
}
