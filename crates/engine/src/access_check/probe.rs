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
    let dns_title = format!("DNS {}", url.host());
    let addrs = match transport.resolver.lookup(url.host(), url.port()).await {
        Ok(a) => {
            let list: Vec<String> = a.iter().map(|s| s.ip().to_string()).collect();
            children.push(Step::new(dns_title, StepStatus::Ok, list.join(", "), t));
            a
        }
        Err(e) => {
            let why = format!("{} does not resolve: {e}", url.host());
            return failed(
                started,
                children,
                dns_title,
                t,
                OutcomeClass::Unreachable,
                why,
            );
        }
    };
    let t = Instant::now();
    let tcp_title = format!("TCP {}:{}", url.host(), url.port());
    let connect =
        tokio::time::timeout(transport.connect_timeout, TcpStream::connect(&addrs[..])).await;
    let tcp = match connect {
        Ok(Ok(s)) => {
            let peer = s.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            children.push(Step::new(
                tcp_title,
                StepStatus::Ok,
                format!("connected to {peer}"),
                t,
            ));
            s
        }
        Ok(Err(e)) => {
            let why = format!("cannot connect to {}:{}: {e}", url.host(), url.port());
            return failed(
                started,
                children,
                tcp_title,
                t,
                OutcomeClass::Unreachable,
                why,
            );
        }
        Err(_) => {
            let why = format!(
                "no TCP answer from {}:{} within {:?}",
                url.host(),
                url.port(),
                transport.connect_timeout
            );
            return failed(
                started,
                children,
                tcp_title,
                t,
                OutcomeClass::Unreachable,
                why,
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
    let tls_title = format!("TLS ({})", transport.tls);
    let config = match transport.tls.client_config(&transport.extra_roots) {
        Ok(c) => c,
        Err(e) => {
            return failed(
                started,
                children,
                tls_title,
                t,
                OutcomeClass::TlsUntrusted,
                e.to_string(),
            );
        }
    };
    let Ok(name) = ServerName::try_from(url.host().to_string()) else {
        let why = format!("`{}` is not a valid TLS server name", url.host());
        return failed(
            started,
            children,
            tls_title,
            t,
            OutcomeClass::TlsUntrusted,
            why,
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
                tls_title,
                status,
                format!("certificate SHA-256 {cert}"),
                t,
            ));
            (finish(started, children, status), None)
        }
        Err(e) => {
            let why = format!(
                "TLS handshake with {} failed: {}",
                url.host(),
                tls_reason(&e)
            );
            failed(
                started,
                children,
                tls_title,
                t,
                OutcomeClass::TlsUntrusted,
                why,
            )
        }
    }
}

fn tls_reason(e: &std::io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => impersync_exchange::transport::tls_detail(tls),
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

/// Ends the probe at a failed sub-step.
fn failed(
    started: Instant,
    mut children: Vec<Step>,
    title: String,
    step_started: Instant,
    class: OutcomeClass,
    why: String,
) -> (Step, Option<(OutcomeClass, String)>) {
    children.push(Step::new(title, StepStatus::Failed, &why, step_started));
    (
        finish(started, children, StepStatus::Failed),
        Some((class, why)),
    )
}
