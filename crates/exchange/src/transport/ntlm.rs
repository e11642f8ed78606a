//! NTLM: a real NTLMv2 handshake per keep-alive connection, then requests on it.

use super::{HttpReply, send};
use crate::credentials::AccountName;
use crate::error::ExchangeError;
use crate::secret::Secret;
use crate::url_guard::GuardedUrl;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use sspi::{
    AuthIdentity, BufferType, ClientRequestFlags, CredentialUse, DataRepresentation, Ntlm,
    SecurityBuffer, Sspi, SspiImpl, Username,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// How long a connection attempt after the first waits, so that the first connection wins
/// when it is only on its way back to the idle pool.
const REUSE_GRACE: Duration = Duration::from_millis(250);

/// A connector layer that keeps an NTLM client on its one connection.
///
/// NTLM signs in a connection, not a request: the AUTHENTICATE leg must travel on the
/// connection that received the challenge. The HTTP client races a new connection against
/// the idle pool, and the connection that just answered the challenge is returned to the
/// pool by a background task, so on a fast network the new connection could win and the
/// handshake failed with a 401. Here every connection attempt after the first waits
/// [`REUSE_GRACE`] first, so the pooled connection wins unless the server really closed it.
#[derive(Debug, Clone, Default)]
pub struct ReuseConnection {
    connected: Arc<AtomicBool>,
}

impl<S> tower::Layer<S> for ReuseConnection {
    type Service = ReuseConnectionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReuseConnectionService {
            inner,
            connected: Arc::clone(&self.connected),
        }
    }
}

/// The service of [`ReuseConnection`].
#[derive(Debug, Clone)]
pub struct ReuseConnectionService<S> {
    inner: S,
    connected: Arc<AtomicBool>,
}

impl<S, R> tower::Service<R> for ReuseConnectionService<S>
where
    S: tower::Service<R> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let again = self.connected.swap(true, Ordering::SeqCst);
        let connecting = self.inner.call(request);
        Box::pin(async move {
            if again {
                tokio::time::sleep(REUSE_GRACE).await;
            }
            connecting.await
        })
    }
}

/// A connection (a reqwest client holding one keep-alive connection) and whether it is signed in.
#[derive(Debug)]
struct NtlmConnection {
    client: reqwest::Client,
    authenticated: bool,
}

/// Idle NTLM connections, each used by one request at a time.
#[derive(Debug)]
pub struct NtlmPool {
    account: AccountName,
    password: Secret,
    idle: Mutex<Vec<NtlmConnection>>,
}

impl NtlmPool {
    /// A pool for one account.
    pub fn new(account: AccountName, password: Secret) -> Self {
        Self {
            account,
            password,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// POSTs on an authenticated connection, signing a fresh one in first.
    pub async fn post(
        &self,
        new_client: impl FnOnce() -> Result<reqwest::Client, ExchangeError>,
        url: &GuardedUrl,
        headers: HeaderMap,
        body: Bytes,
        limit: usize,
    ) -> Result<HttpReply, ExchangeError> {
        let pooled = self.idle.lock().expect("ntlm pool lock").pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => NtlmConnection {
                client: new_client()?,
                authenticated: false,
            },
        };
        if conn.authenticated {
            let reply = send(
                conn.client
                    .post(url.as_str())
                    .headers(headers.clone())
                    .body(body.clone()),
                url,
                limit,
            )
            .await?;
            if reply.status != 401 {
                self.idle.lock().expect("ntlm pool lock").push(conn);
                return Ok(reply);
            }
            conn.authenticated = false;
        }
        let reply = self
            .handshake(&conn.client, url, headers, body, limit)
            .await?;
        if reply.status == 401 {
            return Err(ExchangeError::Unauthorized { scheme: "NTLM" });
        }
        conn.authenticated = true;
        self.idle.lock().expect("ntlm pool lock").push(conn);
        Ok(reply)
    }

    async fn handshake(
        &self,
        client: &reqwest::Client,
        url: &GuardedUrl,
        headers: HeaderMap,
        body: Bytes,
        limit: usize,
    ) -> Result<HttpReply, ExchangeError> {
        let mut ntlm = NtlmClient::new(&self.account, &self.password)?;
        let negotiate = ntlm.step(None)?;
        let first = send(
            client
                .post(url.as_str())
                .headers(headers.clone())
                .header(AUTHORIZATION, token(&negotiate)?)
                .body(body.clone()),
            url,
            limit,
        )
        .await?;
        let Some(challenge) = first.challenge() else {
            return match first.status {
                401 => Err(ExchangeError::Unauthorized { scheme: "NTLM" }),
                _ => Ok(first),
            };
        };
        let authenticate = ntlm.step(Some(&challenge))?;
        send(
            client
                .post(url.as_str())
                .headers(headers)
                .header(AUTHORIZATION, token(&authenticate)?)
                .body(body),
            url,
            limit,
        )
        .await
    }
}

impl HttpReply {
    fn challenge(&self) -> Option<Vec<u8>> {
        self.www_authenticate_ntlm
            .as_deref()
            .and_then(|t| STANDARD.decode(t).ok())
    }
}

fn token(bytes: &[u8]) -> Result<HeaderValue, ExchangeError> {
    let mut v = HeaderValue::from_str(&format!("NTLM {}", STANDARD.encode(bytes)))
        .map_err(|e| ExchangeError::Setup(e.to_string()))?;
    v.set_sensitive(true);
    Ok(v)
}

/// The client side of one NTLM handshake, through the `sspi` crate.
struct NtlmClient {
    ntlm: Ntlm,
    credentials: Option<sspi::AuthIdentityBuffers>,
}

impl NtlmClient {
    fn new(account: &AccountName, password: &Secret) -> Result<Self, ExchangeError> {
        let setup = |e: sspi::Error| ExchangeError::Setup(format!("NTLM: {e}"));
        let mut ntlm = Ntlm::new();
        let identity = AuthIdentity {
            username: Username::parse(&account.to_string())
                .map_err(|e| ExchangeError::Setup(format!("NTLM: {e}")))?,
            password: password.expose().to_owned().into(),
        };
        let credentials = ntlm
            .acquire_credentials_handle()
            .with_credential_use(CredentialUse::Outbound)
            .with_auth_data(&identity)
            .execute(&mut ntlm)
            .map_err(setup)?
            .credentials_handle;
        Ok(Self { ntlm, credentials })
    }

    fn step(&mut self, input: Option<&[u8]>) -> Result<Vec<u8>, ExchangeError> {
        let setup = |e: sspi::Error| ExchangeError::Setup(format!("NTLM: {e}"));
        let mut output = vec![SecurityBuffer::new(Vec::new(), BufferType::Token)];
        let mut input: Vec<_> = input
            .map(|t| SecurityBuffer::new(t.to_vec(), BufferType::Token))
            .into_iter()
            .collect();
        let mut builder = self
            .ntlm
            .initialize_security_context()
            .with_credentials_handle(&mut self.credentials)
            .with_context_requirements(ClientRequestFlags::empty())
            .with_target_data_representation(DataRepresentation::Native)
            .with_output(&mut output);
        if !input.is_empty() {
            builder = builder.with_input(&mut input);
        }
        self.ntlm
            .initialize_security_context_impl(&mut builder)
            .map_err(setup)?
            .resolve_to_result()
            .map_err(setup)?;
        Ok(output.remove(0).buffer)
    }
}
