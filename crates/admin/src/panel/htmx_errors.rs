//! Errors of htmx requests are shown, not dropped: an error answer to a request that htmx
//! made (other than a redirect to the login page) is retargeted to the page's error area,
//! showing only the error message of the error page.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The id of the page's area for errors of htmx requests.
pub const ERROR_AREA: &str = "htmx-errors";

/// Retargets error answers of htmx requests to [`ERROR_AREA`].
pub async fn show_errors(request: Request, next: Next) -> Response {
    let htmx = request.headers().contains_key("hx-request");
    let mut response = next.run(request).await;
    let status = response.status();
    let redirect = response.headers().contains_key("hx-redirect");
    if htmx && !redirect && (status.is_client_error() || status.is_server_error()) {
        let headers = response.headers_mut();
        if let Ok(target) = HeaderValue::from_str(&format!("#{ERROR_AREA}")) {
            headers.insert("hx-retarget", target);
        }
        headers.insert("hx-reswap", HeaderValue::from_static("innerHTML"));
        headers.insert("hx-reselect", HeaderValue::from_static("[role=alert]"));
    }
    response
}
