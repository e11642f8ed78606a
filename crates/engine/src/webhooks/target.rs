//! Where a webhook may point: https only and no private, loopback or link-local target,
//! unless the organisation is a lab (then plain http and local targets are allowed; the
//! URL guard's link-local and metadata refusal always holds).

use impersync_exchange::{GuardedResolver, GuardedUrl, UrlPolicy, UrlRefused};
use std::net::{IpAddr, SocketAddr};

/// Why a webhook URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlRefused {
    /// Plain http outside a lab.
    #[error(
        "`{0}` uses plain http://, which would send the feed unencrypted; use https:// (plain http is allowed only for a lab organisation)"
    )]
    InsecureHttp(String),
    /// A private, loopback or local target outside a lab.
    #[error(
        "`{0}` points at a private, loopback or local address; use a public https:// receiver (local targets are allowed only for a lab organisation)"
    )]
    Private(String),
    /// Refused by the URL guard (malformed, other scheme, credentials, link-local).
    #[error(transparent)]
    Guard(UrlRefused),
}

/// Checks a webhook URL for an organisation that is (`lab`) or is not a lab.
pub fn webhook_url(raw: &str, lab: bool) -> Result<GuardedUrl, WebhookUrlRefused> {
    let policy = UrlPolicy {
        allow_insecure_http: lab,
    };
    let url = GuardedUrl::new(raw, policy).map_err(|e| match e {
        UrlRefused::InsecureHttp(url) => WebhookUrlRefused::InsecureHttp(url),
        other => WebhookUrlRefused::Guard(other),
    })?;
    if !lab {
        let host = url.host().trim_start_matches('[').trim_end_matches(']');
        let host_lower = host.to_ascii_lowercase();
        let local_name = host_lower == "localhost" || host_lower.ends_with(".localhost");
        let private_ip = host.parse::<IpAddr>().is_ok_and(is_private);
        if local_name || private_ip {
            return Err(WebhookUrlRefused::Private(raw.trim().to_string()));
        }
    }
    Ok(url)
}

/// Private, loopback, unspecified, shared, link-local and unique-local addresses.
pub(crate) fn is_private(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_link_local()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

/// Name resolution for webhook requests: the network's overrides and the URL guard, and
/// outside labs no private answers.
#[derive(Debug, Clone)]
pub(crate) struct TargetResolver {
    pub(crate) inner: GuardedResolver,
    pub(crate) allow_private: bool,
}

impl TargetResolver {
    async fn lookup(&self, host: &str) -> Result<Vec<SocketAddr>, std::io::Error> {
        let addrs = self.inner.lookup(host, 0).await?;
        if !self.allow_private
            && let Some(bad) = addrs.iter().find(|a| is_private(a.ip()))
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{host} resolves to {}, a private or local address; webhooks of organisations that are not labs may not go there",
                    bad.ip()
                ),
            ));
        }
        Ok(addrs)
    }
}

impl reqwest::dns::Resolve for TargetResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = this.lookup(&host).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn outside_a_lab_only_public_https_passes() {
        assert!(webhook_url("https://hooks.example.com/in", false).is_ok());
        for (raw, lab) in [
            ("http://hooks.example.com/in", false),
            ("https://127.0.0.1:8443/in", false),
            ("https://10.1.2.3/in", false),
            ("https://192.168.0.9/in", false),
            ("https://[::1]/in", false),
            ("https://[fd12::1]/in", false),
            ("https://localhost/in", false),
            ("https://169.254.169.254/latest", true),
            ("ftp://hooks.example.com/", true),
            ("not a url", true),
        ] {
            assert!(webhook_url(raw, lab).is_err(), "{raw} (lab {lab})");
        }
        assert!(webhook_url("http://127.0.0.1:9000/in", true).is_ok());
        let text = webhook_url("http://hooks.example.com/in", false)
            .unwrap_err()
            .to_string();
        assert!(text.contains("https://") && text.contains("lab"), "{text}");
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused_outside_labs() {
        let overrides =
            HashMap::from([("hooks.test".to_string(), vec!["10.0.0.5".parse().unwrap()])]);
        let inner = GuardedResolver::with_overrides(overrides);
        let strict = TargetResolver {
            inner: inner.clone(),
            allow_private: false,
        };
        let err = strict.lookup("hooks.test").await.unwrap_err();
        assert!(err.to_string().contains("10.0.0.5"), "{err}");
        let lab = TargetResolver {
            inner,
            allow_private: true,
        };
        assert_eq!(lab.lookup("hooks.test").await.unwrap().len(), 1);
    }
}
