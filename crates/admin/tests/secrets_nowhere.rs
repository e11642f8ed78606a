//! Secrets are never shown: after a real flow (sign-ins, a service-account password, a
//! Microsoft 365 client secret and refresh token, an API token, a check run against the
//! simulator, a webhook whose signing secret signs real deliveries, one of them failing),
//! none of them, nor the master key, appears in any API answer, the audit log,
//! the server's logs at TRACE level, or the SQLite files as plain text.
//!
//! Its own test binary, because it installs the process-wide log subscriber.

#[allow(dead_code, unused_imports)]
#[path = "suite/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "suite/sim.rs"]
mod sim;
#[allow(dead_code)]
#[path = "suite/webhook_receiver.rs"]
mod webhook_receiver;

use common::{PASSWORD, Server, Session, TestDb, test_options};
use impersync_admin::AdminState;
use impersync_store::{OpenOptions, Principal, SecretString, Store};
use reqwest::Method;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};

const M365_CLIENT_SECRET: &str = "M365-Client-Secret-Kq81x";
const REFRESH_TOKEN: &str = "RT.Refresh-Token-Vv27pQ";
const WRONG_PASSWORD: &str = "Wrong-Attempt-Pw-5309";
const WEBHOOK_SECRET: &str = "Webhook-Signing-Secret-Zq93";
const NEW_WEBHOOK_SECRET: &str = "Webhook-Rotated-Secret-Lm48";

/// Everything the process logs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn capture_logs() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    captured
}

/// A server over a store whose master key lives in a key file (so the key can be looked for).
async fn start(db: &TestDb) -> Server {
    let store = Store::open(OpenOptions::new(db.dir.path()).database_url(db.url.clone()))
        .await
        .unwrap();
    let state = AdminState::new(store, test_options());
    state
        .bootstrap_operator(Some(PASSWORD.into()))
        .await
        .unwrap();
    common::serve(state).await
}

/// Sends and keeps the answer's body.
async fn keep(
    s: &Server,
    session: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
    seen: &mut Vec<String>,
) -> Value {
    let r = s.send(session, method, path, body).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    seen.push(format!("{path}: {text}"));
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_in_no_answer_log_audit_or_database_file() {
    let logs = capture_logs();
    let db = TestDb::sqlite().await;
    let s = start(&db).await;
    let simulator = sim::start(&[]).await;
    let mut seen = Vec::new();

    let refused = s.login_raw("admin", WRONG_PASSWORD).await;
    assert_eq!(refused.status(), 401);
    let op = s.operator().await;

    // An Exchange organisation with the service account's password, and a check run.
    let org = s.make_org("Contoso").await;
    sim::configure(&s, &op, &org, &simulator.ews_url(), sim::PASSWORD).await;
    sim::import(&s, &op, &org, &sim::demo_users()).await;
    let run = keep(
        &s,
        &op,
        Method::POST,
        &format!("/api/orgs/{org}/check-runs"),
        Some(json!({})),
        &mut seen,
    )
    .await;
    let run = run["id"].as_str().unwrap().to_string();
    let detail = sim::wait_run(&s, &op, &org, &run).await;
    assert_eq!(detail["status"], "finished", "{detail}");

    // A Microsoft 365 organisation with a client secret and a stored refresh token.
    let m365 = s.make_org("Fabrikam").await;
    keep(
        &s,
        &op,
        Method::PUT,
        &format!("/api/orgs/{m365}/email-config"),
        Some(json!({
            "access_type": "M365OAuthImpersonation",
            "authority": "https://login.microsoftonline.com",
            "tenant": "fabrikam.onmicrosoft.com",
            "client_id": "00000000-1111-2222-3333-444444444444",
            "redirect_url": "https://impersync.fabrikam.com/oauth/callback",
            "client_secret": M365_CLIENT_SECRET,
            "autodiscover": false,
            "ews_url": "https://outlook.office365.com/EWS/Exchange.asmx",
        })),
        &mut seen,
    )
    .await;
    s.state
        .store()
        .org(&Principal::system("test"), m365.parse().unwrap())
        .await
        .unwrap()
        .email_config()
        .set_refresh_token(
            &SecretString::new(REFRESH_TOKEN.to_string()),
            "svc@fabrikam.com",
        )
        .await
        .unwrap();

    // An API token, used once.
    let token = keep(
        &s,
        &op,
        Method::POST,
        "/api/tokens",
        Some(json!({"name": "crm"})),
        &mut seen,
    )
    .await;
    let api_token = token["token"].as_str().unwrap().to_string();
    seen.pop();
    let by_token = s
        .client
        .get(s.url("/api/orgs"))
        .bearer_auth(&api_token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 200);

    // A webhook on the synced feed: one failed delivery, a new secret, then a delivered one.
    let users = json!({"emails": ["alice@contoso.test"], "force": true});
    keep(
        &s,
        &op,
        Method::POST,
        &format!("/api/orgs/{org}/users:activate"),
        Some(users),
        &mut seen,
    )
    .await;
    let synced = s.state.engine().sync_due("secrets-test", 10).await.unwrap();
    assert!(synced.iter().all(|o| o.result.is_ok()), "{synced:?}");
    let receiver = webhook_receiver::start(NEW_WEBHOOK_SECRET, &[500]).await;
    let hook = keep(
        &s,
        &op,
        Method::POST,
        &format!("/api/orgs/{org}/webhooks"),
        Some(json!({"url": receiver.url, "secret": WEBHOOK_SECRET})),
        &mut seen,
    )
    .await;
    let hook = format!("/api/orgs/{org}/webhooks/{}", hook["id"].as_str().unwrap());
    let now = impersync_store::now_millis();
    let round = s
        .state
        .engine()
        .deliver_webhooks_at("secrets-test", now)
        .await
        .unwrap();
    assert_eq!(round.attempts.len(), 1);
    keep(
        &s,
        &op,
        Method::PATCH,
        &hook,
        Some(json!({"secret": NEW_WEBHOOK_SECRET})),
        &mut seen,
    )
    .await;
    let round = s
        .state
        .engine()
        .deliver_webhooks_at("secrets-test", now + 60_000)
        .await
        .unwrap();
    assert_eq!(round.delivered(), 1);
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert!(received[1].signature_ok, "signed with the new secret");

    // Every read answer.
    for path in [
        "/api/orgs".to_string(),
        format!("/api/orgs/{org}"),
        format!("/api/orgs/{org}/users"),
        format!("/api/orgs/{org}/email-config"),
        format!("/api/orgs/{m365}/email-config"),
        format!("/api/orgs/{org}/check-runs"),
        format!("/api/orgs/{org}/check-runs/{run}"),
        format!("/api/orgs/{org}/check-runs/{run}/results"),
        "/api/tokens".to_string(),
        "/api/audit".to_string(),
        format!("/api/orgs/{org}/webhooks"),
        hook.clone(),
        format!("{hook}/deliveries"),
    ] {
        keep(&s, &op, Method::GET, &path, None, &mut seen).await;
    }
    let csv = s
        .client
        .get(s.url(&format!("/api/orgs/{org}/check-runs/{run}/results")))
        .header("cookie", &op.cookie)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("alice@contoso.test"), "{csv}");
    seen.push(csv);
    let answers = seen.join("\n");
    assert!(
        answers.contains("\"set\""),
        "secrets show as set: {answers}"
    );

    let audit = s
        .state
        .store()
        .audit_log(&Principal::system("test"))
        .list(impersync_store::PageRequest::first(1000))
        .await
        .unwrap();
    let audit = format!("{audit:?}");
    assert!(
        audit.contains("email"),
        "the audit log records the configuration: {audit}"
    );

    drop(s);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(db.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(impersync_store::SQLITE_FILE_NAME) {
            files.push((name, std::fs::read(&path).unwrap()));
        }
    }
    assert!(
        !files.is_empty(),
        "the SQLite file is in the data directory"
    );
    let master_key = std::fs::read_to_string(db.key_file()).unwrap();
    let master_key = master_key.trim();
    assert!(master_key.len() >= 40, "a base64 key");

    let logs = logs.text();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "logs are captured at every level"
    );
    for secret in [
        sim::PASSWORD,
        PASSWORD,
        WRONG_PASSWORD,
        M365_CLIENT_SECRET,
        REFRESH_TOKEN,
        api_token.as_str(),
        WEBHOOK_SECRET,
        NEW_WEBHOOK_SECRET,
        master_key,
    ] {
        assert!(!answers.contains(secret), "`{secret}` in an API answer");
        assert!(!audit.contains(secret), "`{secret}` in the audit log");
        assert!(!logs.contains(secret), "`{secret}` in the logs");
        for (name, bytes) in &files {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "`{secret}` in plain text in {name}");
        }
    }
}
