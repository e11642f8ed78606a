//! The panel's static files, built into the binary: htmx (BSD0 licence in
//! `assets/htmx.LICENSE`) and the stylesheet.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

/// htmx 2, minified, as published on npm (`htmx.org`).
const HTMX: &[u8] = include_bytes!("../../assets/htmx.min.js");

/// The panel's stylesheet.
const CSS: &[u8] = include_bytes!("../../assets/panel.css");

/// Cache for a day: the files change only with the binary.
const CACHE: &str = "public, max-age=86400";

/// `GET /static/htmx.min.js`.
pub async fn htmx() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        HTMX,
    )
}

/// `GET /static/panel.css`.
pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        CSS,
    )
}

/// `GET /favicon.ico`: none (204), so that browsers stop asking.
pub async fn favicon() -> StatusCode {
    StatusCode::NO_CONTENT
}
