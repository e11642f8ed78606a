//! OAuth 2.0 for the service account, over the same guarded transport as EWS: the
//! client-credentials grant, and the Microsoft identity platform's authorization-code grant
//! with PKCE (S256) and refresh-token rotation for a signed-in service account.

mod client_credentials;
mod delegated;
mod endpoints;
mod error;
mod id_token;
mod pkce;
mod token_request;

pub use client_credentials::{ClientCredentials, client_credentials_token};
pub use delegated::OAuthApp;
pub use endpoints::{EWS_DELEGATED_SCOPE, Endpoints};
pub use error::OAuthError;
pub use id_token::signed_in_account;
pub use pkce::{Pkce, random_state};
pub use token_request::TokenGrant;
