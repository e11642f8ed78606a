//! The interactive sign-in of an organisation's Microsoft 365 service account: the
//! authorization-code grant with PKCE. A started sign-in is kept in memory, bound to the
//! organisation and the admin who started it, for a few minutes, and can be finished once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use impersync_exchange::Secret;
use impersync_exchange::oauth::{OAuthApp, Pkce, random_state};
use impersync_exchange::transport::TransportConfig;
use impersync_store::{AdminId, OrgId, OrgStore, SecretString, Store, StoreError};

use super::M365Options;
use super::app::m365_app;
use super::error::M365Error;
use super::tokens::M365Tokens;

/// How long a started sign-in can be finished.
pub const SIGN_IN_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The most sign-ins in progress at once, over all organisations.
const MAX_PENDING: usize = 1000;

/// A sign-in waiting for its callback.
#[derive(Debug)]
struct Pending {
    org: OrgId,
    admin: AdminId,
    app: OAuthApp,
    verifier: Secret,
    expires: Instant,
}

/// A started sign-in: where to send the browser.
#[derive(Debug, Clone)]
pub struct StartedSignIn {
    /// The authority's authorization URL, with `state` and the PKCE challenge.
    pub authorize_url: String,
}

/// A finished sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The organisation.
    pub org: OrgId,
    /// The account that signed in.
    pub account: String,
}

/// The sign-ins in progress.
#[derive(Debug)]
pub struct SignIns {
    store: Store,
    tokens: Arc<M365Tokens>,
    transport: TransportConfig,
    lifetime: Duration,
    pending: Mutex<HashMap<String, Pending>>,
}

impl SignIns {
    /// Sign-ins storing their refresh tokens in `store` and their first access token in
    /// `tokens`, reaching the authority through `transport`.
    pub fn new(
        store: Store,
        tokens: Arc<M365Tokens>,
        transport: TransportConfig,
        options: &M365Options,
    ) -> Self {
        Self {
            store,
            tokens,
            transport,
            lifetime: options.sign_in_lifetime,
            pending: Mutex::new(HashMap::new()),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a sign-in for the organisation of `org`, on behalf of the admin acting there.
    pub async fn start(&self, org: &OrgStore<'_>) -> Result<StartedSignIn, M365Error> {
        let admin = org
            .principal()
            .admin_id()
            .ok_or(StoreError::Forbidden("only an admin can sign in"))?;
        let settings = org
            .email_config()
            .credentials()
            .await?
            .ok_or(M365Error::NotM365)?;
        let app = m365_app(&settings)?;
        let pkce = Pkce::generate();
        let state = random_state();
        let authorize_url = app.authorize_url(&state, &pkce);
        let now = Instant::now();
        let mut pending = self.pending();
        pending.retain(|_, p| p.expires > now);
        if pending.len() >= MAX_PENDING {
            return Err(M365Error::TooManySignIns);
        }
        pending.insert(
            state,
            Pending {
                org: org.id(),
                admin,
                app,
                verifier: pkce.verifier().clone(),
                expires: now + self.lifetime,
            },
        );
        Ok(StartedSignIn { authorize_url })
    }

    /// Takes the sign-in `state` names (once), if it has not expired.
    fn take(&self, state: &str) -> Result<Pending, M365Error> {
        let pending = self
            .pending()
            .remove(state)
            .ok_or(M365Error::UnknownState)?;
        if pending.expires <= Instant::now() {
            return Err(M365Error::UnknownState);
        }
        Ok(pending)
    }

    /// Ends the sign-in `state` names with the authority's refusal (`error=access_denied`, …),
    /// recording it as the organisation's last error.
    pub fn refused(&self, state: &str, error: &str, description: Option<&str>) -> SignInFailure {
        let pending = match self.take(state) {
            Ok(pending) => pending,
            Err(error) => return SignInFailure { org: None, error },
        };
        let denied = M365Error::Denied {
            error: error.to_string(),
            description: description.map(str::to_string),
        };
        self.tokens.sign_in_failed(pending.org, &denied);
        SignInFailure {
            org: Some(pending.org),
            error: denied,
        }
    }

    /// Finishes the sign-in `state` names: redeems `code` with the PKCE verifier, stores the
    /// refresh token (encrypted) and the account that signed in, and caches the access token.
    /// Returns the organisation with the account, or the organisation with why it failed.
    pub async fn finish(&self, state: &str, code: &str) -> Result<SignedIn, SignInFailure> {
        let pending = self.take(state).map_err(|e| SignInFailure {
            org: None,
            error: e,
        })?;
        let org = pending.org;
        match self.redeem(pending, code).await {
            Ok(account) => Ok(SignedIn { org, account }),
            Err(error) => {
                self.tokens.sign_in_failed(org, &error);
                Err(SignInFailure {
                    org: Some(org),
                    error,
                })
            }
        }
    }

    async fn redeem(&self, pending: Pending, code: &str) -> Result<String, M365Error> {
        let admin = self
            .store
            .auth()
            .admin(pending.admin)
            .await?
            .ok_or(M365Error::UnknownState)?;
        let principal = admin.principal();
        let org = self.store.org(&principal, pending.org).await?;
        let configs = org.email_config();
        let settings = configs
            .credentials()
            .await?
            .ok_or(M365Error::ConfigChanged)?;
        let current = m365_app(&settings).map_err(|_| M365Error::ConfigChanged)?;
        if !same_app(&current, &pending.app) {
            return Err(M365Error::ConfigChanged);
        }
        let grant = current
            .redeem_code(code, &pending.verifier, &self.transport)
            .await?;
        let account = grant
            .signed_in_account
            .clone()
            .ok_or(M365Error::NoAccount)?;
        let refresh = grant
            .refresh_token
            .as_ref()
            .ok_or(M365Error::NoRefreshToken)?;
        configs
            .set_refresh_token(&SecretString::new(refresh.expose()), &account)
            .await?;
        self.tokens.signed_in(pending.org, grant);
        Ok(account)
    }
}

/// Why a sign-in could not be finished, and for which organisation if the `state` was known.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SignInFailure {
    /// The organisation, if the `state` named one.
    pub org: Option<OrgId>,
    /// What went wrong.
    #[source]
    pub error: M365Error,
}

/// Whether two apps are the same registration at the same endpoints.
fn same_app(a: &OAuthApp, b: &OAuthApp) -> bool {
    a.endpoints == b.endpoints
        && a.client_id == b.client_id
        && a.redirect_uri == b.redirect_uri
        && a.client_secret == b.client_secret
}
