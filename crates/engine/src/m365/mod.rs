//! Microsoft 365 OAuth for an organisation's service account (`M365OAuthImpersonation`):
//! the interactive sign-in that stores its refresh token ([`SignIns`]), and the access-token
//! cache that refreshes before expiry ([`M365Tokens`]).

mod app;
mod error;
mod sign_in;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use impersync_exchange::TlsPolicy;
use impersync_exchange::transport::TransportConfig;
use impersync_store::Store;

pub use app::m365_app;
pub use error::M365Error;
pub use sign_in::{SIGN_IN_LIFETIME, SignInFailure, SignIns, SignedIn, StartedSignIn};
pub use tokens::{M365Tokens, REFRESH_MARGIN, TokenStatus};

/// How the sign-ins and the token cache behave.
#[derive(Debug, Clone)]
pub struct M365Options {
    /// How long a started sign-in can be finished.
    pub sign_in_lifetime: Duration,
    /// Refresh an access token when less than this remains.
    pub refresh_margin: Duration,
}

impl Default for M365Options {
    fn default() -> Self {
        Self {
            sign_in_lifetime: SIGN_IN_LIFETIME,
            refresh_margin: REFRESH_MARGIN,
        }
    }
}

/// Microsoft 365 OAuth for every organisation: the token cache and the sign-ins in progress.
#[derive(Debug, Clone)]
pub struct M365Auth {
    /// The per-organisation access-token cache.
    pub tokens: Arc<M365Tokens>,
    /// The sign-ins in progress.
    pub sign_ins: Arc<SignIns>,
}

impl M365Auth {
    /// Both halves over `store`, reaching the authority through `transport` (whose TLS
    /// policy is replaced by `verify`: the authority is never pinned or untrusted).
    pub fn new(store: Store, transport: TransportConfig, options: &M365Options) -> Self {
        let transport = TransportConfig {
            tls: TlsPolicy::Verify,
            ..transport
        };
        let tokens = Arc::new(M365Tokens::new(store.clone(), transport.clone(), options));
        let sign_ins = Arc::new(SignIns::new(store, Arc::clone(&tokens), transport, options));
        Self { tokens, sign_ins }
    }
}
