//! The server's shared state and options.

use std::sync::Arc;
use std::time::Duration;

use argon2::Params;
use impersync_engine::m365::M365Auth;
use impersync_engine::{Engine, Network};
use impersync_store::{PasswordHash, Store, StoreError};

use crate::auth::rate_limit::LoginLimiter;
use crate::auth::session::Sessions;
use crate::auth::{password, random_token};

/// The username of the operator account created on first start.
pub const BOOTSTRAP_USERNAME: &str = "admin";

/// How the admin server behaves.
#[derive(Debug, Clone)]
pub struct AdminOptions {
    /// Add `Secure` to the session cookie (on when served over HTTPS).
    pub secure_cookies: bool,
    /// argon2id parameters for new password hashes.
    pub argon2_params: Params,
    /// How long a session lives after its last use.
    pub session_ttl: Duration,
    /// Failed logins allowed per username and IP address within `login_window`.
    pub login_max_failures: usize,
    /// The rate limit's window.
    pub login_window: Duration,
    /// The largest user-import body, in bytes.
    pub import_body_limit: usize,
    /// How the engine reaches Exchange (name overrides, extra CAs, Autodiscover ports).
    pub network: Network,
    /// The share of an organisation's mailboxes (percent) that may fail (need attention or
    /// be backed off) before sync monitoring raises its alert.
    pub sync_alert_threshold_percent: u8,
}

impl Default for AdminOptions {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            argon2_params: Params::default(),
            session_ttl: Duration::from_secs(8 * 3600),
            login_max_failures: 5,
            login_window: Duration::from_secs(60),
            import_body_limit: 5 * 1024 * 1024,
            network: Network::default(),
            sync_alert_threshold_percent: 20,
        }
    }
}

/// The state every handler shares. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AdminState {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) engine: Engine,
    pub(crate) options: AdminOptions,
    pub(crate) sessions: Sessions,
    pub(crate) limiter: LoginLimiter,
    /// A hash to verify against when the username is unknown, so timing tells nothing.
    pub(crate) dummy_hash: Option<PasswordHash>,
}

impl AdminState {
    /// The state for a store and options, with an engine over the same store.
    pub fn new(store: Store, options: AdminOptions) -> Self {
        let engine = Engine::new(store.clone(), options.network.clone());
        Self::with_engine(engine, options)
    }

    /// The state around an engine (which holds the store).
    pub fn with_engine(engine: Engine, options: AdminOptions) -> Self {
        let store = engine.store().clone();
        let dummy_hash = password::hash(&random_token(), &options.argon2_params).ok();
        Self {
            inner: Arc::new(Inner {
                sessions: Sessions::new(options.session_ttl),
                limiter: LoginLimiter::new(options.login_max_failures, options.login_window),
                store,
                engine,
                options,
                dummy_hash,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The engine (check runs, the magic wand, Microsoft 365 tokens).
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Microsoft 365 sign-ins and the per-organisation access-token cache.
    pub fn m365(&self) -> &M365Auth {
        self.inner.engine.m365()
    }

    /// The options.
    pub fn options(&self) -> &AdminOptions {
        &self.inner.options
    }

    /// Hashes a password with this server's argon2id parameters.
    pub fn hash_password(&self, password: &str) -> Result<PasswordHash, StoreError> {
        password::hash(password, &self.inner.options.argon2_params).map_err(StoreError::Invalid)
    }

    /// On first start, creates the operator account `admin` when no admin account exists.
    /// It uses `password` (from `IMPERSYNC_ADMIN_PASSWORD`) or generates one; a generated
    /// password is returned so that the caller can print it once. Returns `None` when
    /// accounts exist already or the password was given.
    pub async fn bootstrap_operator(
        &self,
        password: Option<String>,
    ) -> Result<Option<String>, StoreError> {
        let auth = self.inner.store.auth();
        if auth.admin_count().await? > 0 {
            return Ok(None);
        }
        let (password, generated) = match password.filter(|p| !p.is_empty()) {
            Some(p) => (p, false),
            None => (random_token(), true),
        };
        let hash = self.hash_password(&password)?;
        match auth.bootstrap_operator(BOOTSTRAP_USERNAME, hash).await {
            Ok(_) => Ok(generated.then_some(password)),
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
