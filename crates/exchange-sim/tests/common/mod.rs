//! The shared harness: the real simulator on a loopback port, spoken to over real HTTP.
//!
//! Every EWS reply that comes back through [`Server::call`] is checked for what every
//! Exchange response has: a `text/xml` body that starts with `<?xml`, a
//! `soap:Header/t:ServerVersionInfo`, and, for HTTP 500, a SOAP fault whose `faultcode`
//! and `detail/e:ResponseCode` name the same code.
#![allow(dead_code)]

use impersync_ews::ops::{GetFolder, SyncFolderItems};
use impersync_ews::types::{BaseShape, DistinguishedFolderId, EntityId, Folder, FolderRef, Shape};
use impersync_ews::{
    ConnectingSid, Decoded, Operation, RequestHeader, ResponseClass, ResponseCode, ResponseMessage,
    ServerVersionInfo, SoapFault, decode_response, encode_request, ns,
};
use impersync_exchange_sim::scenario::DEMO_TOML;
use impersync_exchange_sim::{Scenario, Sim, run};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::oneshot;

/// A logon: user name and password.
pub type Creds = (&'static str, &'static str);

/// The demo's service account, scoped to the members of `RIapplicationGroup`.
pub const MASTER: Creds = ("MasterImpersonation@contoso.test", "Demo-Impersonation-1");
/// The demo's service account without a mailbox, with an organisation-wide assignment.
pub const NO_MAILBOX: Creds = ("NoMailboxSvc@contoso.test", "Demo-NoMailbox-1");
/// Alice signing in as herself (she holds no role).
pub const ALICE: Creds = ("alice@contoso.test", "Demo-User-1");

/// The EWS path.
pub const EWS: &str = "/EWS/Exchange.asmx";

/// The demo scenario's TOML with `extra` appended (extra tables such as `[throttling]`).
pub fn demo_with(extra: &str) -> Scenario {
    Scenario::from_toml(&format!("{DEMO_TOML}\n{extra}\n")).expect("scenario TOML is valid")
}

/// A running simulator; it shuts down when dropped.
pub struct Server {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The simulator's state, for cross-checks.
    pub sim: Arc<Sim>,
    /// One HTTP client (with a connection pool) for the whole test.
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A raw HTTP reply.
#[derive(Debug)]
pub struct RawReply {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as text.
    pub body: String,
}

/// A decoded EWS reply, already checked for the envelope invariants.
#[derive(Debug)]
pub struct Reply<R> {
    /// HTTP status: 200 or 500.
    pub status: u16,
    /// The raw body.
    pub body: String,
    /// The typed response or the fault.
    pub decoded: Decoded<R>,
}

impl<R: std::fmt::Debug> Reply<R> {
    /// The response of a request that must have succeeded at the HTTP/SOAP level.
    pub fn ok(self) -> R {
        assert_eq!(self.status, 200, "expected HTTP 200, body: {}", self.body);
        match self.decoded.body {
            Ok(r) => r,
            Err(f) => panic!("expected a response, got fault {f:?}"),
        }
    }

    /// The fault of a request that must have been refused with HTTP 500.
    pub fn fault(self) -> SoapFault {
        assert_eq!(self.status, 500, "expected HTTP 500, body: {}", self.body);
        match self.decoded.body {
            Err(f) => f,
            Ok(r) => panic!("expected a SOAP fault, got {r:?}"),
        }
    }

    /// Asserts an HTTP 500 fault with this code and returns it.
    pub fn expect_fault(self, code: ResponseCode) -> SoapFault {
        let body = self.body.clone();
        let f = self.fault();
        assert_eq!(f.code, code, "fault body: {body}");
        f
    }
}

impl Server {
    /// The simulator with the built-in demo organisation.
    pub async fn demo() -> Self {
        Self::start(Scenario::demo()).await
    }

    /// The simulator with a scenario.
    pub async fn start(scenario: Scenario) -> Self {
        let sim = Arc::new(Sim::new(scenario).expect("scenario builds"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(run(listener, Arc::clone(&sim), async move {
            let _ = stopped.await;
        }));
        Self {
            base: format!("http://{addr}"),
            sim,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("HTTP client"),
            stop: Some(stop),
        }
    }

    /// An absolute URL for a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a SOAP body to EWS and returns whatever came back.
    pub async fn post_raw(
        &self,
        creds: Option<Creds>,
        anchor: Option<&str>,
        body: String,
    ) -> RawReply {
        self.try_post_raw(creds, anchor, body)
            .await
            .expect("the request completes")
    }

    /// POSTs a SOAP body to EWS; transport errors are returned, not raised.
    pub async fn try_post_raw(
        &self,
        creds: Option<Creds>,
        anchor: Option<&str>,
        body: String,
    ) -> Result<RawReply, reqwest::Error> {
        let mut req = self
            .http
            .post(self.url(EWS))
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(body);
        if let Some((user, password)) = creds {
            req = req.basic_auth(user, Some(password));
        }
        if let Some(a) = anchor {
            req = req.header("X-AnchorMailbox", a);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await?;
        Ok(RawReply {
            status,
            headers,
            body,
        })
    }

    /// Sends one EWS operation as `creds`, optionally impersonating, and checks the envelope.
    ///
    /// The `X-AnchorMailbox` header names the impersonated user, as clients send it.
    pub async fn call<O: Operation>(
        &self,
        creds: Creds,
        impersonation: Option<ConnectingSid>,
        op: &O,
    ) -> Reply<O::Response> {
        let anchor = impersonation.as_ref().map(|s| s.value().to_string());
        let body = encode_request(
            &RequestHeader {
                server_version: Some("Exchange2016".into()),
                impersonation,
                time_zone: None,
            },
            op,
        );
        let raw = self.post_raw(Some(creds), anchor.as_deref(), body).await;
        check_ews_reply::<O>(raw)
    }

    /// `op` as the demo service account impersonating `target` by primary SMTP address.
    pub async fn as_master<O: Operation>(&self, target: &str, op: &O) -> Reply<O::Response> {
        self.call(MASTER, Some(smtp(target)), op).await
    }

    /// A control-API call; returns the status and the JSON body (`Null` when empty).
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        json: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(&format!("/_sim{path}")));
        if let Some(j) = json {
            req = req.json(&j);
        }
        let resp = req.send().await.expect("control API answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("control API body");
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// Delivers a message through the control API and returns its item id.
    pub async fn deliver(&self, address: &str, folder: &str, subject: &str, from: &str) -> String {
        let (status, body) = self
            .control(
                reqwest::Method::POST,
                &format!("/mailboxes/{address}/folders/{folder}/items"),
                Some(serde_json::json!({ "subject": subject, "from": from })),
            )
            .await;
        assert_eq!(status, 201, "deliver: {body}");
        body["item_id"]
            .as_str()
            .expect("deliver returns item_id")
            .to_string()
    }

    /// PATCHes an item through the control API; returns the status.
    pub async fn patch_item(&self, address: &str, id: &str, change: Value) -> u16 {
        self.control(
            reqwest::Method::PATCH,
            &format!("/mailboxes/{address}/items/{id}"),
            Some(change),
        )
        .await
        .0
    }

    /// Deletes an item through the control API; returns the status.
    pub async fn delete_item(&self, address: &str, id: &str) -> u16 {
        self.control(
            reqwest::Method::DELETE,
            &format!("/mailboxes/{address}/items/{id}"),
            None,
        )
        .await
        .0
    }

    /// Replaces the injected faults.
    pub async fn set_faults(&self, spec: Value) {
        let (status, body) = self
            .control(reqwest::Method::POST, "/faults", Some(spec))
            .await;
        assert_eq!(status, 204, "set faults: {body}");
    }

    /// One folder of `target` (impersonated by the demo service account).
    pub async fn folder(&self, target: &str, name: &str) -> Folder {
        let r = self
            .as_master(target, &get_folder(vec![FolderRef::distinguished(name)]))
            .await
            .ok();
        only_folder(r.messages)
    }
}

/// Decodes an EWS reply and checks what every Exchange response carries.
pub fn check_ews_reply<O: Operation>(raw: RawReply) -> Reply<O::Response> {
    assert!(
        raw.status == 200 || raw.status == 500,
        "EWS answered HTTP {} with body {:?}",
        raw.status,
        raw.body
    );
    let content_type = raw
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("text/xml"),
        "content type {content_type:?}"
    );
    assert!(
        raw.body.starts_with("<?xml"),
        "body does not start with an XML declaration: {:?}",
        &raw.body[..raw.body.len().min(80)]
    );
    let decoded = decode_response::<O>(raw.body.as_bytes())
        .unwrap_or_else(|e| panic!("cannot decode {}: {e}\n{}", O::NAME, raw.body));
    assert_eq!(
        decoded.server_version,
        Some(ServerVersionInfo::exchange2016()),
        "ServerVersionInfo missing or wrong in {}",
        raw.body
    );
    match &decoded.body {
        Err(f) => {
            assert_eq!(raw.status, 500, "a SOAP fault must come with HTTP 500");
            let (faultcode, detail) = fault_codes(&raw.body);
            assert_eq!(faultcode, f.code.as_str(), "faultcode");
            assert_eq!(
                detail.as_deref(),
                Some(f.code.as_str()),
                "detail/e:ResponseCode"
            );
        }
        Ok(_) => assert_eq!(raw.status, 200, "a response body must come with HTTP 200"),
    }
    Reply {
        status: raw.status,
        body: raw.body,
        decoded,
    }
}

/// The local part of `soap:Fault/faultcode` and the text of `detail/e:ResponseCode`.
pub fn fault_codes(body: &str) -> (String, Option<String>) {
    let root = impersync_ews::xml::parse(body.as_bytes()).expect("fault body parses");
    let fault = root
        .child(ns::SOAP, "Body")
        .and_then(|b| b.child(ns::SOAP, "Fault"))
        .expect("soap:Body/soap:Fault");
    let faultcode = fault
        .child_text("", "faultcode")
        .expect("faultcode is present");
    let local = faultcode
        .rsplit(':')
        .next()
        .unwrap_or(&faultcode)
        .to_string();
    let detail = fault
        .child("", "detail")
        .and_then(|d| d.child_text(ns::ERRORS, "ResponseCode"));
    (local, detail)
}

/// Impersonation by primary SMTP address.
pub fn smtp(address: &str) -> ConnectingSid {
    ConnectingSid::PrimarySmtpAddress(address.to_string())
}

/// A GetFolder asking for every property of these folders.
pub fn get_folder(ids: Vec<FolderRef>) -> GetFolder {
    GetFolder {
        shape: Shape::base(BaseShape::AllProperties),
        folder_ids: ids,
    }
}

/// A distinguished folder of a named mailbox (`t:DistinguishedFolderId/t:Mailbox`).
pub fn distinguished_in(name: &str, mailbox: &str) -> FolderRef {
    FolderRef::Distinguished(DistinguishedFolderId {
        name: name.to_string(),
        mailbox: Some(mailbox.to_string()),
    })
}

/// A folder reference by id.
pub fn folder_id(id: &EntityId) -> FolderRef {
    FolderRef::Id(id.clone())
}

/// A SyncFolderItems with an id-only shape.
pub fn sync_items(folder: FolderRef, state: Option<String>, max: u32) -> SyncFolderItems {
    SyncFolderItems {
        shape: Shape::base(BaseShape::IdOnly),
        folder,
        sync_state: state,
        ignore: Vec::new(),
        max_changes_returned: max,
        sync_scope: Some("NormalItems".into()),
    }
}

/// The payload of a message that must be a success.
pub fn success<T: std::fmt::Debug>(m: ResponseMessage<T>) -> T {
    assert_eq!(
        m.status.class,
        ResponseClass::Success,
        "expected success, got {:?}",
        m.status
    );
    m.payload.expect("a successful message carries its payload")
}

/// Asserts that a message is an error with this code, and returns its text.
pub fn error_of<T: std::fmt::Debug>(m: &ResponseMessage<T>, code: ResponseCode) -> String {
    assert_eq!(m.status.class, ResponseClass::Error, "{m:?}");
    assert_eq!(m.status.code, code, "{m:?}");
    assert!(m.payload.is_none(), "an error message carries no payload");
    m.status
        .message_text
        .clone()
        .expect("an error message has MessageText")
}

/// The single folder of a single-message GetFolder response.
pub fn only_folder(messages: Vec<ResponseMessage<Vec<Folder>>>) -> Folder {
    assert_eq!(messages.len(), 1, "{messages:?}");
    let mut folders = success(messages.into_iter().next().expect("one message"));
    assert_eq!(folders.len(), 1, "{folders:?}");
    folders.remove(0)
}

/// The SID the demo generates for user number `n` (order of `[[users]]` in the scenario).
pub fn demo_sid(n: u32) -> String {
    format!("S-1-5-21-1004336348-1177238915-682003330-{}", 1_100 + n)
}
