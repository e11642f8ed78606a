//! The HTTP clients that POST to webhooks: TLS verified against the system's roots and the
//! network's extra CAs, no redirects followed, a 10 s timeout, and guarded name resolution
//! (private answers only for labs).

use super::deliver::TIMEOUT;
use super::target::TargetResolver;
use crate::Network;
use impersync_exchange::TlsPolicy;
use std::sync::Arc;

/// One client for organisations that are labs and one for the others.
#[derive(Debug, Clone)]
pub(crate) struct Clients {
    strict: reqwest::Client,
    lab: reqwest::Client,
}

impl Clients {
    /// Both clients for this network.
    pub(crate) fn new(network: &Network) -> Result<Self, String> {
        Ok(Self {
            strict: build(network, false)?,
            lab: build(network, true)?,
        })
    }

    /// The client for a lab organisation or another.
    pub(crate) fn get(&self, lab: bool) -> &reqwest::Client {
        if lab { &self.lab } else { &self.strict }
    }
}

fn build(network: &Network, lab: bool) -> Result<reqwest::Client, String> {
    let tls = TlsPolicy::Verify
        .client_config(&network.extra_roots)
        .map_err(|e| e.to_string())?;
    let resolver = TargetResolver {
        inner: network.resolver(),
        allow_private: lab,
    };
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .dns_resolver(Arc::new(resolver))
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Impersync-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot set up the webhook HTTP client: {e}"))
}
