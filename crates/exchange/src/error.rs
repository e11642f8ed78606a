//! Errors from talking to Exchange, each mapping to one outcome class.

use crate::outcome::{Outcome, OutcomeClass};
use crate::url_guard::UrlRefused;
use impersync_ews::{DecodeError, ResponseCode, SoapFault};
use std::time::Duration;

/// What went wrong with a request to Exchange.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExchangeError {
    /// The URL guard refused the URL.
    #[error(transparent)]
    UrlRefused(#[from] UrlRefused),
    /// DNS, TCP or timeout.
    #[error("cannot reach {url}: {detail}")]
    Unreachable {
        /// Where.
        url: String,
        /// Why.
        detail: String,
    },
    /// The TLS handshake failed or the certificate is not trusted.
    #[error("TLS with {url} failed: {detail}")]
    Tls {
        /// Where.
        url: String,
        /// Why.
        detail: String,
    },
    /// HTTP 401: the credentials were refused.
    #[error("the server refused the service account's credentials ({scheme}, HTTP 401)")]
    Unauthorized {
        /// Authentication scheme used.
        scheme: &'static str,
    },
    /// HTTP 403: EWS is disabled for the account or mailbox.
    #[error("the server answered 403 Forbidden: {detail}")]
    Forbidden {
        /// The body's first words.
        detail: String,
    },
    /// A SOAP fault.
    #[error("{}: {}", .0.code, .0.message)]
    Fault(SoapFault),
    /// An operation-level error (`ResponseClass="Error"`).
    #[error("{code}: {message}")]
    Response {
        /// The response code.
        code: ResponseCode,
        /// `MessageText`.
        message: String,
        /// `BackOffMilliseconds`, for `ErrorServerBusy`.
        back_off_ms: Option<u64>,
    },
    /// An HTTP status that is neither success nor an EWS fault.
    #[error("the server answered HTTP {status}: {detail}")]
    Http {
        /// Status code.
        status: u16,
        /// The body's first words.
        detail: String,
        /// `Retry-After`, if sent.
        retry_after: Option<Duration>,
    },
    /// The body is not a valid EWS response.
    #[error("the server's answer is not a valid EWS response: {0}")]
    Malformed(#[from] DecodeError),
    /// The body exceeded the size limit.
    #[error("the server's answer is larger than {limit} bytes; refused")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// Throttling lasted longer than the governor waits.
    #[error("Exchange kept throttling ({last}); gave up after waiting {waited:?} in total")]
    ThrottledTooLong {
        /// The last throttling signal.
        last: String,
        /// Total time waited.
        waited: Duration,
    },
    /// Autodiscover found nothing.
    #[error("Autodiscover found no EWS URL: {0}")]
    Autodiscover(String),
    /// A local configuration problem (TLS setup, NTLM library).
    #[error("{0}")]
    Setup(String),
}

impl ExchangeError {
    /// The outcome class of this error.
    pub fn class(&self) -> OutcomeClass {
        match self {
            Self::UrlRefused(_) | Self::Unreachable { .. } => OutcomeClass::Unreachable,
            Self::Tls { .. } => OutcomeClass::TlsUntrusted,
            Self::Unauthorized { .. } => OutcomeClass::AuthFailed,
            Self::Forbidden { .. } => OutcomeClass::EwsDisabled,
            Self::Fault(f) => class_of_code(&f.code),
            Self::Response { code, .. } => class_of_code(code),
            Self::Http { status: 503, .. } | Self::ThrottledTooLong { .. } => {
                OutcomeClass::Throttled
            }
            Self::Http { .. } | Self::Malformed(_) | Self::TooLarge { .. } | Self::Setup(_) => {
                OutcomeClass::ServerError
            }
            Self::Autodiscover(_) => OutcomeClass::AutodiscoverFailed,
        }
    }

    /// The EWS or HTTP code, if there is one.
    pub fn code(&self) -> Option<String> {
        match self {
            Self::Fault(f) => Some(f.code.to_string()),
            Self::Response { code, .. } => Some(code.to_string()),
            Self::Unauthorized { .. } => Some("HTTP 401".into()),
            Self::Forbidden { .. } => Some("HTTP 403".into()),
            Self::Http { status, .. } => Some(format!("HTTP {status}")),
            _ => None,
        }
    }

    /// The classified outcome, with the class's remedy (and a sharper one where the code says more).
    pub fn outcome(&self) -> Outcome {
        let mut outcome = Outcome::failed(self.class(), self.code(), self.to_string());
        if let Some(extra) = self.specific_remedy() {
            outcome.remedy = format!("{extra} {}", outcome.remedy);
        }
        outcome
    }

    fn specific_remedy(&self) -> Option<&'static str> {
        let code = match self {
            Self::Fault(f) => &f.code,
            Self::Response { code, .. } => code,
            Self::UrlRefused(UrlRefused::InsecureHttp(_)) => return Some("The URL uses http://."),
            _ => return None,
        };
        match code {
            ResponseCode::ErrorInvalidExchangeImpersonationHeaderData => Some(
                "The impersonation header named nobody usable: check the impersonated id and the id type.",
            ),
            ResponseCode::ErrorExceededConnectionCount => Some(
                "More requests ran at once than the server's EWSMaxConcurrency allows (27 by default).",
            ),
            ResponseCode::ErrorFolderNotFound => Some(
                "Remove the folder from the organisation's folder list, or create it in the mailbox.",
            ),
            _ => None,
        }
    }
}

/// The outcome class an EWS response code belongs to.
pub fn class_of_code(code: &ResponseCode) -> OutcomeClass {
    match code {
        ResponseCode::NoError => OutcomeClass::Ok,
        ResponseCode::ErrorImpersonateUserDenied | ResponseCode::ErrorImpersonationFailed => {
            OutcomeClass::ImpersonationDenied
        }
        ResponseCode::ErrorNonExistentMailbox => OutcomeClass::NoMailbox,
        ResponseCode::ErrorServerBusy | ResponseCode::ErrorExceededConnectionCount => {
            OutcomeClass::Throttled
        }
        ResponseCode::ErrorAccountDisabled => OutcomeClass::AuthFailed,
        ResponseCode::ErrorMailboxConfiguration => OutcomeClass::EwsDisabled,
        _ => OutcomeClass::ServerError,
    }
}
