//! The real `impersync demo` binary: it prints the panel's address, signs the operator in,
//! and serves "Contoso (demo)" configured for the service account with the six demo users
//! imported and none activated; the magic wand finds the simulator through Autodiscover over
//! HTTPS, and a check run gives the demo's known outcomes.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_impersync");
const OPERATOR_PASSWORD: &str = "Demo-Operator-Pw-7";

/// The running demo; killed when dropped.
struct Demo {
    child: Child,
    panel: String,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("IMPERSYNC_ADMIN_PASSWORD", OPERATOR_PASSWORD)
        .env_remove("IMPERSYNC_DATABASE_URL")
        .env_remove("IMPERSYNC_MASTER_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start impersync demo");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut panel = None;
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("Admin panel:") {
            panel = Some(url.trim().trim_end_matches('/').to_string());
        }
        let done = line.starts_with("Press Ctrl-C");
        seen.push(line);
        if done {
            break;
        }
    }
    let output = seen.join("\n");
    assert!(output.contains("Contoso (demo)"), "{output}");
    assert!(
        !output.contains("Demo-Impersonation-1"),
        "the service password is not printed by the panel demo:\n{output}"
    );
    std::thread::spawn(move || for _ in lines {});
    Demo {
        child,
        panel: panel.unwrap_or_else(|| panic!("no panel address in:\n{output}")),
        _dir: dir,
    }
}

/// A signed-in API client.
struct Api {
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Api {
    async fn login(base: &str) -> Self {
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{base}/api/login"))
            .json(&json!({"username": "admin", "password": OPERATOR_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let body: Value = r.json().await.unwrap();
        Self {
            client,
            base: base.to_string(),
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_contoso_ready_to_check() {
    let demo = start_demo();
    let api = Api::login(&demo.panel).await;
    let orgs = api.call(reqwest::Method::GET, "/api/orgs", None).await;
    let org = orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Contoso (demo)")
        .unwrap_or_else(|| panic!("no demo organisation in {orgs}"))
        .clone();
    let id = org["id"].as_str().unwrap().to_string();

    let users = api
        .call(reqwest::Method::GET, &format!("/api/orgs/{id}/users"), None)
        .await;
    let mut emails: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    emails.sort();
    assert_eq!(
        emails,
        [
            "alice@contoso.test",
            "bob@contoso.test",
            "carol@contoso.test",
            "dave@contoso.test",
            "erin@contoso.test",
            "frank@contoso.test"
        ]
    );
    assert!(
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["sync_enabled"] == false),
        "{users}"
    );

    let config = api
        .call(
            reqwest::Method::GET,
            &format!("/api/orgs/{id}/email-config"),
            None,
        )
        .await;
    let text = config.to_string();
    assert!(text.contains("MasterImpersonation"), "{text}");
    assert!(text.contains("\"set\""), "{text}");
    assert!(!text.contains("Demo-Impersonation-1"), "{text}");

    let wand = api
        .call(
            reqwest::Method::POST,
            &format!("/api/orgs/{id}/email-config/ews-url:generate"),
            Some(json!({})),
        )
        .await;
    assert_eq!(wand["source"], "autodiscover", "{wand}");
    let url = wand["ews_url"].as_str().unwrap();
    assert!(
        url.starts_with("https://")
            && url.ends_with("/EWS/Exchange.asmx")
            && url.contains("contoso.test"),
        "{wand}"
    );

    let run = api
        .call(
            reqwest::Method::POST,
            &format!("/api/orgs/{id}/check-runs"),
            Some(json!({})),
        )
        .await;
    let run_id = run["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    let run = loop {
        let run = api
            .call(
                reqwest::Method::GET,
                &format!("/api/orgs/{id}/check-runs/{run_id}"),
                None,
            )
            .await;
        if run["status"] != "running" {
            break run;
        }
        assert!(
            Instant::now() < deadline,
            "the check run did not finish: {run}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let results = api
        .call(
            reqwest::Method::GET,
            &format!("/api/orgs/{id}/check-runs/{run_id}/results"),
            None,
        )
        .await;
    let outcome = |email: &str| -> String {
        results["items"]
            .as_array()
            .or_else(|| results.as_array())
            .unwrap_or_else(|| panic!("results: {results}"))
            .iter()
            .find(|r| r["email"] == email)
            .unwrap_or_else(|| panic!("{email} in {results}"))["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(outcome("alice@contoso.test"), "Ok", "{run}");
    assert_eq!(outcome("bob@contoso.test"), "Ok");
    assert_eq!(outcome("carol@contoso.test"), "Ok");
    assert_eq!(outcome("dave@contoso.test"), "ImpersonationDenied");
    assert_eq!(outcome("erin@contoso.test"), "ImpersonationDenied");
    assert_eq!(outcome("frank@contoso.test"), "NoMailbox");
}
