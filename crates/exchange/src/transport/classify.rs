//! Turning transport errors into unreachable / TLS outcomes with a readable cause.

use crate::error::ExchangeError;
use crate::url_guard::GuardedUrl;
use std::error::Error;

/// Classifies a reqwest error: TLS problems, refused names, timeouts and connection failures.
pub fn classify(err: &reqwest::Error, url: &GuardedUrl) -> ExchangeError {
    if let Some(tls) = find_rustls(err) {
        return ExchangeError::Tls {
            url: url.to_string(),
            detail: tls_detail(tls),
        };
    }
    let mut source: Option<&(dyn Error + 'static)> = Some(err);
    let mut deepest = err.to_string();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            deepest = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => format!(
                    "connection refused by {}:{} (nothing listens there)",
                    url.host(),
                    url.port()
                ),
                _ => io.to_string(),
            };
        }
        source = e.source();
    }
    if err.is_timeout() {
        deepest = format!("no answer within the timeout ({deepest})");
    } else if err.is_connect() && !deepest.contains("refused") {
        deepest = format!("could not connect: {deepest}");
    }
    ExchangeError::Unreachable {
        url: url.to_string(),
        detail: deepest,
    }
}

/// The rustls error behind a transport error, however deeply wrapped.
///
/// `io::Error::source()` skips the error an `io::Error` wraps, and hyper-util wraps the TLS
/// connector's `io::Error(InvalidData, rustls::Error)` in another `io::Error`, so each
/// `io::Error`'s inner error is searched as well as the source chain.
fn find_rustls<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| find_rustls(inner as &(dyn Error + 'static)));
    inner.or_else(|| e.source().and_then(find_rustls))
}

/// What a TLS failure means, in words an admin understands.
pub fn tls_detail(e: &rustls::Error) -> String {
    use rustls::CertificateError;
    match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the certificate is issued by a CA this machine does not trust".into()
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the certificate is not valid for this host name".into(),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the certificate has expired".into(),
        rustls::Error::InvalidCertificate(CertificateError::BadSignature) => {
            "the certificate's signature does not match the trusted CA of the same name (was the CA re-generated or replaced?)".into()
        }
        rustls::Error::General(why) => why.clone(),
        other => other.to_string(),
    }
}
