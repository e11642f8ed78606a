//! The "magic wand": find an organisation's EWS URL with Autodiscover, or fall back to
//! `https://mail.<domain>/EWS/Exchange.asmx`. It only proposes; saving is up to the admin.

use crate::engine::Engine;
use crate::org_client::{discovery_summary, exchange_credentials};
use impersync_exchange::autodiscover::discover;
use impersync_exchange::transport::Transport;
use impersync_exchange::{AccountName, Credentials, GuardedUrl, TlsPolicy, UrlPolicy};
use impersync_store::{AccessType, EmailCredentials, OrgId, Principal, StoreError};
use serde::Serialize;

/// Exchange Online's EWS endpoint, for Microsoft 365 organisations.
pub const EXCHANGE_ONLINE_EWS_URL: &str = "https://outlook.office365.com/EWS/Exchange.asmx";

/// Where a generated EWS URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EwsUrlSource {
    /// Autodiscover found it.
    Autodiscover,
    /// Autodiscover did not; this is the usual URL for the domain.
    Fallback,
}

/// A proposed EWS URL, where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedEwsUrl {
    /// The URL.
    pub ews_url: String,
    /// Where it came from.
    pub source: EwsUrlSource,
    /// Why: what Autodiscover found, or why it was not used.
    pub reason: String,
}

/// Why no URL could be proposed.
#[derive(Debug, thiserror::Error)]
pub enum EwsUrlError {
    /// The organisation has no domain to build a URL from.
    #[error("the organisation has no domain; add its email domain first")]
    NoDomain,
    /// The store failed (or the organisation is not visible to the caller).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Engine {
    /// Proposes the organisation's EWS URL: Autodiscover for the service account's address
    /// (or `<user>@<first domain>` for a `DOMAIN\user` logon) first, else
    /// `https://mail.<first domain>/EWS/Exchange.asmx`. Nothing is saved.
    pub async fn generate_ews_url(
        &self,
        principal: &Principal,
        org: OrgId,
    ) -> Result<GeneratedEwsUrl, EwsUrlError> {
        let scope = self.store().org(principal, org).await?;
        let domain = scope
            .get()
            .await?
            .domains
            .into_iter()
            .next()
            .ok_or(EwsUrlError::NoDomain)?;
        let fallback = |reason: String| GeneratedEwsUrl {
            ews_url: format!("https://mail.{domain}/EWS/Exchange.asmx"),
            source: EwsUrlSource::Fallback,
            reason,
        };
        let settings = match scope.email_config().credentials().await {
            Ok(Some(settings)) => settings,
            Ok(None) => {
                return Ok(fallback(
                    "Autodiscover not tried: the organisation has no email configuration with service-account credentials yet".into(),
                ));
            }
            Err(e) => return Ok(fallback(format!("Autodiscover not tried: {e}"))),
        };
        let (credentials, email) = match autodiscover_login(&settings, &domain) {
            Ok(found) => found,
            Err(AutodiscoverLogin::Microsoft365) => {
                return Ok(GeneratedEwsUrl {
                    ews_url: EXCHANGE_ONLINE_EWS_URL.into(),
                    source: EwsUrlSource::Fallback,
                    reason: "Microsoft 365 organisations use Exchange Online's EWS endpoint".into(),
                });
            }
            Err(AutodiscoverLogin::Missing(why)) => {
                return Ok(fallback(format!("Autodiscover not tried: {why}")));
            }
        };
        let tls: TlsPolicy = match settings.tls_policy.parse() {
            Ok(tls) => tls,
            Err(e) => return Ok(fallback(format!("Autodiscover not tried: {e}"))),
        };
        let policy = UrlPolicy {
            allow_insecure_http: settings.lab,
        };
        let transport = match Transport::new(credentials, self.network().transport(tls)) {
            Ok(t) => t,
            Err(e) => return Ok(fallback(format!("Autodiscover not tried: {e}"))),
        };
        let discovery = discover(&transport, &self.network().autodiscover(&email, policy)).await;
        Ok(match discovery.ews_url.as_deref() {
            Some(found) => match GuardedUrl::new(found, policy) {
                Ok(url) => GeneratedEwsUrl {
                    ews_url: url.to_string(),
                    source: EwsUrlSource::Autodiscover,
                    reason: format!("Autodiscover for {email} found it"),
                },
                Err(e) => fallback(format!(
                    "Autodiscover for {email} returned {found}, which is refused: {e}"
                )),
            },
            None => fallback(format!(
                "Autodiscover for {email} found no EWS URL: {}",
                discovery_summary(&discovery)
            )),
        })
    }
}

enum AutodiscoverLogin {
    Microsoft365,
    Missing(String),
}

/// The credentials and the address to run Autodiscover with.
fn autodiscover_login(
    settings: &EmailCredentials,
    domain: &str,
) -> Result<(Credentials, String), AutodiscoverLogin> {
    let AccessType::ExchangeImpersonation {
        logon,
        auth,
        password,
    } = &settings.access
    else {
        return Err(AutodiscoverLogin::Microsoft365);
    };
    let (credentials, account) = exchange_credentials(logon, *auth, password)
        .map_err(|e| AutodiscoverLogin::Missing(e.to_string()))?;
    let email = match account {
        AccountName::Upn(upn) => upn,
        AccountName::DownLevel { user, .. } => format!("{user}@{domain}"),
    };
    Ok((credentials, email))
}
