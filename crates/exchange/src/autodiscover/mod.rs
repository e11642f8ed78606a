//! Autodiscover: find the EWS URL for an address, trying Microsoft's candidates in order.

mod attempt;
mod candidates;
mod srv;

pub use attempt::{Attempt, Discovery};
pub use srv::{NoSrv, SrvRecord, SrvResolver, StaticSrv, SystemSrvResolver};

use crate::transport::Transport;
use crate::url_guard::{GuardedResolver, UrlPolicy};
use std::sync::Arc;

/// How Autodiscover runs.
#[derive(Clone)]
pub struct AutodiscoverOptions {
    /// The address whose EWS URL is wanted.
    pub email: String,
    /// Port of `https://` candidates (443, or a lab's port).
    pub https_port: u16,
    /// Port of the `http://` redirect candidate (80, or a lab's port).
    pub http_port: u16,
    /// Most POX redirects (`redirectAddr`, `redirectUrl`, HTTP redirect) followed.
    pub max_redirects: u8,
    /// SRV lookups.
    pub srv: Arc<dyn SrvResolver>,
    /// Name resolution for the DNS step of each candidate.
    pub resolver: GuardedResolver,
    /// URL policy for candidates and redirect targets.
    pub url_policy: UrlPolicy,
}

impl std::fmt::Debug for AutodiscoverOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutodiscoverOptions")
            .field("email", &self.email)
            .field("https_port", &self.https_port)
            .finish_non_exhaustive()
    }
}

impl AutodiscoverOptions {
    /// Defaults for an address: standard ports, system DNS and SRV.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            https_port: 443,
            http_port: 80,
            max_redirects: 10,
            srv: Arc::new(SystemSrvResolver),
            resolver: GuardedResolver::default(),
            url_policy: UrlPolicy::default(),
        }
    }
}

/// Runs Autodiscover with the given transport (whose credentials are used for POX and SOAP).
pub async fn discover(transport: &Transport, options: &AutodiscoverOptions) -> Discovery {
    candidates::run(transport, options).await
}
