//! The magic wand through the API: Autodiscover against the simulator over HTTPS (names
//! resolved to loopback by the engine's network), and the fallback when it fails.

use impersync_engine::Network;
use impersync_exchange::autodiscover::NoSrv;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

use crate::common::{Server, Session, TestDb, backend_test, start_with, test_options};
use crate::sim::{self, import, wait_run};

/// The names the simulator's certificate carries, all resolved to 127.0.0.1.
const NAMES: [&str; 3] = [
    "contoso.test",
    "autodiscover.contoso.test",
    "mail.contoso.test",
];

fn network(https_port: u16, http_port: u16) -> Network {
    let mut network = Network {
        autodiscover_https_port: https_port,
        autodiscover_http_port: http_port,
        srv: Arc::new(NoSrv),
        ..Network::default()
    };
    for name in NAMES {
        network.add_override(&format!("{name}=127.0.0.1")).unwrap();
    }
    network
}

/// Saves an Autodiscover configuration (no EWS URL), TLS verified.
async fn configure_autodiscover(s: &Server, op: &Session, org: &str) {
    let r = s
        .send(
            op,
            Method::PUT,
            &format!("/api/orgs/{org}/email-config"),
            Some(json!({
                "access_type": "ExchangeImpersonation",
                "logon": sim::LOGON,
                "password": sim::PASSWORD,
                "autodiscover": true,
            })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

async fn generate(s: &Server, op: &Session, org: &str) -> Value {
    let r = s
        .send(
            op,
            Method::POST,
            &format!("/api/orgs/{org}/email-config/ews-url:generate"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn magic_wand_uses_autodiscover_then_falls_back(db: &TestDb) {
    let sim = sim::start(&NAMES).await;
    let (https_port, ca) = sim.tls.clone().unwrap();
    let mut options = test_options();
    options.network = network(https_port, sim.addr.port());
    options.network.add_ca_pem(ca.as_bytes()).unwrap();
    let s = start_with(db, options).await;
    let op = s.operator().await;
    let org = s.make_org_with_domain("Contoso", "contoso.test").await;

    // No configuration yet: the usual URL, saying why Autodiscover was not tried.
    let wand = generate(&s, &op, &org).await;
    assert_eq!(wand["source"], "fallback");
    assert_eq!(
        wand["ews_url"],
        "https://mail.contoso.test/EWS/Exchange.asmx"
    );
    assert!(
        wand["reason"]
            .as_str()
            .unwrap()
            .contains("no email configuration"),
        "{wand}"
    );

    configure_autodiscover(&s, &op, &org).await;
    let wand = generate(&s, &op, &org).await;
    assert_eq!(wand["source"], "autodiscover", "{wand}");
    assert_eq!(
        wand["ews_url"],
        format!("https://contoso.test:{https_port}/EWS/Exchange.asmx"),
        "the simulator answers with the host Autodiscover reached (the first candidate)"
    );
    assert!(
        wand["reason"]
            .as_str()
            .unwrap()
            .contains("MasterImpersonation@contoso.test"),
        "{wand}"
    );
    // Nothing was saved.
    let config: Value = s
        .send(
            &op,
            Method::GET,
            &format!("/api/orgs/{org}/email-config"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["settings"]["ews_url"], Value::Null, "{config}");

    // A check run finds the EWS URL the same way, over verified TLS.
    import(&s, &op, &org, &["alice@contoso.test".to_string()]).await;
    let run: Value = s
        .send(
            &op,
            Method::POST,
            &format!("/api/orgs/{org}/check-runs"),
            Some(json!({})),
        )
        .await
        .json()
        .await
        .unwrap();
    let detail = wait_run(&s, &op, &org, run["id"].as_str().unwrap()).await;
    assert_eq!(detail["counts"], json!({"Ok": 1}), "{detail}");

    // Where Autodiscover answers nowhere, the wand falls back and says why.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut options = test_options();
    options.network = network(port, port);
    let dead = start_with(db, options).await;
    let op = dead.operator().await;
    let wand = generate(&dead, &op, &org).await;
    assert_eq!(wand["source"], "fallback", "{wand}");
    assert_eq!(
        wand["ews_url"],
        "https://mail.contoso.test/EWS/Exchange.asmx"
    );
    let reason = wand["reason"].as_str().unwrap();
    assert!(
        reason.contains("Autodiscover for MasterImpersonation@contoso.test found no EWS URL"),
        "{reason}"
    );
    assert!(
        reason.contains("autodiscover.contoso.test"),
        "each candidate named: {reason}"
    );

    // A check run there ends as failed, saying why, instead of hanging (a DOMAIN\user logon
    // has no address, so the run's Autodiscover asks for the first user's).
    let run: Value = dead
        .send(
            &op,
            Method::POST,
            &format!("/api/orgs/{org}/check-runs"),
            Some(json!({})),
        )
        .await
        .json()
        .await
        .unwrap();
    let detail = wait_run(&dead, &op, &org, run["id"].as_str().unwrap()).await;
    assert_eq!(detail["status"], "failed", "{detail}");
    let note = detail["note"].as_str().unwrap();
    assert!(
        note.contains("Autodiscover found no EWS URL for alice@contoso.test"),
        "{note}"
    );
    assert_eq!(detail["done"], 0);
}
backend_test!(magic_wand_uses_autodiscover_then_falls_back);
