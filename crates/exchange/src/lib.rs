//! The Exchange client Impersync uses everywhere: the connection doctor, the admin
//! panel's bulk checks and the sync engine.
//!
//! It speaks EWS over HTTPS with Basic, NTLM or OAuth bearer authentication, impersonates
//! users with any `ConnectingSID` kind (always sending `X-AnchorMailbox`), enforces the TLS
//! policy and the URL guard, waits out throttling, and classifies every failure into an
//! [`OutcomeClass`] with its cause and remedy.

pub mod autodiscover;
mod client;
mod concurrency_limit;
mod credentials;
mod error;
mod governor;
mod impersonation;
pub mod oauth;
mod outcome;
mod secret;
pub mod setup_script;
mod statuses;
mod tls;
pub mod transport;
mod url_guard;

pub use client::{Called, ExchangeClient, ExchangeConfig, READ_RETRIES, first_payload};
pub use concurrency_limit::{BUSY_STREAK_TO_CUT, ConcurrencyLimit, SUCCESSES_TO_RAISE};
pub use credentials::{AccountName, BadAccountName, Credentials};
pub use error::{ExchangeError, class_of_code};
pub use governor::{EXCHANGE_DEFAULT_MAX_CONCURRENCY, Governor, GovernorConfig, throttle_delay};
pub use impersonation::{IdType, Impersonate};
pub use outcome::{ALL_CLASSES, Outcome, OutcomeClass};
pub use secret::Secret;
pub use statuses::Statuses;
pub use tls::{TlsPolicy, TlsPolicyError, fingerprint, install_default_provider};
pub use url_guard::{GuardedResolver, GuardedUrl, UrlPolicy, UrlRefused, is_forbidden};
