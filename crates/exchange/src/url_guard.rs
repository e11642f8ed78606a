//! The URL guard: which EWS and Autodiscover URLs Impersync may send credentials to.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// What the guard allows beyond its defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Allow `http://` (labs and the simulator only).
    pub allow_insecure_http: bool,
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    /// Not a URL at all.
    #[error("`{url}` is not a valid URL: {reason}")]
    Malformed {
        /// The input.
        url: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Plain HTTP without the lab opt-in.
    #[error(
        "`{0}` uses plain http://, which would send the service account's credentials unencrypted; use https://, or pass --allow-insecure-http for a lab"
    )]
    InsecureHttp(String),
    /// A scheme other than http or https.
    #[error("`{0}` must use https://")]
    Scheme(String),
    /// User name or password inside the URL.
    #[error("`{0}` carries credentials in the URL; give them as separate settings")]
    EmbeddedCredentials(String),
    /// A link-local or cloud-metadata address.
    #[error(
        "`{host}` is a link-local or cloud-metadata address ({addr}); Impersync never sends requests there"
    )]
    Forbidden {
        /// Host as written.
        host: String,
        /// The refused address.
        addr: IpAddr,
    },
}

/// A URL that passed the guard; only these reach the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardedUrl(url::Url);

impl GuardedUrl {
    /// Checks a URL against the policy.
    pub fn new(raw: &str, policy: UrlPolicy) -> Result<Self, UrlRefused> {
        let url = url::Url::parse(raw.trim()).map_err(|e| UrlRefused::Malformed {
            url: raw.to_string(),
            reason: e.to_string(),
        })?;
        match url.scheme() {
            "https" => {}
            "http" if policy.allow_insecure_http => {}
            "http" => return Err(UrlRefused::InsecureHttp(raw.to_string())),
            _ => return Err(UrlRefused::Scheme(raw.to_string())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlRefused::EmbeddedCredentials(raw.to_string()));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
            None => {
                return Err(UrlRefused::Malformed {
                    url: raw.to_string(),
                    reason: "no host".into(),
                });
            }
        };
        if let Some(addr) = ip.filter(|a| is_forbidden(*a)) {
            return Err(UrlRefused::Forbidden {
                host: url.host_str().unwrap_or_default().to_string(),
                addr,
            });
        }
        Ok(Self(url))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host name or address.
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }

    /// Whether the URL uses TLS.
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }
}

impl fmt::Display for GuardedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Link-local (169.254.0.0/16, fe80::/10) and metadata (fd00:ec2::254) addresses.
pub fn is_forbidden(addr: IpAddr) -> bool {
    const EC2_METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
    match addr {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6 == EC2_METADATA_V6
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

/// Name resolution that refuses forbidden addresses and honours lab overrides.
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver {
    overrides: Arc<HashMap<String, Vec<IpAddr>>>,
}

impl GuardedResolver {
    /// A resolver with fixed answers for some names (like curl's `--resolve`).
    pub fn with_overrides(overrides: HashMap<String, Vec<IpAddr>>) -> Self {
        Self {
            overrides: Arc::new(
                overrides
                    .into_iter()
                    .map(|(k, v)| (k.to_lowercase(), v))
                    .collect(),
            ),
        }
    }

    /// Resolves a host name, refusing link-local and metadata answers.
    pub async fn lookup(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, std::io::Error> {
        let addrs: Vec<SocketAddr> = match self.overrides.get(&host.to_lowercase()) {
            Some(ips) => ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
            None => tokio::net::lookup_host((host, port)).await?.collect(),
        };
        if let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{host} resolves to {}, a link-local or cloud-metadata address; refused",
                    bad.ip()
                ),
            ));
        }
        Ok(addrs)
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = this.lookup(&host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_refuses_what_it_must() {
        let strict = UrlPolicy::default();
        let lab = UrlPolicy {
            allow_insecure_http: true,
        };
        assert!(GuardedUrl::new("https://mail.contoso.test/EWS/Exchange.asmx", strict).is_ok());
        assert!(matches!(
            GuardedUrl::new("http://mail.contoso.test/EWS/Exchange.asmx", strict),
            Err(UrlRefused::InsecureHttp(_))
        ));
        assert!(GuardedUrl::new("http://127.0.0.1:8443/EWS/Exchange.asmx", lab).is_ok());
        assert!(matches!(
            GuardedUrl::new("https://169.254.169.254/latest", lab),
            Err(UrlRefused::Forbidden { .. })
        ));
        assert!(matches!(
            GuardedUrl::new("https://[fd00:ec2::254]/", lab),
            Err(UrlRefused::Forbidden { .. })
        ));
        assert!(matches!(
            GuardedUrl::new("https://[fe80::1]/", lab),
            Err(UrlRefused::Forbidden { .. })
        ));
        assert!(matches!(
            GuardedUrl::new("https://[::ffff:169.254.1.1]/", lab),
            Err(UrlRefused::Forbidden { .. })
        ));
        assert!(matches!(
            GuardedUrl::new("https://u:p@mail.contoso.test/", lab),
            Err(UrlRefused::EmbeddedCredentials(_))
        ));
        assert!(matches!(
            GuardedUrl::new("ftp://mail.contoso.test/", lab),
            Err(UrlRefused::Scheme(_))
        ));
        assert!(matches!(
            GuardedUrl::new("not a url", lab),
            Err(UrlRefused::Malformed { .. })
        ));
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_point_at_metadata() {
        let r = GuardedResolver::with_overrides(HashMap::from([
            (
                "evil.test".to_string(),
                vec!["169.254.169.254".parse().unwrap()],
            ),
            ("good.test".to_string(), vec!["127.0.0.1".parse().unwrap()]),
        ]));
        assert!(r.lookup("evil.test", 443).await.is_err());
        assert_eq!(r.lookup("good.test", 443).await.unwrap()[0].port(), 443);
    }
}
