//! An OAuth 2.0 authorization server for the Exchange simulator.
//!
//! It implements the authorization-code grant with mandatory PKCE (S256),
//! refresh-token rotation and the client-credentials grant (RFC 6749,
//! RFC 7636), with an OpenID Connect ID token when the scope has `openid`. Everything lives in one [`OAuthServer`] value: there is no
//! global state. Mount [`OAuthServer::router`] under `/oauth2` and check
//! bearer tokens on other routes with [`OAuthServer::validate_bearer`].

mod authorize;
mod clients;
mod crypto;
mod error;
mod html;
mod id_token;
mod params;
mod pkce;
mod responses;
mod server;
mod token_endpoint;
mod tokens;

#[cfg(test)]
mod tests;

pub use clients::OAuthClient;
pub use server::{OAuthServer, PasswordCheck};
