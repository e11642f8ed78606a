//! A webhook receiver for the tests: an axum app on 127.0.0.1:0 (plain HTTP, or HTTPS with
//! a generated certificate) that verifies each POST's signature with the secret, records
//! it, and answers with the next scripted status (200 once the script is used up).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// One POST as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The parsed body.
    pub body: Value,
    /// The raw body.
    pub raw: String,
    /// `Content-Type`.
    pub content_type: String,
    /// `X-Impersync-Delivery`.
    pub delivery: String,
    /// Whether `X-Impersync-Signature` verified with the secret.
    pub signature_ok: bool,
}

impl Received {
    /// The change ids of the batch.
    pub fn ids(&self) -> Vec<String> {
        self.body["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    }
}

#[derive(Clone)]
struct Shared {
    secret: String,
    script: Arc<Mutex<VecDeque<u16>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A running receiver; it stops when dropped.
pub struct Receiver {
    /// The URL to give the webhook (`http://127.0.0.1:PORT/hook`, or HTTPS on `host`).
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Verifies `t=<t>,v1=<hex>` over `"<t>.<body>"` with `secret`.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let Ok(expected) = (0..v1.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(v1.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

async fn hook(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let raw = String::from_utf8_lossy(&body).into_owned();
    shared.received.lock().unwrap().push(Received {
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
        content_type: header("content-type"),
        delivery: header("x-impersync-delivery"),
        signature_ok: verify(&shared.secret, &header("x-impersync-signature"), &body),
    });
    let status = shared.script.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

fn shared(secret: &str, script: &[u16]) -> Shared {
    Shared {
        secret: secret.to_string(),
        script: Arc::new(Mutex::new(script.iter().copied().collect())),
        received: Arc::default(),
    }
}

/// Starts a plain-HTTP receiver that answers `script` first, then 200.
pub async fn start(secret: &str, script: &[u16]) -> Receiver {
    let shared = shared(secret, script);
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(shared.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { url, shared, task }
}

/// Starts an HTTPS receiver on 127.0.0.1 with this TLS configuration, reached as `host`.
pub async fn start_tls(secret: &str, tls: Arc<rustls::ServerConfig>, host: &str) -> Receiver {
    let shared = shared(secret, &[]);
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(shared.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://{host}:{}/hook",
        listener.local_addr().unwrap().port()
    );
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| {
                    app.clone().oneshot(req.map(axum::body::Body::new))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Receiver { url, shared, task }
}

impl Receiver {
    /// Every POST so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }
}

#[test]
fn verify_accepts_only_the_right_secret() {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"k").unwrap();
    mac.update(b"5.{}");
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(verify("k", &format!("t=5,v1={hex}"), b"{}"));
    assert!(!verify("other", &format!("t=5,v1={hex}"), b"{}"));
    assert!(!verify("k", &format!("t=6,v1={hex}"), b"{}"));
    assert!(!verify("k", "garbage", b"{}"));
}
