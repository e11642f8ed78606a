//! Parsing of path and query parameters shared by the sync routes; a bad value is a 400
//! naming the parameter.

use impersync_store::{OrgStore, User, UserId};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ApiError;

/// A 400 naming `parameter`.
pub(crate) fn bad_parameter(parameter: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message).with_field(parameter)
}

/// A page size given as `parameter`: 1 to 1000, `default` when absent.
pub(crate) fn limit(parameter: &str, raw: Option<&str>, default: u32) -> Result<u32, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(default);
    };
    match raw.parse::<u32>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(bad_parameter(
            parameter,
            format!("{parameter}: {raw:?} is not a number from 1 to 1000"),
        )),
    }
}

/// A row offset given as `parameter` (0 when absent).
pub(crate) fn offset(parameter: &str, raw: Option<&str>) -> Result<u64, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(0);
    };
    raw.parse::<u64>().map_err(|_| {
        bad_parameter(
            parameter,
            format!("{parameter}: {raw:?} is not a whole number of rows to skip"),
        )
    })
}

/// An RFC 3339 time given as `parameter`, as Unix milliseconds.
pub(crate) fn time(parameter: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let at = OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| {
        bad_parameter(
            parameter,
            format!("{parameter}: {raw:?} is not an RFC 3339 time such as 2026-11-01T00:00:00Z"),
        )
    })?;
    Ok(Some(
        i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX),
    ))
}

/// Text given as `parameter`, with an empty value read as absent.
pub(crate) fn text(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

/// The user named in a path: its id, or its address (404 when the organisation has none).
pub(crate) async fn user(org: &OrgStore<'_>, raw: &str) -> Result<User, ApiError> {
    if raw.contains('@') {
        return Ok(org.users().get_by_email(raw).await?);
    }
    let id: UserId = raw.parse().map_err(|_| ApiError::not_found("user"))?;
    Ok(org.users().get(id).await?)
}
