//! The Exchange simulator for the admin tests: the demo organisation on loopback ports,
//! plain HTTP for EWS and, when asked, HTTPS with a fresh CA for Autodiscover.

use impersync_exchange_sim::tls::SimTls;
use impersync_exchange_sim::{Scenario, Sim};
use reqwest::Method;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::common::{Server, Session};

/// The demo's service account, its password and its users.
pub const LOGON: &str = "CONTOSO\\MasterImpersonation";
/// The demo service account's password.
pub const PASSWORD: &str = "Demo-Impersonation-1";
/// The six demo users.
pub const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];

/// A running simulator; it stops when dropped.
pub struct SimServer {
    /// The plain HTTP listener.
    pub addr: SocketAddr,
    /// The HTTPS listener's port and the CA that issued its certificate, if started.
    pub tls: Option<(u16, String)>,
    /// The simulator's state, for direct changes.
    pub sim: Arc<Sim>,
    stops: Vec<oneshot::Sender<()>>,
}

impl Drop for SimServer {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

async fn listener() -> (TcpListener, oneshot::Sender<()>, oneshot::Receiver<()>) {
    let (stop, stopped) = oneshot::channel();
    (
        TcpListener::bind("127.0.0.1:0").await.unwrap(),
        stop,
        stopped,
    )
}

/// Starts the demo organisation over plain HTTP, and over HTTPS with a certificate for
/// `tls_names` when there are any.
pub async fn start(tls_names: &[&str]) -> SimServer {
    let sim = Arc::new(Sim::new(Scenario::demo()).expect("demo scenario"));
    let (plain, stop, stopped) = listener().await;
    let addr = plain.local_addr().unwrap();
    tokio::spawn(impersync_exchange_sim::run(
        plain,
        Arc::clone(&sim),
        async {
            let _ = stopped.await;
        },
    ));
    let mut server = SimServer {
        addr,
        tls: None,
        sim,
        stops: vec![stop],
    };
    if !tls_names.is_empty() {
        impersync_exchange::install_default_provider();
        let names: Vec<String> = tls_names.iter().map(|n| n.to_string()).collect();
        let tls = SimTls::generate(&names).expect("certificate");
        let (secure, stop, stopped) = listener().await;
        let port = secure.local_addr().unwrap().port();
        server.sim.set_https_port(port);
        tokio::spawn(impersync_exchange_sim::run_tls(
            secure,
            Arc::clone(&server.sim),
            Arc::clone(&tls.config),
            async {
                let _ = stopped.await;
            },
        ));
        server.stops.push(stop);
        server.tls = Some((port, tls.ca_pem.expect("generated CA")));
    }
    server
}

impl SimServer {
    /// `http://ADDR/EWS/Exchange.asmx`.
    pub fn ews_url(&self) -> String {
        format!("http://{}/EWS/Exchange.asmx", self.addr)
    }

    /// Makes `user` a direct member of the impersonation scope's group.
    pub fn add_to_scope(&self, user: &str) {
        let mut dir = self.sim.write();
        let group = dir.find_group("RIapplicationGroup").expect("group");
        let member = dir.find_member(user).expect("user");
        dir.add_member(group, member);
    }
}

/// Saves a lab email configuration aimed at `ews_url` with this password.
pub async fn configure(s: &Server, session: &Session, org: &str, ews_url: &str, password: &str) {
    let r = s
        .send(
            session,
            Method::PUT,
            &format!("/api/orgs/{org}/email-config"),
            Some(json!({
                "access_type": "ExchangeImpersonation",
                "logon": LOGON,
                "password": password,
                "ews_url": ews_url,
                "lab": true,
            })),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Imports users with these addresses.
pub async fn import(s: &Server, session: &Session, org: &str, emails: &[String]) {
    let mut body = String::from("email,display_name\n");
    for e in emails {
        body.push_str(&format!("{e},\n"));
    }
    let r = s
        .client
        .post(s.url(&format!("/api/orgs/{org}/users:import")))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .body(body)
        .send()
        .await
        .unwrap();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["inserted"], emails.len(), "{answer}");
}

/// The demo users' addresses.
pub fn demo_users() -> Vec<String> {
    USERS.iter().map(|u| format!("{u}@contoso.test")).collect()
}

/// Polls a run until it is no longer running (at most 30 s); its detail.
pub async fn wait_run(s: &Server, session: &Session, org: &str, run: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let detail: Value = s
            .send(
                session,
                Method::GET,
                &format!("/api/orgs/{org}/check-runs/{run}"),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        if detail["status"] != "running" {
            return detail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "run still running: {detail}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
