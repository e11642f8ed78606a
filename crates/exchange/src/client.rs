//! The EWS client: one service account, one EWS URL, typed operations.

use crate::credentials::Credentials;
use crate::error::ExchangeError;
use crate::governor::{Governor, GovernorConfig};
use crate::impersonation::Impersonate;
use crate::statuses::Statuses;
use crate::transport::{HttpReply, Transport, TransportConfig};
use crate::url_guard::GuardedUrl;
use impersync_ews::ops::GetFolder;
use impersync_ews::types::{BaseShape, Folder, FolderRef, Shape};
use impersync_ews::{
    Operation, RequestHeader, ResponseCode, ResponseMessage, ServerVersionInfo, decode_response,
    encode_request, read_response,
};

/// Everything needed to talk to one Exchange as one service account.
#[derive(Debug, Clone)]
pub struct ExchangeConfig {
    /// The EWS endpoint.
    pub ews_url: GuardedUrl,
    /// The service account's credentials.
    pub credentials: Credentials,
    /// Transport settings.
    pub transport: TransportConfig,
    /// Throttling settings.
    pub governor: GovernorConfig,
    /// `RequestServerVersion`, e.g. `Exchange2016`.
    pub request_server_version: String,
}

impl ExchangeConfig {
    /// A configuration with default transport and governor settings.
    pub fn new(ews_url: GuardedUrl, credentials: Credentials) -> Self {
        Self {
            ews_url,
            credentials,
            transport: TransportConfig::default(),
            governor: GovernorConfig::default(),
            request_server_version: "Exchange2016".into(),
        }
    }
}

/// A successful call: the typed response and the server's version.
#[derive(Debug, Clone)]
pub struct Called<R> {
    /// The response.
    pub response: R,
    /// `ServerVersionInfo`, if the server sent one.
    pub server_version: Option<ServerVersionInfo>,
}

/// The EWS client.
#[derive(Debug)]
pub struct ExchangeClient {
    ews_url: GuardedUrl,
    transport: Transport,
    governor: Governor,
    request_server_version: String,
}

impl ExchangeClient {
    /// A client for a configuration.
    pub fn new(config: ExchangeConfig) -> Result<Self, ExchangeError> {
        let governor = Governor::new(&config.governor);
        Self::with_governor(config, governor)
    }

    /// A client for a configuration whose requests go through `governor` (shared with the
    /// other clients of the same service account) instead of one made from
    /// `config.governor`.
    pub fn with_governor(
        config: ExchangeConfig,
        governor: Governor,
    ) -> Result<Self, ExchangeError> {
        Ok(Self {
            transport: Transport::new(config.credentials, config.transport)?,
            governor,
            ews_url: config.ews_url,
            request_server_version: config.request_server_version,
        })
    }

    /// The EWS URL.
    pub fn ews_url(&self) -> &GuardedUrl {
        &self.ews_url
    }

    /// The throttling governor (shared by all calls of this client).
    pub fn governor(&self) -> &Governor {
        &self.governor
    }

    /// Calls an operation, acting as `acting` (impersonated) or as the service account itself.
    ///
    /// Throttling (`ErrorServerBusy`, `ErrorExceededConnectionCount`, 503) is waited out by the
    /// governor; other errors, including per-message errors other than `ErrorServerBusy`, are
    /// returned as they are.
    pub async fn call<O>(
        &self,
        acting: Option<&Impersonate>,
        op: &O,
    ) -> Result<Called<O::Response>, ExchangeError>
    where
        O: Operation,
        O::Response: Statuses,
    {
        let header = RequestHeader {
            server_version: Some(self.request_server_version.clone()),
            impersonation: acting.map(Impersonate::connecting_sid),
            time_zone: None,
        };
        let body = encode_request(&header, op);
        let anchor = acting.map(|a| a.anchor_mailbox.as_str());
        self.governor
            .run(|| async {
                let reply = self
                    .transport
                    .post(
                        &self.ews_url,
                        "text/xml; charset=utf-8",
                        body.clone(),
                        anchor,
                    )
                    .await?;
                let called = decode::<O>(reply, self.transport.scheme())?;
                if let Some(busy) = called
                    .response
                    .statuses()
                    .into_iter()
                    .find(|s| s.code == ResponseCode::ErrorServerBusy)
                {
                    return Err(ExchangeError::Response {
                        code: ResponseCode::ErrorServerBusy,
                        message: busy.message_text.clone().unwrap_or_default(),
                        back_off_ms: busy.back_off_ms,
                    });
                }
                Ok(called)
            })
            .await
    }

    /// Calls an operation that only reads (GetFolder, SyncFolderItems, GetItem, ...), so
    /// that sending it again is harmless: like [`call`](Self::call), and a dropped
    /// connection, a cut-off or garbled answer or a gateway error is retried up to
    /// [`READ_RETRIES`] times after a short pause.
    pub async fn call_read<O>(
        &self,
        acting: Option<&Impersonate>,
        op: &O,
    ) -> Result<Called<O::Response>, ExchangeError>
    where
        O: Operation,
        O::Response: Statuses,
    {
        let mut retried = 0;
        loop {
            match self.call(acting, op).await {
                Err(e) if retried < READ_RETRIES && is_transient(&e) => {
                    retried += 1;
                    tracing::debug!(error = %e, retried, "transient failure; reading again");
                    tokio::time::sleep(READ_RETRY_PAUSE * retried).await;
                }
                result => return result,
            }
        }
    }

    /// Binds one folder, returning it with its counts.
    pub async fn get_folder(
        &self,
        acting: Option<&Impersonate>,
        folder: FolderRef,
    ) -> Result<Folder, ExchangeError> {
        let op = GetFolder {
            shape: Shape::base(BaseShape::Default),
            folder_ids: vec![folder],
        };
        let called = self.call(acting, &op).await?;
        first_payload(called.response.messages)?
            .into_iter()
            .next()
            .ok_or_else(|| ExchangeError::Response {
                code: ResponseCode::ErrorFolderNotFound,
                message: "GetFolder returned no folder".into(),
                back_off_ms: None,
            })
    }
}

/// How often [`ExchangeClient::call_read`] sends a read again after a transient failure.
pub const READ_RETRIES: u32 = 2;

/// The pause before the first retry of a read; it grows with each retry.
const READ_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Whether a read may succeed when simply sent again: the connection dropped or the
/// answer was cut off or garbled, or a gateway in front of Exchange failed.
fn is_transient(e: &ExchangeError) -> bool {
    matches!(
        e,
        ExchangeError::Unreachable { .. }
            | ExchangeError::Malformed(_)
            | ExchangeError::Http {
                status: 500 | 502 | 504,
                ..
            }
    )
}

/// The payload of the first message, or its error.
pub fn first_payload<T>(messages: Vec<ResponseMessage<T>>) -> Result<T, ExchangeError> {
    let first = messages
        .into_iter()
        .next()
        .ok_or_else(|| ExchangeError::Response {
            code: ResponseCode::Other("NoResponseMessage".into()),
            message: "the response holds no response message".into(),
            back_off_ms: None,
        })?;
    match first.payload {
        Some(p) if first.status.code == ResponseCode::NoError || first.status.is_success() => Ok(p),
        _ => Err(ExchangeError::Response {
            code: first.status.code,
            message: first.status.message_text.unwrap_or_default(),
            back_off_ms: first.status.back_off_ms,
        }),
    }
}

/// Turns an HTTP reply into the typed response or the error it carries.
fn decode<O: Operation>(
    reply: HttpReply,
    scheme: &'static str,
) -> Result<Called<O::Response>, ExchangeError> {
    let snippet = || {
        String::from_utf8_lossy(&reply.body[..reply.body.len().min(200)])
            .trim()
            .to_string()
    };
    match reply.status {
        200 => {
            let decoded = decode_response::<O>(&reply.body)?;
            match decoded.body {
                Ok(response) => Ok(Called {
                    response,
                    server_version: decoded.server_version,
                }),
                Err(fault) => Err(ExchangeError::Fault(fault)),
            }
        }
        401 => Err(ExchangeError::Unauthorized { scheme }),
        403 => Err(ExchangeError::Forbidden { detail: snippet() }),
        500 => match read_response(&reply.body) {
            Ok(env) => match env.body {
                Err(fault) => Err(ExchangeError::Fault(fault)),
                Ok(_) => Err(ExchangeError::Http {
                    status: 500,
                    detail: snippet(),
                    retry_after: None,
                }),
            },
            Err(_) => Err(ExchangeError::Http {
                status: 500,
                detail: snippet(),
                retry_after: None,
            }),
        },
        status => Err(ExchangeError::Http {
            status,
            detail: snippet(),
            retry_after: reply.retry_after,
        }),
    }
}
