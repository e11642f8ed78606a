//! TLS policies and the URL guard, checked with `check_access` against the simulator's HTTPS
//! listener: `verify` with and without the issuing CA, a pinned certificate (right and wrong),
//! `ignore-trust`, a certificate for another host name, and the addresses the guard refuses.

use impersync_engine::access_check::{
    CheckOptions, CheckReport, EwsSource, Step, StepStatus, check_access,
};
use impersync_exchange::autodiscover::{AutodiscoverOptions, NoSrv};
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{
    Credentials, GovernorConfig, GuardedResolver, GuardedUrl, IdType, Impersonate, OutcomeClass,
    Secret, TlsPolicy, UrlPolicy, UrlRefused,
};
use impersync_exchange_sim::Sim;
use impersync_exchange_sim::tls::SimTls;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const ALICE: &str = "alice@contoso.test";
const MAIL_HOST: &str = "mail.contoso.test";
const DOMAIN: &str = "contoso.test";
const AUTODISCOVER_HOST: &str = "autodiscover.contoso.test";
/// A name the test resolver maps to the cloud-metadata address.
const METADATA_HOST: &str = "metadata.contoso.test";
const METADATA_ADDR: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// The simulator behind its HTTPS listener (and a plain one, for redirects to http://); it
/// shuts down when dropped.
struct TlsSim {
    port: u16,
    plain_port: u16,
    sim: Arc<Sim>,
    /// SHA-256 of the server certificate, lowercase hex.
    fingerprint: String,
    /// The CA that issued the server certificate.
    ca: CertificateDer<'static>,
    stops: Vec<oneshot::Sender<()>>,
}

impl Drop for TlsSim {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

impl TlsSim {
    /// The demo organisation over HTTPS, with a fresh certificate for `names`.
    async fn start(names: &[&str]) -> Self {
        impersync_exchange::install_default_provider();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let tls = SimTls::generate(&names).expect("certificate generated");
        let ca_pem = tls
            .ca_pem
            .clone()
            .expect("a generated certificate has a CA");
        let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA PEM parses");
        let sim = Arc::new(Sim::new(impersync_exchange_sim::Scenario::demo()).expect("demo"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        sim.set_https_port(port);
        let plain = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let plain_port = plain.local_addr().expect("local addr").port();
        let (stop, stopped) = oneshot::channel::<()>();
        let (stop_plain, plain_stopped) = oneshot::channel::<()>();
        tokio::spawn(impersync_exchange_sim::run_tls(
            listener,
            Arc::clone(&sim),
            Arc::clone(&tls.config),
            async move {
                let _ = stopped.await;
            },
        ));
        tokio::spawn(impersync_exchange_sim::run(
            plain,
            Arc::clone(&sim),
            async move {
                let _ = plain_stopped.await;
            },
        ));
        Self {
            port,
            plain_port,
            sim,
            fingerprint: tls.fingerprint,
            ca,
            stops: vec![stop, stop_plain],
        }
    }

    /// `https://mail.contoso.test:PORT/EWS/Exchange.asmx`, through the strict URL guard.
    fn ews_url(&self) -> GuardedUrl {
        GuardedUrl::new(
            &format!("https://{MAIL_HOST}:{}/EWS/Exchange.asmx", self.port),
            UrlPolicy::default(),
        )
        .expect("an https URL passes the guard")
    }

    /// A check of alice's Inbox over HTTPS with this TLS policy and these extra roots.
    fn options(
        &self,
        tls: TlsPolicy,
        extra_roots: Vec<CertificateDer<'static>>,
        credentials: Credentials,
    ) -> CheckOptions {
        options_for(self.ews_url(), tls, extra_roots, credentials)
    }

    /// A check whose EWS URL comes from Autodiscover for alice (no SRV records).
    fn autodiscover_options(
        &self,
        tls: TlsPolicy,
        extra_roots: Vec<CertificateDer<'static>>,
    ) -> CheckOptions {
        let mut options = self.options(tls, extra_roots, basic());
        options.source = EwsSource::Autodiscover(AutodiscoverOptions {
            https_port: self.port,
            http_port: self.plain_port,
            srv: Arc::new(NoSrv),
            resolver: resolver(),
            ..AutodiscoverOptions::new(ALICE)
        });
        options
    }

    /// How many EWS requests reached the simulator.
    fn ews_requests(&self) -> usize {
        self.sim.log.entries().len()
    }
}

/// `mail.contoso.test`, `contoso.test` and `autodiscover.contoso.test` → 127.0.0.1, and
/// `metadata.contoso.test` → 169.254.169.254.
fn resolver() -> GuardedResolver {
    let local = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    GuardedResolver::with_overrides(HashMap::from([
        (MAIL_HOST.to_string(), local.clone()),
        (DOMAIN.to_string(), local.clone()),
        (AUTODISCOVER_HOST.to_string(), local),
        (METADATA_HOST.to_string(), vec![IpAddr::V4(METADATA_ADDR)]),
    ]))
}

fn options_for(
    url: GuardedUrl,
    tls: TlsPolicy,
    extra_roots: Vec<CertificateDer<'static>>,
    credentials: Credentials,
) -> CheckOptions {
    CheckOptions {
        target: ALICE.to_string(),
        impersonate: Impersonate::smtp(IdType::SmtpAddress, ALICE),
        folders: vec!["inbox".to_string()],
        credentials,
        source: EwsSource::Url(url),
        url_policy: UrlPolicy::default(),
        transport: TransportConfig {
            tls,
            extra_roots,
            resolver: resolver(),
            ..TransportConfig::default()
        },
        governor: GovernorConfig::default(),
        probe_throttling: false,
    }
}

fn basic() -> Credentials {
    Credentials::Basic {
        account: "MasterImpersonation@contoso.test".parse().expect("UPN"),
        password: Secret::new("Demo-Impersonation-1"),
    }
}

fn ntlm() -> Credentials {
    Credentials::Ntlm {
        account: "CONTOSO\\MasterImpersonation"
            .parse()
            .expect("down-level name"),
        password: Secret::new("Demo-Impersonation-1"),
    }
}

fn pin(fingerprint: &str) -> TlsPolicy {
    format!("pin:{fingerprint}")
        .parse()
        .expect("a SHA-256 pin parses")
}

/// The first top-level step whose title starts with `prefix`.
fn step<'a>(steps: &'a [Step], prefix: &str) -> &'a Step {
    steps
        .iter()
        .find(|s| s.title.starts_with(prefix))
        .unwrap_or_else(|| panic!("no step {prefix:?} in {steps:#?}"))
}

/// The TLS sub-step of the connection step.
fn tls_step(report: &CheckReport) -> &Step {
    step(
        &step(&report.steps, "Connect to the EWS server").children,
        "TLS",
    )
}

/// A check that got all the way through: alice's 50 Inbox items.
fn assert_ok(report: &CheckReport) {
    assert_eq!(
        report.verdict.class,
        OutcomeClass::Ok,
        "{:#?}",
        report.verdict
    );
    assert!(
        report.verdict.message.contains("Inbox (50 items)"),
        "{}",
        report.verdict.message
    );
    assert_eq!(
        report.ews_url.as_deref(),
        Some(report_url(report).as_str()),
        "the URL given is the one used"
    );
    for title in ["Log on as the service account", "Impersonate the target"] {
        assert_eq!(step(&report.steps, title).status, StepStatus::Ok, "{title}");
    }
}

fn report_url(report: &CheckReport) -> String {
    let given = step(&report.steps, "Find the EWS URL");
    given
        .detail
        .strip_prefix("given: ")
        .expect("a given URL")
        .to_string()
}

/// A check stopped at the TLS step: TlsUntrusted, later steps skipped, no EWS request sent.
fn assert_tls_untrusted(report: &CheckReport, server: &TlsSim) {
    assert_eq!(
        report.verdict.class,
        OutcomeClass::TlsUntrusted,
        "{:#?}",
        report.verdict
    );
    let connect = step(&report.steps, "Connect to the EWS server");
    assert_eq!(connect.status, StepStatus::Failed);
    assert_eq!(tls_step(report).status, StepStatus::Failed);
    for title in [
        "Log on as the service account",
        "Impersonate the target",
        "Bind the folders",
    ] {
        assert_eq!(
            step(&report.steps, title).status,
            StepStatus::Skipped,
            "{title}"
        );
    }
    assert_eq!(
        server.ews_requests(),
        0,
        "no credentials were sent to an untrusted server"
    );
}

#[tokio::test]
async fn verify_without_the_ca_is_untrusted_and_the_remedy_names_pinning_and_the_ca() {
    let server = TlsSim::start(&[MAIL_HOST, "localhost"]).await;
    let report = check_access(server.options(TlsPolicy::Verify, Vec::new(), basic())).await;
    assert_tls_untrusted(&report, &server);
    assert!(
        report
            .verdict
            .message
            .contains("issued by a CA this machine does not trust"),
        "{}",
        report.verdict.message
    );
    assert!(
        report.verdict.message.contains(MAIL_HOST),
        "the message names the host: {}",
        report.verdict.message
    );
    let remedy = &report.verdict.remedy;
    assert!(remedy.contains("CA"), "{remedy}");
    assert!(remedy.contains("pin"), "{remedy}");
    assert!(remedy.contains("SHA-256"), "{remedy}");
    assert!(
        report.warnings.is_empty(),
        "verify is the default: {:?}",
        report.warnings
    );
    assert_eq!(tls_step(&report).title, "TLS (verify)");
}

#[tokio::test]
async fn verify_with_the_ca_passes_and_shows_the_certificate_fingerprint() {
    let server = TlsSim::start(&[MAIL_HOST, "localhost"]).await;
    for credentials in [basic(), ntlm()] {
        let scheme = credentials.scheme();
        let report =
            check_access(server.options(TlsPolicy::Verify, vec![server.ca.clone()], credentials))
                .await;
        assert_ok(&report);
        assert!(
            report.warnings.is_empty(),
            "{scheme}: {:?}",
            report.warnings
        );
        let connect = step(&report.steps, "Connect to the EWS server");
        assert_eq!(connect.status, StepStatus::Ok, "{scheme}: {connect:#?}");
        assert_eq!(
            connect
                .children
                .iter()
                .map(|c| c.status)
                .collect::<Vec<_>>(),
            [StepStatus::Ok; 3],
            "DNS, TCP and TLS: {connect:#?}"
        );
        assert_eq!(
            connect.children[0].detail, "127.0.0.1",
            "DNS used the override"
        );
        let tls = tls_step(&report);
        assert_eq!(tls.title, "TLS (verify)");
        assert_eq!(
            tls.detail,
            format!("certificate SHA-256 {}", server.fingerprint)
        );
        assert!(
            step(&report.steps, "Log on as the service account")
                .title
                .contains(scheme),
            "{scheme}"
        );
    }
    assert!(server.ews_requests() > 0);
}

#[tokio::test]
async fn the_right_pin_passes_with_the_pin_warning() {
    let server = TlsSim::start(&[MAIL_HOST, "localhost"]).await;
    let policy = pin(&server.fingerprint);
    let report = check_access(server.options(policy.clone(), Vec::new(), basic())).await;
    assert_ok(&report);
    assert_eq!(
        report.warnings,
        [TlsPolicy::Pin([0; 32]).warning().unwrap().to_string()],
        "the pin warning, and nothing else"
    );
    assert!(report.warnings[0].contains("pinned certificate"));
    let tls = tls_step(&report);
    assert_eq!(tls.status, StepStatus::Ok);
    assert_eq!(tls.title, format!("TLS ({policy})"));
    assert!(tls.title.contains(&server.fingerprint), "{}", tls.title);
    assert_eq!(
        tls.detail,
        format!("certificate SHA-256 {}", server.fingerprint)
    );
}

#[tokio::test]
async fn a_pin_with_colons_and_capitals_is_the_same_pin() {
    let server = TlsSim::start(&[MAIL_HOST, "localhost"]).await;
    let fp = server.fingerprint.to_ascii_uppercase();
    let with_colons = fp
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    let report = check_access(server.options(pin(&with_colons), Vec::new(), ntlm())).await;
    assert_ok(&report);
}

#[tokio::test]
async fn the_wrong_pin_is_untrusted_and_says_which_certificate_came() {
    let server = TlsSim::start(&[MAIL_HOST, "localhost"]).await;
    let wrong = "00".repeat(32);
    assert_ne!(wrong, server.fingerprint);
    let report = check_access(server.options(pin(&wrong), vec![server.ca.clone()], basic())).await;
    assert_tls_untrusted(&report, &server);
    let message = &report.verdict.message;
    assert!(
        message.contains(&server.fingerprint),
        "the certificate actually served: {message}"
    );
    assert!(message.contains(&wrong), "the pin: {message}");
    assert!(!message.contains("unexpected error"), "{message}");
    assert!(report.verdict.remedy.contains("pin"));
    assert!(
        report.warnings.iter().any(|w| w.contains("pinned")),
        "{:?}",
        report.warnings
    );
}

#[tokio::test]
async fn ignore_trust_passes_with_the_ignore_trust_warning() {
    let server = TlsSim::start(&[MAIL_HOST, "localhost"]).await;
    let report = check_access(server.options(TlsPolicy::IgnoreTrust, Vec::new(), basic())).await;
    assert_ok(&report);
    assert_eq!(
        report.warnings,
        [TlsPolicy::IgnoreTrust.warning().unwrap().to_string()]
    );
    assert!(report.warnings[0].contains("ignore-trust"));
    let connect = step(&report.steps, "Connect to the EWS server");
    assert_eq!(
        connect.status,
        StepStatus::Warning,
        "ignored trust is a warning"
    );
    let tls = tls_step(&report);
    assert_eq!(tls.title, "TLS (ignore-trust)");
    assert_eq!(tls.status, StepStatus::Warning);
    assert_eq!(
        tls.detail,
        format!("certificate SHA-256 {}", server.fingerprint)
    );
}

#[tokio::test]
async fn ignore_trust_accepts_even_a_certificate_for_another_name() {
    let server = TlsSim::start(&["other.test"]).await;
    let report = check_access(server.options(TlsPolicy::IgnoreTrust, Vec::new(), basic())).await;
    assert_ok(&report);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_untrusted_even_with_its_ca() {
    let server = TlsSim::start(&["other.test"]).await;
    let report =
        check_access(server.options(TlsPolicy::Verify, vec![server.ca.clone()], ntlm())).await;
    assert_tls_untrusted(&report, &server);
    assert!(
        report
            .verdict
            .message
            .contains("the certificate is not valid for this host name"),
        "{}",
        report.verdict.message
    );
    assert!(
        tls_step(&report)
            .detail
            .contains("not valid for this host name"),
        "{:#?}",
        tls_step(&report)
    );
}

#[tokio::test]
async fn a_ca_for_another_server_does_not_help() {
    let server = TlsSim::start(&[MAIL_HOST, "localhost"]).await;
    let other = TlsSim::start(&[MAIL_HOST]).await;
    let report =
        check_access(server.options(TlsPolicy::Verify, vec![other.ca.clone()], basic())).await;
    assert_tls_untrusted(&report, &server);
    // Both generated CAs are named "Impersync simulator CA": the chain is built to the wrong
    // one and its signature does not match.
    assert!(
        report
            .verdict
            .message
            .contains("does not match the trusted CA of the same name"),
        "{}",
        report.verdict.message
    );
}

#[test]
fn the_guard_refuses_metadata_addresses_and_plain_http_before_any_request() {
    let strict = UrlPolicy::default();
    let lab = UrlPolicy {
        allow_insecure_http: true,
    };
    for policy in [strict, lab] {
        let refused = GuardedUrl::new("https://169.254.169.254/EWS/Exchange.asmx", policy)
            .expect_err("the metadata address is refused");
        assert!(
            matches!(
                refused,
                UrlRefused::Forbidden { addr, .. } if addr == IpAddr::V4(METADATA_ADDR)
            ),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("169.254.169.254"), "{refused}");
        let refused = GuardedUrl::new("https://169.254.169.254/latest/meta-data/", policy)
            .expect_err("any path");
        assert!(matches!(refused, UrlRefused::Forbidden { .. }));
    }
    let refused = GuardedUrl::new(&format!("http://{MAIL_HOST}/EWS/Exchange.asmx"), strict)
        .expect_err("plain http without the lab flag");
    assert!(
        matches!(refused, UrlRefused::InsecureHttp(_)),
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("--allow-insecure-http"),
        "{refused}"
    );
    assert!(GuardedUrl::new(&format!("http://{MAIL_HOST}/EWS/Exchange.asmx"), lab).is_ok());
}

#[tokio::test]
async fn a_name_that_resolves_to_the_metadata_address_is_unreachable() {
    let server = TlsSim::start(&[MAIL_HOST, METADATA_HOST]).await;
    let url = GuardedUrl::new(
        &format!("https://{METADATA_HOST}:{}/EWS/Exchange.asmx", server.port),
        UrlPolicy::default(),
    )
    .expect("a host name passes the URL check; its address is checked at resolution");
    let report = check_access(options_for(
        url,
        TlsPolicy::IgnoreTrust,
        Vec::new(),
        basic(),
    ))
    .await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::Unreachable,
        "{:#?}",
        report.verdict
    );
    let message = &report.verdict.message;
    assert!(message.contains("169.254.169.254"), "{message}");
    assert!(message.contains(METADATA_HOST), "{message}");
    let connect = step(&report.steps, "Connect to the EWS server");
    assert_eq!(connect.status, StepStatus::Failed);
    assert_eq!(
        connect.children.len(),
        1,
        "stopped at DNS, before any connection: {connect:#?}"
    );
    assert_eq!(connect.children[0].status, StepStatus::Failed);
    assert!(connect.children[0].title.starts_with("DNS"));
    assert_eq!(server.ews_requests(), 0);
}

#[tokio::test]
async fn the_transport_also_refuses_a_name_that_resolves_to_the_metadata_address() {
    // The probe stops at DNS, but the client's own resolver must refuse too: Autodiscover or
    // a redirect could hand the client such a name without the probe seeing it.
    let config = TransportConfig {
        tls: TlsPolicy::IgnoreTrust,
        resolver: resolver(),
        ..TransportConfig::default()
    };
    let transport =
        impersync_exchange::transport::Transport::new(basic(), config).expect("transport");
    let url = GuardedUrl::new(
        &format!("https://{METADATA_HOST}/EWS/Exchange.asmx"),
        UrlPolicy::default(),
    )
    .unwrap();
    let err = transport
        .post(&url, "text/xml; charset=utf-8", String::new(), None)
        .await
        .expect_err("refused at name resolution");
    assert_eq!(err.class(), OutcomeClass::Unreachable, "{err:?}");
    assert!(err.to_string().contains("169.254.169.254"), "{err}");
}

/// The names Autodiscover tries, and the EWS host.
const AUTODISCOVER_NAMES: [&str; 3] = [DOMAIN, AUTODISCOVER_HOST, MAIL_HOST];

#[tokio::test]
async fn autodiscover_over_verified_tls_finds_the_ews_url() {
    let server = TlsSim::start(&AUTODISCOVER_NAMES).await;
    let report =
        check_access(server.autodiscover_options(TlsPolicy::Verify, vec![server.ca.clone()])).await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::Ok,
        "{:#?}",
        report.verdict
    );
    let ews = format!("https://{DOMAIN}:{}/EWS/Exchange.asmx", server.port);
    assert_eq!(report.ews_url.as_deref(), Some(ews.as_str()));
    let found = step(&report.steps, "Find the EWS URL (Autodiscover)");
    assert_eq!(found.status, StepStatus::Ok);
    assert_eq!(found.detail, format!("found {ews}"));
    assert_eq!(found.children.len(), 1, "SOAP at the domain: {found:#?}");
    assert_eq!(
        tls_step(&report).detail,
        format!("certificate SHA-256 {}", server.fingerprint)
    );
}

#[tokio::test]
async fn autodiscover_over_untrusted_tls_fails_with_a_tls_hint() {
    let server = TlsSim::start(&AUTODISCOVER_NAMES).await;
    server.sim.autodiscover.lock().unwrap().refuse_json = true;
    let report = check_access(server.autodiscover_options(TlsPolicy::Verify, Vec::new())).await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::AutodiscoverFailed,
        "{:#?}",
        report.verdict
    );
    let found = step(&report.steps, "Find the EWS URL (Autodiscover)");
    assert_eq!(found.status, StepStatus::Failed);
    let tls_failures = found
        .children
        .iter()
        .filter(|c| c.detail.contains("does not trust"))
        .count();
    assert_eq!(
        tls_failures, 7,
        "SOAP and POX at both hosts, POX at the HTTP redirect's target, v2 JSON at both hosts: {found:#?}"
    );
    assert!(
        report
            .hints
            .iter()
            .any(|h| h.contains("TLS failed") && h.contains("pin")),
        "the hint points at TLS: {:?}",
        report.hints
    );
    assert_eq!(server.ews_requests(), 0);
}

#[tokio::test]
async fn an_http_ews_url_from_autodiscover_is_refused_and_the_attempts_are_kept() {
    let server = TlsSim::start(&AUTODISCOVER_NAMES).await;
    // The domain redirects to the plain listener; a lab Autodiscover policy follows it, but the
    // check's strict URL policy refuses the plain-http EWS URL that comes back.
    let insecure = format!(
        "http://{MAIL_HOST}:{}/autodiscover/autodiscover.xml",
        server.plain_port
    );
    server
        .sim
        .autodiscover
        .lock()
        .unwrap()
        .redirect_url
        .insert(DOMAIN.into(), insecure);
    let mut options = server.autodiscover_options(TlsPolicy::Verify, vec![server.ca.clone()]);
    let EwsSource::Autodiscover(ad) = &mut options.source else {
        unreachable!()
    };
    ad.url_policy = UrlPolicy {
        allow_insecure_http: true,
    };
    let report = check_access(options).await;
    assert_eq!(
        report.verdict.class,
        OutcomeClass::AutodiscoverFailed,
        "{:#?}",
        report.verdict
    );
    assert!(
        report.verdict.message.contains("plain http://"),
        "{}",
        report.verdict.message
    );
    let found = step(&report.steps, "Find the EWS URL (Autodiscover)");
    assert_eq!(found.status, StepStatus::Failed);
    assert_eq!(found.children.len(), 2, "SOAP, then POX at the redirect");
    assert_eq!(
        step(&report.steps, "Connect to the EWS server").status,
        StepStatus::Skipped
    );
    assert_eq!(server.ews_requests(), 0);
}

#[tokio::test]
async fn the_client_classifies_tls_failures_as_tls_untrusted() {
    // Bulk checks and sync call the client without the probe: its own errors must say TLS.
    use impersync_ews::types::FolderRef;
    use impersync_exchange::{ExchangeClient, ExchangeConfig};
    let server = TlsSim::start(&[MAIL_HOST]).await;
    let other_name = TlsSim::start(&["other.test"]).await;
    let cases = [
        (&server, TlsPolicy::Verify, vec![], "does not trust"),
        (
            &server,
            pin(&"11".repeat(32)),
            vec![],
            "not the pinned 1111",
        ),
        (
            &other_name,
            TlsPolicy::Verify,
            vec![other_name.ca.clone()],
            "not valid for this host name",
        ),
    ];
    for (sim, tls, extra_roots, expected) in cases {
        for credentials in [basic(), ntlm()] {
            let mut config = ExchangeConfig::new(sim.ews_url(), credentials);
            config.transport = TransportConfig {
                tls: tls.clone(),
                extra_roots: extra_roots.clone(),
                resolver: resolver(),
                ..TransportConfig::default()
            };
            let client = ExchangeClient::new(config).expect("client");
            let err = client
                .get_folder(
                    Some(&Impersonate::smtp(IdType::SmtpAddress, ALICE)),
                    FolderRef::distinguished("inbox"),
                )
                .await
                .expect_err("TLS fails");
            assert_eq!(err.class(), OutcomeClass::TlsUntrusted, "{tls}: {err}");
            assert!(err.to_string().contains(expected), "{tls}: {err}");
        }
        assert_eq!(sim.ews_requests(), 0);
    }
}
