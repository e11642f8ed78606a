//! Response builders shared by the HTTP handlers.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use impersync_ews::{ResponseCode, ServerVersionInfo, SoapFault};

/// `text/xml; charset=utf-8`, as Exchange sends it.
pub const XML: &str = "text/xml; charset=utf-8";

/// An XML response.
pub fn xml(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, XML)
        .body(Body::from(body))
        .expect("static response parts are valid")
}

/// An HTTP 500 carrying a SOAP fault.
pub fn fault(
    version: &ServerVersionInfo,
    code: ResponseCode,
    message: impl Into<String>,
) -> Response {
    fault_of(version, &SoapFault::new(code, message))
}

/// An HTTP 500 carrying the given SOAP fault.
pub fn fault_of(version: &ServerVersionInfo, fault: &SoapFault) -> Response {
    xml(
        StatusCode::INTERNAL_SERVER_ERROR,
        fault.to_envelope(version),
    )
}

/// A 401 offering NTLM, Basic and Bearer; the body is empty and the connection stays open.
pub fn unauthorized(domain: &str) -> Response {
    let mut r = Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header(header::CONTENT_LENGTH, "0")
        .body(Body::empty())
        .expect("static response parts are valid");
    let h = r.headers_mut();
    h.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("NTLM"));
    if let Ok(v) = HeaderValue::from_str(&format!("Basic realm=\"{domain}\"")) {
        h.append(header::WWW_AUTHENTICATE, v);
    }
    h.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// A 401 continuing an NTLM handshake.
pub fn ntlm_challenge(value: &str) -> Response {
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header(header::WWW_AUTHENTICATE, value)
        .header(header::CONTENT_LENGTH, "0")
        .body(Body::empty())
        .expect("challenge header is base64")
}

/// A response whose body stops halfway, then the connection drops.
pub fn truncated(status: StatusCode, body: String) -> Response {
    let full = Bytes::from(body);
    let half = full.slice(..full.len() / 2);
    let stream = futures_util::stream::iter([
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated truncated body",
        )),
    ]);
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, XML)
        .header(header::CONTENT_LENGTH, full.len())
        .body(Body::from_stream(stream))
        .expect("static response parts are valid")
}
