//! How this deployment reaches Exchange: name overrides, extra trusted CAs, Autodiscover
//! ports and SRV lookups. The default is production behaviour (system DNS and roots,
//! ports 443 and 80); labs and tests override names and ports.

use impersync_exchange::autodiscover::{AutodiscoverOptions, SrvResolver, SystemSrvResolver};
use impersync_exchange::transport::TransportConfig;
use impersync_exchange::{GuardedResolver, TlsPolicy, UrlPolicy};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Why a network setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// A name override that is not `HOST=IP`.
    #[error("`{0}` is not a name override: write it as HOST=IP, e.g. contoso.test=127.0.0.1")]
    BadOverride(String),
    /// A CA file that holds no usable PEM certificate.
    #[error("the CA certificates are not usable: {0}")]
    BadCa(String),
}

/// How this deployment reaches Exchange.
#[derive(Clone)]
pub struct Network {
    /// Lab name overrides, e.g. `autodiscover.contoso.test → 127.0.0.1`.
    pub resolve: HashMap<String, Vec<IpAddr>>,
    /// CA certificates trusted in addition to the system's.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Port of Autodiscover's `https://` candidates (443).
    pub autodiscover_https_port: u16,
    /// Port of Autodiscover's `http://` redirect candidate (80).
    pub autodiscover_http_port: u16,
    /// SRV lookups for `_autodiscover._tcp.<domain>` (system DNS by default).
    pub srv: Arc<dyn SrvResolver>,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            resolve: HashMap::new(),
            extra_roots: Vec::new(),
            autodiscover_https_port: 443,
            autodiscover_http_port: 80,
            srv: Arc::new(SystemSrvResolver),
        }
    }
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("resolve", &self.resolve)
            .field("extra_roots", &self.extra_roots.len())
            .field("autodiscover_https_port", &self.autodiscover_https_port)
            .field("autodiscover_http_port", &self.autodiscover_http_port)
            .finish_non_exhaustive()
    }
}

impl Network {
    /// Adds a `HOST=IP` name override (like curl's `--resolve`).
    pub fn add_override(&mut self, entry: &str) -> Result<(), NetworkError> {
        let bad = || NetworkError::BadOverride(entry.to_string());
        let (host, ip) = entry.split_once('=').ok_or_else(bad)?;
        let ip: IpAddr = ip.trim().parse().map_err(|_| bad())?;
        let host = host.trim().to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad());
        }
        self.resolve.entry(host).or_default().push(ip);
        Ok(())
    }

    /// Trusts every certificate of a PEM text; returns how many were added.
    pub fn add_ca_pem(&mut self, pem: &[u8]) -> Result<usize, NetworkError> {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            self.extra_roots
                .push(cert.map_err(|e| NetworkError::BadCa(e.to_string()))?);
            added += 1;
        }
        if added == 0 {
            return Err(NetworkError::BadCa("no PEM certificate found".into()));
        }
        Ok(added)
    }

    /// Name resolution with this network's overrides.
    pub fn resolver(&self) -> GuardedResolver {
        GuardedResolver::with_overrides(self.resolve.clone())
    }

    /// The transport settings for a TLS policy.
    pub fn transport(&self, tls: TlsPolicy) -> TransportConfig {
        TransportConfig {
            tls,
            extra_roots: self.extra_roots.clone(),
            resolver: self.resolver(),
            ..TransportConfig::default()
        }
    }

    /// The Autodiscover settings for an address.
    pub fn autodiscover(&self, email: &str, url_policy: UrlPolicy) -> AutodiscoverOptions {
        AutodiscoverOptions {
            https_port: self.autodiscover_https_port,
            http_port: self.autodiscover_http_port,
            srv: Arc::clone(&self.srv),
            resolver: self.resolver(),
            url_policy,
            ..AutodiscoverOptions::new(email)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_bad_ones_are_named() {
        let mut n = Network::default();
        n.add_override("Contoso.TEST=127.0.0.1").unwrap();
        n.add_override("contoso.test=::1").unwrap();
        assert_eq!(n.resolve["contoso.test"].len(), 2);
        for bad in ["contoso.test", "=127.0.0.1", "contoso.test=nope"] {
            let e = n.add_override(bad).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
        assert!(n.add_ca_pem(b"not pem").is_err());
        let ad = n.autodiscover("a@contoso.test", UrlPolicy::default());
        assert_eq!((ad.https_port, ad.http_port), (443, 80));
    }
}
