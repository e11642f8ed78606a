//! The authorization server: its clients, its tokens and its routes.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};

use super::clients::{ClientRegistry, OAuthClient};
use super::tokens::TokenStore;
use super::{authorize, token_endpoint};

/// Checks a user's password; returns the canonical user principal name if valid.
pub type PasswordCheck = Arc<dyn Fn(&str, &str) -> Option<String> + Send + Sync>;

/// An OAuth 2.0 authorization server holding its clients, codes and tokens.
pub struct OAuthServer {
    clients: ClientRegistry,
    tokens: Mutex<TokenStore>,
    access_token_lifetime: Duration,
    check: PasswordCheck,
    id_token_key: [u8; 32],
}

impl OAuthServer {
    /// A server for `clients` whose access tokens last `access_token_lifetime`
    /// and whose sign-in form asks `check` about passwords.
    pub fn new(
        clients: Vec<OAuthClient>,
        access_token_lifetime: Duration,
        check: PasswordCheck,
    ) -> Arc<Self> {
        Arc::new(Self {
            clients: ClientRegistry::new(clients),
            tokens: Mutex::new(TokenStore::default()),
            access_token_lifetime,
            check,
            id_token_key: rand::random(),
        })
    }

    /// The endpoints `GET`/`POST /authorize` and `POST /token`, to be nested
    /// by the caller (for example at `/oauth2`).
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(
                "/authorize",
                get(authorize::show_form).post(authorize::sign_in),
            )
            .route("/token", post(token_endpoint::token))
            .with_state(Arc::clone(self))
    }

    /// The UPN a bearer access token stands for, if the token is valid and
    /// unexpired. `token` is the token itself, without the `Bearer ` prefix.
    pub fn validate_bearer(&self, token: &str) -> Option<String> {
        self.tokens().principal(Instant::now(), token)
    }

    /// Replaces the client list. Tokens already issued stay valid until they
    /// expire, but a removed client can no longer redeem or refresh them.
    pub fn set_clients(&self, clients: Vec<OAuthClient>) {
        self.clients.replace(clients);
    }

    /// The registered clients.
    pub(crate) fn clients(&self) -> &ClientRegistry {
        &self.clients
    }

    /// Exclusive access to the codes and tokens.
    pub(crate) fn tokens(&self) -> MutexGuard<'_, TokenStore> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long a new access token lasts.
    pub(crate) fn access_token_lifetime(&self) -> Duration {
        self.access_token_lifetime
    }

    /// The key ID tokens are signed with.
    pub(crate) fn id_token_key(&self) -> &[u8; 32] {
        &self.id_token_key
    }

    /// The UPN of the user `username` if `password` is theirs.
    pub(crate) fn check_password(&self, username: &str, password: &str) -> Option<String> {
        (self.check)(username, password)
    }
}

impl fmt::Debug for OAuthServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthServer")
            .field("access_token_lifetime", &self.access_token_lifetime)
            .finish_non_exhaustive()
    }
}
