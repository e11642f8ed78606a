//! Turning transport errors into unreachable / TLS outcomes with a readable cause.

use crate::error::ExchangeError;
use crate::url_guard::GuardedUrl;
use std::error::Error;

/// Classifies a reqwest error: TLS problems, refused names, timeouts and connection failures.
pub fn classify(err: &reqwest::Error, url: &GuardedUrl) -> ExchangeError {
    let mut source: Option<&(dyn Error + 'static)> = Some(err);
    let mut deepest = err.to_string();
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return ExchangeError::Tls {
                url: url.to_string(),
                detail: tls_detail(tls),
            };
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return ExchangeError::Tls {
                    url: url.to_string(),
                    detail: tls_detail(tls),
                };
            }
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

fn tls_detail(e: &rustls::Error) -> String {
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
