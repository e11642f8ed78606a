//! The simulator's HTTP server: EWS, Autodiscover, OAuth and the control API on one port.

mod autodiscover;
mod control;
mod control_contents;
mod ews;
mod responses;

pub use control_contents::{MailboxItem, MailboxItems};

use crate::auth::ConnState;
use crate::faults::{FaultAction, InjectedLatency};
use crate::request_log::LogEntry;
use crate::sim::Sim;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Request};
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Largest request body accepted (EWS requests are small; uploads are not simulated).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// All routes of the simulator.
pub fn router(sim: Arc<Sim>) -> Router {
    let ews = post(ews::handle);
    Router::new()
        .route("/EWS/Exchange.asmx", ews.clone())
        .route("/ews/exchange.asmx", ews)
        .route(
            "/autodiscover/autodiscover.xml",
            post(autodiscover::pox).get(autodiscover::http_redirect),
        )
        .route(
            "/Autodiscover/Autodiscover.xml",
            post(autodiscover::pox).get(autodiscover::http_redirect),
        )
        .route("/autodiscover/autodiscover.svc", post(autodiscover::soap))
        .route("/Autodiscover/Autodiscover.svc", post(autodiscover::soap))
        .route(
            "/autodiscover/autodiscover.json/v1.0/{address}",
            get(autodiscover::json),
        )
        .nest("/_sim", control::router())
        .nest_service("/oauth2", sim.oauth.router())
        .nest_service("/{tenant}/oauth2/v2.0", sim.oauth.router())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(sim)
}

fn is_ews(req: &Request<Incoming>) -> bool {
    req.method() == Method::POST && req.uri().path().eq_ignore_ascii_case("/ews/exchange.asmx")
}

/// How clients reached the simulator, for URLs it hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme(pub &'static str);

/// Serves the simulator over plain HTTP on a bound listener until `shutdown` completes.
///
/// Each connection carries its own authentication state, as NTLM requires.
pub async fn run(listener: TcpListener, sim: Arc<Sim>, shutdown: impl Future<Output = ()>) {
    serve(listener, sim, None, shutdown).await;
}

/// Serves the simulator over HTTPS with the given TLS configuration.
pub async fn run_tls(
    listener: TcpListener,
    sim: Arc<Sim>,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()>,
) {
    if let Ok(addr) = listener.local_addr() {
        sim.set_https_port(addr.port());
    }
    serve(listener, sim, Some(TlsAcceptor::from(tls)), shutdown).await;
}

async fn serve(
    listener: TcpListener,
    sim: Arc<Sim>,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let app = router(Arc::clone(&sim));
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let scheme = Scheme(if tls.is_some() { "https" } else { "http" });
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = Arc::new(ConnState::default());
        let (app, sim) = (app.clone(), Arc::clone(&sim));
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            let (app, sim, conn) = (app.clone(), Arc::clone(&sim), Arc::clone(&conn));
            async move {
                let (latency, action) = if is_ews(&req) {
                    sim.faults.next()
                } else {
                    Default::default()
                };
                if action == FaultAction::Reset {
                    sim.log.push(LogEntry {
                        method: req.method().to_string(),
                        path: req.uri().path().to_string(),
                        ..LogEntry::default()
                    });
                    tokio::time::sleep(latency).await;
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "simulated connection reset",
                    ));
                }
                req.extensions_mut().insert(conn);
                req.extensions_mut().insert(action);
                req.extensions_mut().insert(scheme);
                // The EWS handler waits while it holds its throttling slot, as a slow
                // server would hold the connection.
                req.extensions_mut().insert(InjectedLatency(latency));
                Ok::<_, std::io::Error>(
                    app.oneshot(req)
                        .await
                        .unwrap_or_else(|e: Infallible| match e {}),
                )
            }
        });
        let (builder, watcher, tls) = (builder.clone(), graceful.watcher(), tls.clone());
        tokio::spawn(async move {
            match tls {
                None => {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                }
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(tls_stream) => {
                        let connection = builder
                            .serve_connection_with_upgrades(TokioIo::new(tls_stream), service);
                        let _ = watcher.watch(connection.into_owned()).await;
                    }
                    Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                },
            }
        });
    }
    graceful.shutdown().await;
}
