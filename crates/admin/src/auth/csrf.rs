//! CSRF check for cookie-authenticated state-changing requests.

use axum::http::{HeaderMap, Method, StatusCode};

use crate::error::ApiError;

/// The header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Whether the method changes state (everything but GET, HEAD, OPTIONS).
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks that the request carries the session's CSRF token.
pub fn check(headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
    let Some(given) = headers.get(CSRF_HEADER) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "missing CSRF token: send the csrf_token from the login answer in the X-CSRF-Token header",
        ));
    };
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong CSRF token: send the csrf_token of this session in the X-CSRF-Token header",
        ))
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
