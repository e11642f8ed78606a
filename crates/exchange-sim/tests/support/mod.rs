//! Shared helpers for the authentication, OAuth, Autodiscover, shell and scenario
//! tests: the real simulator on a loopback port, EWS requests, a raw keep-alive
//! HTTP/1.1 connection, and the Python interpreter for the real NTLM clients.
#![allow(dead_code)] // every test binary uses a different part of this module

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use impersync_ews::ops::GetFolder;
use impersync_ews::types::{BaseShape, FolderRef, Shape};
use impersync_ews::{ConnectingSid, RequestHeader, ResponseCode, decode_response, encode_request};
use impersync_exchange_sim::{Scenario, Sim};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The demo service account and its password.
pub const MASTER: &str = "MasterImpersonation@contoso.test";
/// The demo service account's password.
pub const MASTER_PASSWORD: &str = "Demo-Impersonation-1";
/// The password of the demo's ordinary users.
pub const USER_PASSWORD: &str = "Demo-User-1";

/// The real simulator, serving on a loopback port until dropped.
pub struct TestSim {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state, for looking at the request log.
    pub sim: Arc<Sim>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestSim {
    /// Starts the simulator for `scenario` on `127.0.0.1:0`.
    pub async fn start(scenario: Scenario) -> Self {
        let sim = Sim::new(scenario).expect("the test scenario loads");
        Self::start_sim(sim).await
    }

    /// Starts the built-in demo organisation.
    pub async fn demo() -> Self {
        Self::start(Scenario::demo()).await
    }

    /// Starts an already built simulator.
    pub async fn start_sim(sim: Sim) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let sim = Arc::new(sim);
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(impersync_exchange_sim::run(
            listener,
            Arc::clone(&sim),
            async move {
                let _ = rx.await;
            },
        ));
        Self {
            addr,
            sim,
            shutdown: Some(tx),
        }
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The EWS endpoint.
    pub fn ews(&self) -> String {
        self.url("/EWS/Exchange.asmx")
    }

    /// A new raw connection to the simulator.
    pub async fn connect(&self) -> RawConn {
        RawConn::connect(self.addr).await
    }

    /// The authenticated caller the simulator logged for its latest EWS request.
    pub fn last_caller(&self) -> Option<String> {
        self.sim.log.entries().last().and_then(|e| e.caller.clone())
    }
}

impl Drop for TestSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A reqwest client that never follows redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// An `Authorization: Basic` value.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// A GetFolder(inbox) request, impersonating `target` by primary SMTP address if given.
pub fn get_inbox(target: Option<&str>) -> String {
    let header = RequestHeader {
        server_version: Some("Exchange2016".into()),
        impersonation: target.map(|t| ConnectingSid::PrimarySmtpAddress(t.into())),
        time_zone: None,
    };
    encode_request(
        &header,
        &GetFolder {
            shape: Shape::base(BaseShape::Default),
            folder_ids: vec![FolderRef::distinguished("inbox")],
        },
    )
}

/// What a GetFolder answer says: `NoError`, or the fault's or message's response code.
pub fn get_folder_code(body: &str) -> ResponseCode {
    let decoded = decode_response::<GetFolder>(body.as_bytes())
        .unwrap_or_else(|e| panic!("undecodable EWS response ({e}): {body}"));
    match decoded.body {
        Ok(response) => {
            let message = response.messages.first().expect("one response message");
            message.status.code.clone()
        }
        Err(fault) => fault.code,
    }
}

/// POSTs a GetFolder(inbox) to EWS with `authorization`, impersonating `target`.
pub async fn ews_get_inbox(
    sim: &TestSim,
    authorization: Option<&str>,
    target: Option<&str>,
) -> (reqwest::StatusCode, String) {
    let mut request = client()
        .post(sim.ews())
        .header("content-type", "text/xml; charset=utf-8")
        .body(get_inbox(target));
    if let Some(a) = authorization {
        request = request.header("authorization", a);
    }
    if let Some(t) = target {
        request = request.header("x-anchormailbox", t);
    }
    let response = request.send().await.expect("EWS request");
    let status = response.status();
    (status, response.text().await.expect("EWS body"))
}

/// Asserts a 200 GetFolder answer with `NoError`.
pub fn assert_ews_ok(status: reqwest::StatusCode, body: &str) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(get_folder_code(body), ResponseCode::NoError, "{body}");
}

/// Asserts an HTTP 500 SOAP fault with `code`.
pub fn assert_ews_fault(status: reqwest::StatusCode, body: &str, code: ResponseCode) {
    assert_eq!(status, 500, "{body}");
    assert_eq!(get_folder_code(body), code, "{body}");
}

/// POSTs a script to the shell endpoint; returns the status and the JSON answer.
pub async fn shell(sim: &TestSim, script: &str) -> (reqwest::StatusCode, serde_json::Value) {
    let response = client()
        .post(sim.url("/_sim/shell"))
        .header("content-type", "text/plain; charset=utf-8")
        .body(script.to_string())
        .send()
        .await
        .expect("shell request");
    let status = response.status();
    let json = response.json().await.expect("shell answers JSON");
    (status, json)
}

/// One response read off a raw connection.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl RawResponse {
    /// Every value of a header.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.all(name).first().copied()
    }

    /// The `WWW-Authenticate` NTLM token, decoded.
    pub fn ntlm_challenge(&self) -> Vec<u8> {
        let value = self
            .all("www-authenticate")
            .into_iter()
            .find_map(|v| v.strip_prefix("NTLM "))
            .unwrap_or_else(|| panic!("no NTLM challenge in {:?}", self.headers));
        STANDARD.decode(value.trim()).expect("base64 challenge")
    }
}

/// One HTTP/1.1 keep-alive connection, written and read by hand so that every
/// request of a test provably travels on the same TCP connection.
pub struct RawConn {
    stream: BufReader<TcpStream>,
    host: String,
}

impl RawConn {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        Self {
            stream: BufReader::new(stream),
            host: addr.to_string(),
        }
    }

    /// Sends a POST with the given extra headers and reads the response.
    /// Panics if the server closed the connection instead of answering.
    pub async fn post(&mut self, path: &str, headers: &[(&str, &str)], body: &str) -> RawResponse {
        self.try_post(path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("the connection failed: {e}"))
    }

    /// Like [`post`](Self::post), but reports a closed connection as an error.
    pub async fn try_post(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<RawResponse> {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        self.read_response().await
    }

    /// Sends a GetFolder(inbox) to EWS, with `authorization` if given.
    pub async fn ews(&mut self, authorization: Option<&str>, target: Option<&str>) -> RawResponse {
        let mut headers = Vec::new();
        if let Some(a) = authorization {
            headers.push(("Authorization", a));
        }
        if let Some(t) = target {
            headers.push(("X-AnchorMailbox", t));
        }
        self.post("/EWS/Exchange.asmx", &headers, &get_inbox(target))
            .await
    }

    async fn read_response(&mut self) -> std::io::Result<RawResponse> {
        let closed = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed");
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(closed());
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(closed());
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').expect("header line");
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let mut body = Vec::new();
        if let Some(len) = find("content-length") {
            body.resize(len.parse().expect("content-length"), 0);
            self.stream.read_exact(&mut body).await?;
        } else if find("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16).expect("chunk size");
                let mut chunk = vec![0; size + 2];
                self.stream.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        }
        Ok(RawResponse {
            status,
            headers,
            body: String::from_utf8(body).expect("UTF-8 body"),
        })
    }
}

/// A Python interpreter that can `import spnego, requests_ntlm`: the one named by
/// `IMPERSYNC_TEST_PYTHON` if set, else the repository's `.venv`, then `/tmp/pyv`.
///
/// Without one the test is skipped with a loud message, unless
/// `IMPERSYNC_REQUIRE_ALL` is set (as in CI), where it fails instead.
pub fn python() -> Option<PathBuf> {
    let repo_venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python");
    let candidates: Vec<PathBuf> = match std::env::var_os("IMPERSYNC_TEST_PYTHON") {
        Some(p) => vec![p.into()],
        None => vec![repo_venv.into(), "/tmp/pyv/bin/python".into()],
    };
    for candidate in &candidates {
        let usable = std::process::Command::new(candidate)
            .args(["-c", "import spnego, requests_ntlm"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if usable {
            return Some(candidate.clone());
        }
    }
    let why = format!(
        "no Python with pyspnego and requests_ntlm among {candidates:?} \
         (run scripts/test-deps.sh, or set IMPERSYNC_TEST_PYTHON)"
    );
    if std::env::var_os("IMPERSYNC_REQUIRE_ALL").is_some() {
        panic!("IMPERSYNC_REQUIRE_ALL is set but {why}");
    }
    eprintln!("\n*** skipped: {why} ***\n");
    None
}
