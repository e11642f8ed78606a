//! Autodiscover behaviour a test or demo can switch on: refused hosts and redirects.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How Autodiscover answers, beyond the directory's facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutodiscoverControl {
    /// Host names (as in the `Host` header) whose POX and SOAP endpoints answer 404.
    #[serde(default)]
    pub refuse_hosts: Vec<String>,
    /// The v2 JSON endpoint answers 404 everywhere.
    #[serde(default)]
    pub refuse_json: bool,
    /// The unauthenticated HTTP GET answers 404 instead of redirecting.
    #[serde(default)]
    pub disable_http_redirect: bool,
    /// The host the HTTP GET redirects to (default: the host asked).
    #[serde(default)]
    pub http_redirect_to: Option<String>,
    /// Addresses answered with `redirectAddr` to another address.
    #[serde(default)]
    pub redirect_addr: BTreeMap<String, String>,
    /// Host names answered with `redirectUrl` to this URL.
    #[serde(default)]
    pub redirect_url: BTreeMap<String, String>,
}

impl AutodiscoverControl {
    /// Whether this host's Autodiscover is switched off.
    pub fn refuses(&self, host: &str) -> bool {
        self.refuse_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Where this address is redirected, if anywhere.
    pub fn address_redirect(&self, address: &str) -> Option<&str> {
        self.redirect_addr
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(address))
            .map(|(_, to)| to.as_str())
    }

    /// Where this host redirects POX and SOAP requests, if anywhere.
    pub fn url_redirect(&self, host: &str) -> Option<&str> {
        self.redirect_url
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(host))
            .map(|(_, url)| url.as_str())
    }
}
