//! HTTP transport: TLS policy, guarded name resolution, limits and authentication.

mod classify;
mod ntlm;

use crate::credentials::Credentials;
use crate::error::ExchangeError;
use crate::tls::TlsPolicy;
use crate::url_guard::{GuardedResolver, GuardedUrl};
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use std::time::Duration;

pub use classify::{classify, tls_detail};

/// Transport settings.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// How the server's certificate is trusted.
    pub tls: TlsPolicy,
    /// CA certificates trusted in addition to the system's (for `verify`).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Name resolution (with lab overrides).
    pub resolver: GuardedResolver,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Largest request body sent.
    pub max_request_bytes: usize,
    /// Largest response body read.
    pub max_response_bytes: usize,
    /// Idle keep-alive connections kept per host.
    pub max_idle_connections: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            tls: TlsPolicy::Verify,
            extra_roots: Vec::new(),
            resolver: GuardedResolver::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(100),
            max_request_bytes: 4 * 1024 * 1024,
            max_response_bytes: 64 * 1024 * 1024,
            max_idle_connections: 32,
        }
    }
}

/// One HTTP answer, read within the size limit.
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// `Retry-After`, in seconds, if sent.
    pub retry_after: Option<Duration>,
    /// `Location`, for redirects.
    pub location: Option<String>,
    /// The token of a `WWW-Authenticate: NTLM <token>` challenge.
    pub www_authenticate_ntlm: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// Sends requests with one set of credentials.
#[derive(Debug)]
pub struct Transport {
    credentials: Credentials,
    config: TransportConfig,
    shared: reqwest::Client,
    ntlm: Option<ntlm::NtlmPool>,
}

impl Transport {
    /// A transport for these credentials.
    pub fn new(credentials: Credentials, config: TransportConfig) -> Result<Self, ExchangeError> {
        let shared = build_client(&config, config.max_idle_connections, false)?;
        let ntlm = match &credentials {
            Credentials::Ntlm { account, password } => {
                Some(ntlm::NtlmPool::new(account.clone(), password.clone()))
            }
            _ => None,
        };
        Ok(Self {
            credentials,
            config,
            shared,
            ntlm,
        })
    }

    /// The credentials' scheme name.
    pub fn scheme(&self) -> &'static str {
        self.credentials.scheme()
    }

    /// POSTs a body; `anchor` becomes `X-AnchorMailbox`.
    pub async fn post(
        &self,
        url: &GuardedUrl,
        content_type: &'static str,
        body: String,
        anchor: Option<&str>,
    ) -> Result<HttpReply, ExchangeError> {
        if body.len() > self.config.max_request_bytes {
            return Err(ExchangeError::Setup(format!(
                "the request is {} bytes, more than the {} bytes allowed",
                body.len(),
                self.config.max_request_bytes
            )));
        }
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(anchor) = anchor.and_then(|a| HeaderValue::from_str(a).ok()) {
            headers.insert("X-AnchorMailbox", anchor);
        }
        let body = Bytes::from(body);
        match (&self.credentials, &self.ntlm) {
            (Credentials::Ntlm { .. }, Some(pool)) => {
                pool.post(
                    || build_client(&self.config, 1, true),
                    url,
                    headers,
                    body,
                    self.config.max_response_bytes,
                )
                .await
            }
            _ => {
                if let Some(auth) = self.authorization() {
                    headers.insert(AUTHORIZATION, auth);
                }
                let request = self.shared.post(url.as_str()).headers(headers).body(body);
                send(request, url, self.config.max_response_bytes).await
            }
        }
    }

    /// GETs a URL without credentials (Autodiscover's HTTP redirect and v2 JSON).
    pub async fn get_anonymous(&self, url: &GuardedUrl) -> Result<HttpReply, ExchangeError> {
        send(
            self.shared.get(url.as_str()),
            url,
            self.config.max_response_bytes,
        )
        .await
    }

    fn authorization(&self) -> Option<HeaderValue> {
        use base64::Engine;
        let value = match &self.credentials {
            Credentials::Basic { account, password } => {
                let raw = format!("{account}:{}", password.expose());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            }
            Credentials::Bearer { token } => format!("Bearer {}", token.expose()),
            Credentials::Ntlm { .. } => return None,
        };
        let mut value = HeaderValue::from_str(&value).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

/// A client; with `ntlm`, one that keeps to its first connection (see [`ntlm::ReuseConnection`]).
fn build_client(
    config: &TransportConfig,
    idle: usize,
    ntlm: bool,
) -> Result<reqwest::Client, ExchangeError> {
    let tls = config
        .tls
        .client_config(&config.extra_roots)
        .map_err(|e| ExchangeError::Setup(e.to_string()))?;
    let mut builder = reqwest::Client::builder();
    if ntlm {
        builder = builder.connector_layer(ntlm::ReuseConnection::default());
    }
    builder
        .use_preconfigured_tls(tls)
        .dns_resolver(Arc::new(config.resolver.clone()))
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .pool_max_idle_per_host(idle)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Impersync/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ExchangeError::Setup(format!("cannot set up the HTTP client: {e}")))
}

/// Sends a request and reads the answer within the size limit.
async fn send(
    request: reqwest::RequestBuilder,
    url: &GuardedUrl,
    limit: usize,
) -> Result<HttpReply, ExchangeError> {
    let mut response = request.send().await.map_err(|e| classify(&e, url))?;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after = header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let location = header("location");
    let www_authenticate_ntlm = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("NTLM ").map(|t| t.trim().to_string()));
    if response
        .content_length()
        .is_some_and(|n| n as usize > limit)
    {
        return Err(ExchangeError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, url))? {
        if body.len() + chunk.len() > limit {
            return Err(ExchangeError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpReply {
        status,
        retry_after,
        location,
        www_authenticate_ntlm,
        body: Bytes::from(body),
    })
}
