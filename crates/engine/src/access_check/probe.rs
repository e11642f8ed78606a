//! DNS, TCP and TLS steps for the EWS URL, measured one by one.

use super::step::{Step, StepStatus};
use impersync_exchange::{
    GuardedUrl, OutcomeClass, TlsPolicy, fingerprint, transport::TransportConfig,
};
use rustls::pki_types::ServerName;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpStream;

/// Probes the connection to the EWS URL; on failure returns the class and cause.
pub async fn connection(
    url: &GuardedUrl,
    transport: &TransportConfig,
) -> (Step, Option<(OutcomeClass, String)>) {
    let started = Instant::now();
    let mut children = Vec::new();
    let t = Instant::now();
    let addrs = match transport.resolver.lookup(url.host(), url.port()).await {
        Ok(a) => {
            let list: Vec<String> = a.iter().map(|s| s.ip().to_string()).collect();
            children.push(Step::new(
                format!("DNS {}", url.host()),
                StepStatus::Ok,
                list.join(", "),
                t,
            ));
            a
        }
        Err(e) => {
            let why = format!("{} does not resolve: {e}", url.host());
            children.push(Step::new(
                format!("DNS {}", url.host()),
                StepStatus::Failed,
                &why,
                t,
            ));
            return (
                finish(started, children, StepStatus::Failed),
                Some((OutcomeClass::Unreachable, why)),
            );
        }
    };
    let t = Instant::now();
    let connect =
        tokio::time::timeout(transport.connect_timeout, TcpStream::connect(&addrs[..])).await;
    let tcp = match connect {
        Ok(Ok(s)) => {
            children.push(Step::new(
                format!("TCP {}:{}", url.host(), url.port()),
                StepStatus::Ok,
                format!(
                    "connected to {}",
                    s.peer_addr().map(|a| a.to_string()).unwrap_or_default()
                ),
                t,
            ));
            s
        }
        Ok(Err(e)) => {
            let why = format!("cannot connect to {}:{}: {e}", url.host(), url.port());
            children.push(Step::new(
                format!("TCP {}:{}", url.host(), url.port()),
                StepStatus::Failed,
                &why,
                t,
            ));
            return (
                finish(started, children, StepStatus::Failed),
                Some((OutcomeClass::Unreachable, why)),
            );
        }
        Err(_) => {
            let why = format!(
                "no TCP answer from {}:{} within {:?}",
                url.host(),
                url.port(),
                transport.connect_timeout
            );
            children.push(Step::new(
                format!("TCP {}:{}", url.host(), url.port()),
                StepStatus::Failed,
                &why,
                t,
            ));
            return (
                finish(started, children, StepStatus::Failed),
                Some((OutcomeClass::Unreachable, why)),
            );
        }
    };
    if !url.is_https() {
        children.push(Step::new(
            "TLS",
            StepStatus::Warning,
            "plain http:// (lab only): no TLS, credentials travel unencrypted",
            Instant::now(),
        ));
        return (finish(started, children, StepStatus::Warning), None);
    }
    let t = Instant::now();
    let config = match transport.tls.client_config(&transport.extra_roots) {
        Ok(c) => c,
        Err(e) => {
            children.push(Step::new("TLS", StepStatus::Failed, e.to_string(), t));
            return (
                finish(started, children, StepStatus::Failed),
                Some((OutcomeClass::TlsUntrusted, e.to_string())),
            );
        }
    };
    let Ok(name) = ServerName::try_from(url.host().to_string()) else {
        let why = format!("`{}` is not a valid TLS server name", url.host());
        children.push(Step::new("TLS", StepStatus::Failed, &why, t));
        return (
            finish(started, children, StepStatus::Failed),
            Some((OutcomeClass::TlsUntrusted, why)),
        );
    };
    match tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
    {
        Ok(tls) => {
            let cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| fingerprint(c.as_ref()))
                .unwrap_or_default();
            let status = if transport.tls == TlsPolicy::IgnoreTrust {
                StepStatus::Warning
            } else {
                StepStatus::Ok
            };
            children.push(Step::new(
                format!("TLS ({})", transport.tls),
                status,
                format!("certificate SHA-256 {cert}"),
                t,
            ));
            let overall = if status == StepStatus::Ok {
                StepStatus::Ok
            } else {
                StepStatus::Warning
            };
            (finish(started, children, overall), None)
        }
        Err(e) => {
            let why = format!(
                "TLS handshake with {} failed: {}",
                url.host(),
                tls_reason(&e)
            );
            children.push(Step::new(
                format!("TLS ({})", transport.tls),
                StepStatus::Failed,
                &why,
                t,
            ));
            (
                finish(started, children, StepStatus::Failed),
                Some((OutcomeClass::TlsUntrusted, why)),
            )
        }
    }
}

fn tls_reason(e: &std::io::Error) -> String {
    use rustls::CertificateError;
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            "the certificate is issued by a CA this machine does not trust".into()
        }
        Some(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => "the certificate is not valid for this host name".into(),
        Some(rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        )) => "the certificate has expired".into(),
        Some(rustls::Error::InvalidCertificate(CertificateError::BadSignature)) => {
            "the certificate's signature does not match the trusted CA of the same name (was the CA re-generated or replaced?)".into()
        }
        Some(rustls::Error::General(why)) => why.clone(),
        Some(other) => other.to_string(),
        None => e.to_string(),
    }
}

fn finish(started: Instant, children: Vec<Step>, status: StepStatus) -> Step {
    let detail = match status {
        StepStatus::Ok => "reachable",
        StepStatus::Warning => "reachable, with warnings",
        _ => "not reachable",
    };
    Step::new("Connect to the EWS server", status, detail, started).with_children(children)
}
