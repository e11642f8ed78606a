//! The per-organisation access-token cache. An access token is refreshed with the stored
//! refresh token before it expires; concurrent callers for one organisation share one
//! refresh; a rotated refresh token is stored at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use impersync_exchange::Secret;
use impersync_exchange::oauth::TokenGrant;
use impersync_exchange::transport::TransportConfig;
use impersync_store::{AccessType, OrgId, Principal, SecretString, Store, now_millis};
use serde::Serialize;

use super::M365Options;
use super::app::m365_app;
use super::error::M365Error;

/// Refresh when less than this remains of an access token's life.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long an access token is assumed to last when the server does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// An access token and when it expires.
#[derive(Debug, Clone)]
struct CachedAccess {
    token: Secret,
    expires: Instant,
    expires_at_ms: i64,
}

/// What the cache knows about one organisation's tokens.
#[derive(Debug, Default)]
struct OrgState {
    access: Option<CachedAccess>,
    last_refresh_at: Option<i64>,
    last_error: Option<String>,
}

/// One organisation's entry: the refresh lock (single flight) and the state.
#[derive(Debug, Default)]
struct OrgEntry {
    refreshing: tokio::sync::Mutex<()>,
    state: Mutex<OrgState>,
}

impl OrgEntry {
    fn state(&self) -> std::sync::MutexGuard<'_, OrgState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The token state of one organisation, as the API shows it (never a token).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TokenStatus {
    /// When the cached access token expires (Unix milliseconds), if one is cached.
    pub access_token_expires_at: Option<i64>,
    /// When a token was last obtained (Unix milliseconds).
    pub last_refresh_at: Option<i64>,
    /// The last failure, if the last attempt failed.
    pub last_error: Option<String>,
}

/// Access tokens for every `M365OAuthImpersonation` organisation.
#[derive(Debug)]
pub struct M365Tokens {
    store: Store,
    transport: TransportConfig,
    margin: Duration,
    orgs: Mutex<HashMap<OrgId, Arc<OrgEntry>>>,
}

impl M365Tokens {
    /// A cache reading configurations from `store`, reaching the authority through `transport`.
    pub fn new(store: Store, transport: TransportConfig, options: &M365Options) -> Self {
        Self {
            store,
            transport,
            margin: options.refresh_margin,
            orgs: Mutex::new(HashMap::new()),
        }
    }

    fn entry(&self, org: OrgId) -> Arc<OrgEntry> {
        let mut orgs = self.orgs.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(orgs.entry(org).or_default())
    }

    /// The cached token if more than the margin remains.
    fn fresh(&self, entry: &OrgEntry) -> Option<Secret> {
        let state = entry.state();
        let access = state.access.as_ref()?;
        (access.expires.saturating_duration_since(Instant::now()) > self.margin)
            .then(|| access.token.clone())
    }

    /// An access token for `org`'s service account: the cached one while more than the
    /// margin remains, else a new one from the stored refresh token (which the answer may
    /// rotate). `invalid_grant` gives [`M365Error::SignInAgain`].
    pub async fn access_token(&self, org: OrgId) -> Result<Secret, M365Error> {
        let entry = self.entry(org);
        if let Some(token) = self.fresh(&entry) {
            return Ok(token);
        }
        let _flight = entry.refreshing.lock().await;
        if let Some(token) = self.fresh(&entry) {
            return Ok(token);
        }
        match self.refresh(org).await {
            Ok(grant) => Ok(self.remember(&entry, grant)),
            Err(e) => {
                let mut state = entry.state();
                state.last_error = Some(e.to_string());
                if e.needs_sign_in() {
                    state.access = None;
                }
                Err(e)
            }
        }
    }

    /// Refreshes with the stored refresh token and stores a rotated one.
    async fn refresh(&self, org: OrgId) -> Result<TokenGrant, M365Error> {
        let principal = Principal::system("engine");
        let org_store = self.store.org(&principal, org).await?;
        let configs = org_store.email_config();
        let settings = configs.credentials().await?.ok_or(M365Error::NotM365)?;
        let app = m365_app(&settings)?;
        let AccessType::M365OAuthImpersonation { refresh_token, .. } = &settings.access else {
            return Err(M365Error::NotM365);
        };
        let stored = refresh_token.clone().ok_or(M365Error::NotSignedIn)?;
        let grant = app
            .refresh(&Secret::new(stored.expose()), &self.transport)
            .await?;
        if let Some(rotated) = &grant.refresh_token
            && rotated.expose() != stored.expose()
        {
            let rotated = SecretString::new(rotated.expose());
            if !configs.rotate_refresh_token(&stored, &rotated).await? {
                tracing::info!(%org, "a new sign-in replaced the refresh token during a refresh");
            }
        }
        Ok(grant)
    }

    /// Caches the access token of `grant` and returns it.
    fn remember(&self, entry: &OrgEntry, grant: TokenGrant) -> Secret {
        let lifetime = grant.expires_in.unwrap_or(DEFAULT_LIFETIME);
        let now_ms = now_millis();
        let lifetime_ms = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
        let mut state = entry.state();
        state.access = Some(CachedAccess {
            token: grant.access_token.clone(),
            expires: Instant::now() + lifetime,
            expires_at_ms: now_ms.saturating_add(lifetime_ms),
        });
        state.last_refresh_at = Some(now_ms);
        state.last_error = None;
        grant.access_token
    }

    /// Caches the access token a sign-in just obtained, replacing whatever was cached.
    pub(crate) fn signed_in(&self, org: OrgId, grant: TokenGrant) {
        let entry = self.entry(org);
        self.remember(&entry, grant);
    }

    /// Records a failed sign-in as the organisation's last error.
    pub(crate) fn sign_in_failed(&self, org: OrgId, error: &M365Error) {
        self.entry(org).state().last_error = Some(error.to_string());
    }

    /// Forgets `org`'s cached access token (e.g. after its configuration changed).
    pub fn forget(&self, org: OrgId) {
        self.entry(org).state().access = None;
    }

    /// What is known about `org`'s tokens, without any token.
    pub fn status(&self, org: OrgId) -> TokenStatus {
        let entry = self.entry(org);
        let state = entry.state();
        TokenStatus {
            access_token_expires_at: state.access.as_ref().map(|a| a.expires_at_ms),
            last_refresh_at: state.last_refresh_at,
            last_error: state.last_error.clone(),
        }
    }
}
