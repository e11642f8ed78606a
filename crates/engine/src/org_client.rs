//! An Exchange client for an organisation, built from its stored email configuration.
//!
//! [`ClientPlan::new`] checks the configuration at once (so a request can be refused with a
//! clear message); [`ClientPlan::connect`] then finds the EWS URL (Autodiscover, if
//! configured) and builds the client.

use crate::network::Network;
use impersync_exchange::autodiscover::{Discovery, discover};
use impersync_exchange::transport::Transport;
use impersync_exchange::{
    AccountName, BadAccountName, Credentials, ExchangeClient, ExchangeConfig, ExchangeError,
    Governor, GuardedUrl, IdType, Secret, TlsPolicy, TlsPolicyError, UrlPolicy, UrlRefused,
};
use impersync_store::{AccessType, EmailCredentials, ExchangeAuth, SecretString};
use std::sync::Arc;

/// Why no client could be built for an organisation. Each names what is missing.
#[derive(Debug, thiserror::Error)]
pub enum OrgClientError {
    /// The organisation has no email configuration.
    #[error(
        "the organisation has no email configuration; save one (access type, service account, EWS URL) first"
    )]
    NoConfiguration,
    /// The service account's password is not set.
    #[error(
        "the email configuration has no service-account password; set the password of {logon} first"
    )]
    NoPassword {
        /// The logon whose password is missing.
        logon: String,
    },
    /// The Microsoft 365 service account has no access token yet.
    #[error(
        "the Microsoft 365 service account has not signed in yet: sign in with Microsoft 365 in the email configuration first"
    )]
    NotSignedIn,
    /// The logon is not an account name.
    #[error("the email configuration's logon is not usable: {0}")]
    Logon(#[from] BadAccountName),
    /// The TLS policy text is not a policy.
    #[error("the email configuration's TLS policy is not usable: {0}")]
    TlsPolicy(#[from] TlsPolicyError),
    /// The id type is not one EWS knows.
    #[error("the email configuration's id type is not usable: {0}")]
    IdType(String),
    /// The EWS URL is refused by the URL guard.
    #[error("the EWS URL is refused: {0}")]
    Url(#[from] UrlRefused),
    /// Neither an EWS URL nor Autodiscover is configured.
    #[error("the email configuration has no EWS URL and Autodiscover is off; give the EWS URL")]
    NoEwsUrl,
    /// Autodiscover is on but there is no address to run it for.
    #[error(
        "Autodiscover needs an address: give the service account as user@domain, or add a user first"
    )]
    NoAutodiscoverAddress,
    /// Autodiscover found no usable EWS URL.
    #[error("Autodiscover found no EWS URL for {email}: {summary}")]
    Autodiscover {
        /// The address Autodiscover ran for.
        email: String,
        /// What the candidates answered.
        summary: String,
    },
    /// The client could not be set up (TLS configuration, ...).
    #[error("the Exchange client cannot be set up: {0}")]
    Client(#[from] ExchangeError),
}

/// Where the EWS URL comes from.
#[derive(Debug, Clone)]
enum UrlSource {
    Given(GuardedUrl),
    Autodiscover(String),
}

/// A checked email configuration, ready to connect.
#[derive(Debug, Clone)]
pub struct ClientPlan {
    credentials: Credentials,
    tls: TlsPolicy,
    url_policy: UrlPolicy,
    source: UrlSource,
    /// How users are named in the impersonation header.
    pub id_type: IdType,
    /// The distinguished folder an access check binds.
    pub folder: String,
}

impl ClientPlan {
    /// Checks a configuration. `bearer` is the Microsoft 365 service account's access token
    /// (for `M365OAuthImpersonation`); `fallback_address` is used for Autodiscover when the
    /// service account has no address of its own (usually the first user's).
    pub fn new(
        settings: &EmailCredentials,
        bearer: Option<Secret>,
        fallback_address: Option<&str>,
    ) -> Result<Self, OrgClientError> {
        let (credentials, own_address) = match &settings.access {
            AccessType::ExchangeImpersonation {
                logon,
                auth,
                password,
            } => {
                let (credentials, account) = exchange_credentials(logon, *auth, password)?;
                let address = match account {
                    AccountName::Upn(upn) => Some(upn),
                    AccountName::DownLevel { .. } => None,
                };
                (credentials, address)
            }
            AccessType::M365OAuthImpersonation {
                signed_in_account, ..
            } => {
                let token = bearer.ok_or(OrgClientError::NotSignedIn)?;
                (Credentials::Bearer { token }, signed_in_account.clone())
            }
        };
        let tls: TlsPolicy = settings.tls_policy.parse()?;
        let id_type: IdType = settings.id_type.parse().map_err(OrgClientError::IdType)?;
        let url_policy = UrlPolicy {
            allow_insecure_http: settings.lab,
        };
        let source = match settings.ews_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) if !settings.autodiscover => {
                UrlSource::Given(GuardedUrl::new(url, url_policy)?)
            }
            _ if settings.autodiscover => UrlSource::Autodiscover(
                own_address
                    .or_else(|| fallback_address.map(str::to_string))
                    .ok_or(OrgClientError::NoAutodiscoverAddress)?,
            ),
            _ => return Err(OrgClientError::NoEwsUrl),
        };
        Ok(Self {
            credentials,
            tls,
            url_policy,
            source,
            id_type,
            folder: settings
                .folders
                .first()
                .cloned()
                .unwrap_or_else(|| "inbox".into()),
        })
    }

    /// Finds the EWS URL (running Autodiscover if configured) and builds the client, whose
    /// requests go through `governor` (the service account's, see [`Engine::governor`](crate::Engine::governor)).
    pub async fn connect(
        &self,
        network: &Network,
        governor: Governor,
    ) -> Result<Arc<ExchangeClient>, OrgClientError> {
        let transport = network.transport(self.tls.clone());
        let url = match &self.source {
            UrlSource::Given(url) => url.clone(),
            UrlSource::Autodiscover(email) => {
                let t = Transport::new(self.credentials.clone(), transport.clone())?;
                let discovery = discover(&t, &network.autodiscover(email, self.url_policy)).await;
                let found =
                    discovery
                        .ews_url
                        .as_deref()
                        .ok_or_else(|| OrgClientError::Autodiscover {
                            email: email.clone(),
                            summary: discovery_summary(&discovery),
                        })?;
                GuardedUrl::new(found, self.url_policy)?
            }
        };
        let mut config = ExchangeConfig::new(url, self.credentials.clone());
        config.transport = transport;
        Ok(Arc::new(ExchangeClient::with_governor(config, governor)?))
    }
}

/// The credentials of an `ExchangeImpersonation` service account, with its account name.
pub(crate) fn exchange_credentials(
    logon: &str,
    auth: ExchangeAuth,
    password: &Option<SecretString>,
) -> Result<(Credentials, AccountName), OrgClientError> {
    let account: AccountName = logon.parse()?;
    let password = password
        .as_ref()
        .map(|p| Secret::new(p.expose()))
        .ok_or_else(|| OrgClientError::NoPassword {
            logon: logon.to_string(),
        })?;
    let credentials = match auth {
        ExchangeAuth::Basic => Credentials::Basic {
            account: account.clone(),
            password,
        },
        ExchangeAuth::Ntlm => Credentials::Ntlm {
            account: account.clone(),
            password,
        },
    };
    Ok((credentials, account))
}

/// One line per Autodiscover attempt: what was tried and what it concluded.
pub fn discovery_summary(discovery: &Discovery) -> String {
    if discovery.attempts.is_empty() {
        return "no candidate was tried".into();
    }
    discovery
        .attempts
        .iter()
        .map(|a| {
            let why = match (&a.dns, &a.connect) {
                (Some(Err(e)), _) => format!("DNS failed: {e}"),
                (_, Some(Err(e))) => format!("{}: {e}", a.result),
                _ => a.result.clone(),
            };
            format!("{} {}: {why}", a.method, a.target)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(password: Option<&str>) -> EmailCredentials {
        EmailCredentials {
            access: AccessType::ExchangeImpersonation {
                logon: "CONTOSO\\svc".into(),
                auth: ExchangeAuth::Ntlm,
                password: password.map(SecretString::from),
            },
            ews_url: Some("https://mail.contoso.test/EWS/Exchange.asmx".into()),
            autodiscover: false,
            tls_policy: "verify".into(),
            id_type: "SmtpAddress".into(),
            folders: vec!["inbox".into()],
            poll_interval_secs: 300,
            lab: false,
            saved: true,
        }
    }

    fn m365() -> EmailCredentials {
        EmailCredentials {
            access: AccessType::M365OAuthImpersonation {
                authority: "https://login.microsoftonline.com".into(),
                tenant: "contoso.test".into(),
                client_id: "app".into(),
                redirect_url: "https://impersync.contoso.test/oauth/callback".into(),
                client_secret: None,
                refresh_token: Some(SecretString::from("refresh")),
                signed_in_account: Some("svc@contoso.test".into()),
            },
            ..exchange(None)
        }
    }

    fn refused(settings: &EmailCredentials, bearer: Option<Secret>) -> String {
        ClientPlan::new(settings, bearer, None)
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn each_missing_piece_is_named() {
        assert!(ClientPlan::new(&exchange(Some("pw")), None, None).is_ok());
        assert!(refused(&exchange(None), None).contains("password of CONTOSO\\svc"));
        let mut bad = exchange(Some("pw"));
        bad.tls_policy = "trust-me".into();
        assert!(refused(&bad, None).contains("TLS policy"));
        let mut bad = exchange(Some("pw"));
        bad.id_type = "Nickname".into();
        assert!(refused(&bad, None).contains("id type"));
        let mut bad = exchange(Some("pw"));
        bad.ews_url = Some("http://mail.contoso.test/EWS/Exchange.asmx".into());
        assert!(refused(&bad, None).contains("http://"), "not a lab");
        bad.lab = true;
        assert!(
            ClientPlan::new(&bad, None, None).is_ok(),
            "a lab may use http"
        );
        bad.ews_url = None;
        assert!(refused(&bad, None).contains("no EWS URL"));
        bad.autodiscover = true;
        assert!(refused(&bad, None).contains("Autodiscover needs an address"));
        assert!(ClientPlan::new(&bad, None, Some("alice@contoso.test")).is_ok());
    }

    #[test]
    fn microsoft_365_needs_a_token() {
        assert!(refused(&m365(), None).contains("sign in with Microsoft 365"));
        let plan = ClientPlan::new(&m365(), Some(Secret::new("s3cr3t-access")), None).unwrap();
        assert_eq!(plan.credentials.scheme(), "Bearer");
        assert!(!format!("{plan:?}").contains("s3cr3t-access"));
    }
}
