//! Autodiscover's candidates, in Microsoft's order, against one simulator behind a plain and a
//! TLS listener: SOAP and POX at `https://D` and `https://autodiscover.D`, the unauthenticated
//! HTTP redirect, the SRV record, then v2 JSON; `redirectAddr` and `redirectUrl` (and their
//! loops), the URL policy for redirect targets, and DNS failures.

use impersync_exchange::autodiscover::{
    Attempt, AutodiscoverOptions, Discovery, NoSrv, SrvRecord, SrvResolver, discover,
};
use impersync_exchange::transport::{Transport, TransportConfig};
use impersync_exchange::{Credentials, GuardedResolver, Secret, UrlPolicy};
use impersync_exchange_sim::autodiscover_control::AutodiscoverControl;
use impersync_exchange_sim::tls::SimTls;
use impersync_exchange_sim::{Scenario, Sim};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const ALICE: &str = "alice@contoso.test";
const D: &str = "contoso.test";
const AD: &str = "autodiscover.contoso.test";
const MAIL: &str = "mail.contoso.test";
const SOAP: &str = "SOAP POST";
const POX: &str = "POX POST";
const HTTP_GET: &str = "HTTP redirect GET";
const SRV: &str = "SRV lookup";
const V2: &str = "v2 JSON GET";

/// One simulator behind a plain listener and a TLS listener; both stop when dropped.
struct Lab {
    sim: Arc<Sim>,
    http_port: u16,
    https_port: u16,
    ca: CertificateDer<'static>,
    stops: Vec<oneshot::Sender<()>>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

impl Lab {
    async fn start() -> Self {
        impersync_exchange::install_default_provider();
        let tls = SimTls::generate(&[D.into(), AD.into(), MAIL.into()]).expect("certificate");
        let ca_pem = tls
            .ca_pem
            .clone()
            .expect("a generated certificate has a CA");
        let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA PEM");
        let sim = Arc::new(Sim::new(Scenario::demo()).expect("demo"));
        let plain = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let secure = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let http_port = plain.local_addr().unwrap().port();
        let https_port = secure.local_addr().unwrap().port();
        // run_tls records it too, but only once its task first runs.
        sim.set_https_port(https_port);
        let (stop_plain, plain_stopped) = oneshot::channel::<()>();
        let (stop_secure, secure_stopped) = oneshot::channel::<()>();
        tokio::spawn(impersync_exchange_sim::run(
            plain,
            Arc::clone(&sim),
            async move {
                let _ = plain_stopped.await;
            },
        ));
        tokio::spawn(impersync_exchange_sim::run_tls(
            secure,
            Arc::clone(&sim),
            Arc::clone(&tls.config),
            async move {
                let _ = secure_stopped.await;
            },
        ));
        Self {
            sim,
            http_port,
            https_port,
            ca,
            stops: vec![stop_plain, stop_secure],
        }
    }

    fn control(&self, control: AutodiscoverControl) {
        *self.sim.autodiscover.lock().unwrap() = control;
    }

    fn transport(&self, credentials: Credentials) -> Transport {
        Transport::new(
            credentials,
            TransportConfig {
                extra_roots: vec![self.ca.clone()],
                resolver: resolver(),
                ..TransportConfig::default()
            },
        )
        .expect("transport")
    }

    fn options(&self, email: &str, srv: Arc<dyn SrvResolver>) -> AutodiscoverOptions {
        AutodiscoverOptions {
            email: email.to_string(),
            https_port: self.https_port,
            http_port: self.http_port,
            srv,
            resolver: resolver(),
            ..AutodiscoverOptions::new(email)
        }
    }

    /// Runs discovery as the demo service account over Basic, with no SRV records.
    async fn discover(&self, email: &str) -> Discovery {
        self.discover_with(basic(), self.options(email, Arc::new(NoSrv)))
            .await
    }

    async fn discover_with(
        &self,
        credentials: Credentials,
        options: AutodiscoverOptions,
    ) -> Discovery {
        let transport = self.transport(credentials);
        tokio::time::timeout(Duration::from_secs(30), discover(&transport, &options))
            .await
            .expect("Autodiscover finishes")
    }

    /// `https://HOST:TLS/autodiscover/autodiscover.svc`.
    fn svc(&self, host: &str) -> String {
        format!(
            "https://{host}:{}/autodiscover/autodiscover.svc",
            self.https_port
        )
    }

    /// `https://HOST:TLS/autodiscover/autodiscover.xml`.
    fn xml(&self, host: &str) -> String {
        format!(
            "https://{host}:{}/autodiscover/autodiscover.xml",
            self.https_port
        )
    }

    /// `http://autodiscover.D:PLAIN/autodiscover/autodiscover.xml`, the redirect candidate.
    fn redirect_get(&self) -> String {
        format!(
            "http://{AD}:{}/autodiscover/autodiscover.xml",
            self.http_port
        )
    }

    /// The v2 JSON URL at HOST for alice.
    fn json(&self, host: &str) -> String {
        format!(
            "https://{host}:{}/autodiscover/autodiscover.json/v1.0/{ALICE}?Protocol=EWS",
            self.https_port
        )
    }

    /// The simulator's EWS URL as reached through HOST over TLS.
    fn ews(&self, host: &str) -> String {
        format!("https://{host}:{}/EWS/Exchange.asmx", self.https_port)
    }

    /// The four SOAP/POX candidates at D and autodiscover.D, each answered 404.
    fn refused_soap_and_pox(&self) -> Vec<(&'static str, String)> {
        vec![
            (SOAP, self.svc(D)),
            (POX, self.xml(D)),
            (SOAP, self.svc(AD)),
            (POX, self.xml(AD)),
        ]
    }
}

/// The three names → 127.0.0.1; anything else goes to the system's DNS.
fn resolver() -> GuardedResolver {
    let local = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    GuardedResolver::with_overrides(HashMap::from([
        (D.to_string(), local.clone()),
        (AD.to_string(), local.clone()),
        (MAIL.to_string(), local),
    ]))
}

fn basic() -> Credentials {
    basic_with("Demo-Impersonation-1")
}

fn basic_with(password: &str) -> Credentials {
    Credentials::Basic {
        account: "MasterImpersonation@contoso.test".parse().unwrap(),
        password: Secret::new(password),
    }
}

fn ntlm(password: &str) -> Credentials {
    Credentials::Ntlm {
        account: "CONTOSO\\MasterImpersonation".parse().unwrap(),
        password: Secret::new(password),
    }
}

/// Both Autodiscover hosts answer 404 to POX and SOAP.
fn both_refused() -> AutodiscoverControl {
    AutodiscoverControl {
        refuse_hosts: vec![D.into(), AD.into()],
        ..AutodiscoverControl::default()
    }
}

/// An SRV resolver with fixed records, remembering the names asked.
struct FixedSrv {
    records: Vec<SrvRecord>,
    asked: Mutex<Vec<String>>,
}

impl FixedSrv {
    fn new(records: Vec<SrvRecord>) -> Arc<Self> {
        Arc::new(Self {
            records,
            asked: Mutex::new(Vec::new()),
        })
    }
}

impl SrvResolver for FixedSrv {
    fn lookup<'a>(
        &'a self,
        name: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<SrvRecord>, String>> + Send + 'a>> {
        Box::pin(async move {
            self.asked.lock().unwrap().push(name.to_string());
            Ok(self.records.clone())
        })
    }
}

/// (method, target) of each attempt.
fn trail(discovery: &Discovery) -> Vec<(&'static str, String)> {
    discovery
        .attempts
        .iter()
        .map(|a| (a.method, a.target.clone()))
        .collect()
}

/// The trail, for failure messages.
fn show(discovery: &Discovery) -> String {
    discovery
        .attempts
        .iter()
        .map(|a| {
            format!(
                "{} {} dns={:?} connect={:?} http={:?} found={} → {}",
                a.method, a.target, a.dns, a.connect, a.http_status, a.found, a.result
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The attempt that produced the URL is the last one, and only it says so.
fn assert_found_last(discovery: &Discovery, ews_url: &str) {
    assert_eq!(
        discovery.ews_url.as_deref(),
        Some(ews_url),
        "{}",
        show(discovery)
    );
    let (last, before) = discovery.attempts.split_last().expect("attempts");
    assert!(last.found, "{}", show(discovery));
    assert_eq!(last.http_status, Some(200));
    assert_eq!(last.connect, Some(Ok(())));
    assert_eq!(last.dns, Some(Ok(vec!["127.0.0.1".to_string()])));
    assert_eq!(last.result, format!("EWS URL {ews_url}"));
    assert!(
        before.iter().all(|a| !a.found),
        "only the last attempt found it: {}",
        show(discovery)
    );
}

/// A SOAP or POX candidate that answered 404.
fn assert_404(attempt: &Attempt) {
    assert_eq!(attempt.http_status, Some(404), "{attempt:?}");
    assert_eq!(attempt.connect, Some(Ok(())), "{attempt:?}");
    assert_eq!(attempt.result, "HTTP 404", "{attempt:?}");
    assert!(!attempt.found);
}

#[tokio::test]
async fn by_default_soap_at_the_domain_answers_first() {
    let lab = Lab::start().await;
    let found = lab.discover(ALICE).await;
    assert_eq!(trail(&found), [(SOAP, lab.svc(D))], "{}", show(&found));
    assert_found_last(&found, &lab.ews(D));
}

#[tokio::test]
async fn ntlm_works_for_soap_and_pox_too() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        refuse_hosts: vec![D.into()],
        http_redirect_to: Some(MAIL.into()),
        ..AutodiscoverControl::default()
    });
    let found = lab
        .discover_with(
            ntlm("Demo-Impersonation-1"),
            lab.options(ALICE, Arc::new(NoSrv)),
        )
        .await;
    assert_eq!(
        trail(&found),
        [(SOAP, lab.svc(D)), (POX, lab.xml(D)), (SOAP, lab.svc(AD))],
        "{}",
        show(&found)
    );
    assert_found_last(&found, &lab.ews(AD));
    // POX is reached through the HTTP redirect, with NTLM as well.
    lab.control(AutodiscoverControl {
        http_redirect_to: Some(MAIL.into()),
        ..both_refused()
    });
    let found = lab
        .discover_with(
            ntlm("Demo-Impersonation-1"),
            lab.options(ALICE, Arc::new(NoSrv)),
        )
        .await;
    assert_found_last(&found, &lab.ews(MAIL));
    assert_eq!(found.attempts.last().unwrap().method, POX);
}

#[tokio::test]
async fn a_refused_domain_moves_on_to_autodiscover_dot_domain() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        refuse_hosts: vec![D.into()],
        ..AutodiscoverControl::default()
    });
    let found = lab.discover(ALICE).await;
    assert_eq!(
        trail(&found),
        [(SOAP, lab.svc(D)), (POX, lab.xml(D)), (SOAP, lab.svc(AD))],
        "{}",
        show(&found)
    );
    assert_404(&found.attempts[0]);
    assert_404(&found.attempts[1]);
    assert_found_last(&found, &lab.ews(AD));
}

#[tokio::test]
async fn with_both_hosts_refused_the_http_redirect_leads_to_pox() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        http_redirect_to: Some(MAIL.into()),
        ..both_refused()
    });
    let found = lab.discover(ALICE).await;
    let mut expected = lab.refused_soap_and_pox();
    expected.push((HTTP_GET, lab.redirect_get()));
    expected.push((POX, lab.xml(MAIL)));
    assert_eq!(trail(&found), expected, "{}", show(&found));
    for attempt in &found.attempts[..4] {
        assert_404(attempt);
    }
    let get = &found.attempts[4];
    assert_eq!(get.http_status, Some(302), "{}", show(&found));
    assert_eq!(get.result, format!("redirected to {}", lab.xml(MAIL)));
    assert!(!get.found);
    assert_found_last(&found, &lab.ews(MAIL));
}

#[tokio::test]
async fn a_dead_http_redirect_target_moves_on_to_the_next_candidates() {
    let lab = Lab::start().await;
    // The redirect points at autodiscover.D itself, whose POX is refused.
    lab.control(both_refused());
    let found = lab.discover(ALICE).await;
    let mut expected = lab.refused_soap_and_pox();
    expected.push((HTTP_GET, lab.redirect_get()));
    expected.push((POX, lab.xml(AD)));
    expected.push((SRV, format!("_autodiscover._tcp.{D}")));
    expected.push((V2, lab.json(AD)));
    assert_eq!(trail(&found), expected, "{}", show(&found));
    assert_404(&found.attempts[5]);
    assert_found_last(&found, &lab.ews(AD));
}

#[tokio::test]
async fn without_the_redirect_the_srv_record_leads_to_pox() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        disable_http_redirect: true,
        ..both_refused()
    });
    let srv = FixedSrv::new(vec![SrvRecord {
        target: MAIL.into(),
        port: lab.https_port,
    }]);
    let found = lab
        .discover_with(basic(), lab.options(ALICE, srv.clone()))
        .await;
    let srv_name = format!("_autodiscover._tcp.{D}");
    let mut expected = lab.refused_soap_and_pox();
    expected.push((HTTP_GET, lab.redirect_get()));
    expected.push((SRV, srv_name.clone()));
    expected.push((POX, lab.xml(MAIL)));
    assert_eq!(trail(&found), expected, "{}", show(&found));
    assert_eq!(*srv.asked.lock().unwrap(), [srv_name]);
    let get = &found.attempts[4];
    assert_eq!(get.http_status, Some(404));
    assert_eq!(get.result, "no redirect (HTTP 404)");
    let lookup = &found.attempts[5];
    assert_eq!(
        lookup.dns,
        Some(Ok(vec![format!("{MAIL}:{}", lab.https_port)]))
    );
    assert_eq!(lookup.result, "found");
    assert!(!lookup.found, "the lookup itself found no EWS URL");
    assert_found_last(&found, &lab.ews(MAIL));
}

#[tokio::test]
async fn without_redirect_or_srv_v2_json_answers() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        disable_http_redirect: true,
        ..both_refused()
    });
    let found = lab.discover(ALICE).await;
    let mut expected = lab.refused_soap_and_pox();
    expected.push((HTTP_GET, lab.redirect_get()));
    expected.push((SRV, format!("_autodiscover._tcp.{D}")));
    expected.push((V2, lab.json(AD)));
    assert_eq!(trail(&found), expected, "{}", show(&found));
    assert_eq!(
        lab.json(AD),
        format!(
            "https://autodiscover.contoso.test:{}/autodiscover/autodiscover.json/v1.0/alice@contoso.test?Protocol=EWS",
            lab.https_port
        )
    );
    let srv = &found.attempts[5];
    assert!(
        matches!(&srv.dns, Some(Err(why)) if why.contains("_autodiscover._tcp.contoso.test")),
        "{srv:?}"
    );
    assert_eq!(srv.result, "no SRV record");
    assert_found_last(&found, &lab.ews(AD));
}

#[tokio::test]
async fn with_everything_off_every_candidate_is_tried_in_order() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        disable_http_redirect: true,
        refuse_json: true,
        ..both_refused()
    });
    let found = lab.discover(ALICE).await;
    assert_eq!(found.ews_url, None, "{}", show(&found));
    let mut expected = lab.refused_soap_and_pox();
    expected.push((HTTP_GET, lab.redirect_get()));
    expected.push((SRV, format!("_autodiscover._tcp.{D}")));
    expected.push((V2, lab.json(AD)));
    expected.push((V2, lab.json(D)));
    assert_eq!(trail(&found), expected, "{}", show(&found));
    assert!(found.attempts.iter().all(|a| !a.found));
    for v2 in &found.attempts[6..] {
        assert_eq!(v2.http_status, Some(404), "{v2:?}");
        assert_eq!(v2.result, "no EWS URL (HTTP 404)");
    }
}

#[tokio::test]
async fn a_redirect_addr_restarts_with_the_new_address() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        redirect_addr: BTreeMap::from([("alias@contoso.test".into(), ALICE.into())]),
        ..AutodiscoverControl::default()
    });
    let found = lab.discover("alias@contoso.test").await;
    assert_eq!(
        trail(&found),
        [(SOAP, lab.svc(D)), (SOAP, lab.svc(D))],
        "{}",
        show(&found)
    );
    assert_eq!(
        found.attempts[0].result,
        format!("redirected to the address {ALICE}")
    );
    assert_found_last(&found, &lab.ews(D));
    // POX says redirectAddr the same way (reached through SRV, the hosts refusing).
    lab.control(AutodiscoverControl {
        redirect_addr: BTreeMap::from([("alias@contoso.test".into(), ALICE.into())]),
        disable_http_redirect: true,
        ..both_refused()
    });
    let srv = FixedSrv::new(vec![SrvRecord {
        target: MAIL.into(),
        port: lab.https_port,
    }]);
    let found = lab
        .discover_with(basic(), lab.options("alias@contoso.test", srv))
        .await;
    let pox: Vec<_> = found
        .attempts
        .iter()
        .filter(|a| a.method == POX && a.target == lab.xml(MAIL))
        .collect();
    assert_eq!(pox.len(), 2, "{}", show(&found));
    assert_eq!(pox[0].result, format!("redirectAddr to {ALICE}"));
    assert_found_last(&found, &lab.ews(MAIL));
}

#[tokio::test]
async fn a_redirect_addr_loop_stops_at_the_limit() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        redirect_addr: BTreeMap::from([
            ("a@contoso.test".into(), "b@contoso.test".into()),
            ("b@contoso.test".into(), "a@contoso.test".into()),
        ]),
        ..AutodiscoverControl::default()
    });
    let mut options = lab.options("a@contoso.test", Arc::new(NoSrv));
    options.max_redirects = 3;
    let found = lab.discover_with(basic(), options).await;
    assert_eq!(found.ews_url, None, "{}", show(&found));
    let (stop, soap) = found.attempts.split_last().unwrap();
    assert_eq!(
        soap.len(),
        4,
        "the address and 3 redirects: {}",
        show(&found)
    );
    let redirected_to: Vec<_> = soap.iter().map(|a| a.result.clone()).collect();
    assert_eq!(
        redirected_to,
        [
            "redirected to the address b@contoso.test",
            "redirected to the address a@contoso.test",
            "redirected to the address b@contoso.test",
            "redirected to the address a@contoso.test",
        ]
    );
    assert!(
        soap.iter()
            .all(|a| a.method == SOAP && a.target == lab.svc(D))
    );
    assert_eq!(stop.method, "redirect");
    assert_eq!(stop.target, "a@contoso.test");
    assert!(stop.result.contains("too many"), "{stop:?}");
    // The default limit ends it too, without hanging.
    let found = lab.discover("a@contoso.test").await;
    assert_eq!(found.ews_url, None);
    let default_limit = AutodiscoverOptions::new("x@y.test").max_redirects as usize;
    assert_eq!(found.attempts.len(), default_limit + 2, "{}", show(&found));
}

#[tokio::test]
async fn a_redirect_url_is_followed_with_pox() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        redirect_url: BTreeMap::from([(D.into(), lab.xml(MAIL))]),
        ..AutodiscoverControl::default()
    });
    let found = lab.discover(ALICE).await;
    assert_eq!(
        trail(&found),
        [(SOAP, lab.svc(D)), (POX, lab.xml(MAIL))],
        "{}",
        show(&found)
    );
    assert_eq!(
        found.attempts[0].result,
        format!("redirected to {}", lab.xml(MAIL))
    );
    assert_found_last(&found, &lab.ews(MAIL));
}

#[tokio::test]
async fn a_redirect_url_to_plain_http_is_refused_and_the_next_candidate_tried() {
    let lab = Lab::start().await;
    let insecure = format!(
        "http://{MAIL}:{}/autodiscover/autodiscover.xml",
        lab.http_port
    );
    lab.control(AutodiscoverControl {
        redirect_url: BTreeMap::from([(D.into(), insecure.clone())]),
        ..AutodiscoverControl::default()
    });
    let found = lab.discover(ALICE).await;
    assert_eq!(
        trail(&found),
        [
            (SOAP, lab.svc(D)),
            (POX, insecure.clone()),
            (POX, lab.xml(D)),
            (POX, insecure.clone()),
            (SOAP, lab.svc(AD)),
        ],
        "{}",
        show(&found)
    );
    assert_eq!(
        found.attempts[2].result,
        format!("redirectUrl to {insecure}")
    );
    for refused in [&found.attempts[1], &found.attempts[3]] {
        assert!(
            refused.result.contains("plain http://"),
            "refused by the URL guard: {refused:?}"
        );
        assert_eq!(refused.dns, None, "not even resolved");
        assert_eq!(refused.connect, None, "never sent");
        assert_eq!(refused.http_status, None);
    }
    assert_found_last(&found, &lab.ews(AD));
    // A lab that allows http:// follows it.
    let mut options = lab.options(ALICE, Arc::new(NoSrv));
    options.url_policy = UrlPolicy {
        allow_insecure_http: true,
    };
    let found = lab.discover_with(basic(), options).await;
    assert_eq!(
        trail(&found),
        [(SOAP, lab.svc(D)), (POX, insecure)],
        "{}",
        show(&found)
    );
    assert_found_last(
        &found,
        &format!("http://{MAIL}:{}/EWS/Exchange.asmx", lab.http_port),
    );
}

#[tokio::test]
async fn a_redirect_url_loop_stops_at_the_limit_and_moves_on() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        redirect_url: BTreeMap::from([(D.into(), lab.xml(D))]),
        ..AutodiscoverControl::default()
    });
    let mut options = lab.options(ALICE, Arc::new(NoSrv));
    options.max_redirects = 2;
    let found = lab.discover_with(basic(), options).await;
    assert_eq!(
        trail(&found),
        [
            (SOAP, lab.svc(D)),
            (POX, lab.xml(D)),
            (POX, lab.xml(D)),
            ("redirect", lab.xml(D)),
            (POX, lab.xml(D)),
            ("redirect", lab.xml(D)),
            (SOAP, lab.svc(AD)),
        ],
        "{}",
        show(&found)
    );
    assert_found_last(&found, &lab.ews(AD));
}

#[tokio::test]
async fn refused_credentials_show_as_401_not_as_unreachable() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        refuse_json: true,
        disable_http_redirect: true,
        ..AutodiscoverControl::default()
    });
    for credentials in [ntlm("wrong password"), basic_with("wrong password")] {
        let scheme = credentials.scheme();
        let found = lab
            .discover_with(credentials, lab.options(ALICE, Arc::new(NoSrv)))
            .await;
        assert_eq!(found.ews_url, None, "{scheme}: {}", show(&found));
        for attempt in &found.attempts[..4] {
            assert_eq!(attempt.http_status, Some(401), "{scheme}: {}", show(&found));
            assert_eq!(attempt.connect, Some(Ok(())), "{scheme}: {attempt:?}");
            assert!(!attempt.result.contains("unreachable"), "{attempt:?}");
        }
    }
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_recorded_as_a_dns_failure() {
    let lab = Lab::start().await;
    let found = lab.discover("alice@nowhere.invalid").await;
    assert_eq!(found.ews_url, None, "{}", show(&found));
    let dn = "nowhere.invalid";
    let ad = format!("autodiscover.{dn}");
    let p = lab.https_port;
    assert_eq!(
        trail(&found),
        [
            (
                SOAP,
                format!("https://{dn}:{p}/autodiscover/autodiscover.svc")
            ),
            (
                POX,
                format!("https://{dn}:{p}/autodiscover/autodiscover.xml")
            ),
            (
                SOAP,
                format!("https://{ad}:{p}/autodiscover/autodiscover.svc")
            ),
            (
                POX,
                format!("https://{ad}:{p}/autodiscover/autodiscover.xml")
            ),
            (
                HTTP_GET,
                format!(
                    "http://{ad}:{}/autodiscover/autodiscover.xml",
                    lab.http_port
                )
            ),
            (SRV, format!("_autodiscover._tcp.{dn}")),
            (
                V2,
                format!(
                    "https://{ad}:{p}/autodiscover/autodiscover.json/v1.0/alice@{dn}?Protocol=EWS"
                )
            ),
            (
                V2,
                format!(
                    "https://{dn}:{p}/autodiscover/autodiscover.json/v1.0/alice@{dn}?Protocol=EWS"
                )
            ),
        ],
        "{}",
        show(&found)
    );
    for attempt in &found.attempts {
        assert!(
            matches!(attempt.dns, Some(Err(_))),
            "a DNS error is recorded: {attempt:?}"
        );
        assert_eq!(attempt.connect, None, "no connection tried: {attempt:?}");
        assert_eq!(attempt.http_status, None);
        assert!(!attempt.found);
    }
    assert!(
        found
            .attempts
            .iter()
            .filter(|a| a.method != SRV)
            .all(|a| a.result == "the name does not resolve"),
        "{}",
        show(&found)
    );
}

#[tokio::test]
async fn a_candidate_resolving_to_a_metadata_address_is_refused_at_dns() {
    let lab = Lab::start().await;
    let mut overrides = HashMap::from([(
        D.to_string(),
        vec![IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254))],
    )]);
    overrides.insert(AD.to_string(), vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    let mut options = lab.options(ALICE, Arc::new(NoSrv));
    options.resolver = GuardedResolver::with_overrides(overrides);
    let found = lab.discover_with(basic(), options).await;
    assert_eq!(
        trail(&found)[..3],
        [(SOAP, lab.svc(D)), (POX, lab.xml(D)), (SOAP, lab.svc(AD))],
        "{}",
        show(&found)
    );
    for attempt in &found.attempts[..2] {
        assert!(
            matches!(&attempt.dns, Some(Err(why)) if why.contains("169.254.169.254")),
            "{attempt:?}"
        );
        assert_eq!(attempt.connect, None);
    }
    assert_found_last(&found, &lab.ews(AD));
}

#[tokio::test]
async fn an_untrusted_certificate_is_recorded_as_a_tls_failure() {
    let lab = Lab::start().await;
    lab.control(AutodiscoverControl {
        disable_http_redirect: true,
        ..AutodiscoverControl::default()
    });
    let transport = Transport::new(
        basic(),
        TransportConfig {
            resolver: resolver(),
            ..TransportConfig::default()
        },
    )
    .expect("transport");
    let found = discover(&transport, &lab.options(ALICE, Arc::new(NoSrv))).await;
    assert_eq!(found.ews_url, None, "{}", show(&found));
    let https: Vec<_> = found
        .attempts
        .iter()
        .filter(|a| a.target.starts_with("https://"))
        .collect();
    assert_eq!(https.len(), 6, "SOAP, POX and v2 at both hosts");
    for attempt in https {
        assert_eq!(attempt.result, "TLS failed", "{attempt:?}");
        assert!(
            matches!(&attempt.connect, Some(Err(why)) if why.contains("does not trust")),
            "{attempt:?}"
        );
        assert_eq!(attempt.http_status, None);
    }
}
