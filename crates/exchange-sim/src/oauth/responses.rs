//! Response builders shared by the endpoints.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderName, LOCATION, PRAGMA, REFERRER_POLICY,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Headers forbidding caches to keep credentials (RFC 6749 §5.1).
pub(crate) fn no_store() -> [(HeaderName, HeaderValue); 2] {
    [
        (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// An HTML page that may not be cached, framed or load anything else.
pub(crate) fn page(status: StatusCode, body: String) -> Response {
    let headers = [
        (
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ),
        (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ];
    (status, no_store(), headers, Html(body)).into_response()
}

/// A `302 Found` to `uri` with `params` added to its query.
pub(crate) fn redirect(uri: &str, params: &[(&str, &str)]) -> Response {
    let query = serde_urlencoded::to_string(params).expect("string pairs always encode");
    let separator = if uri.contains('?') { '&' } else { '?' };
    let location = format!("{uri}{separator}{query}");
    (StatusCode::FOUND, no_store(), [(LOCATION, location)]).into_response()
}
