//! The authorization-code grant with PKCE and the refresh-token grant, for a service account
//! that signs in interactively (Microsoft 365 delegated EWS access).

use super::endpoints::Endpoints;
use super::error::OAuthError;
use super::pkce::Pkce;
use super::token_request::{TokenGrant, post_form};
use crate::secret::Secret;
use crate::transport::TransportConfig;

/// An app registration at an authority, as one sign-in uses it.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    /// The authority's endpoints.
    pub endpoints: Endpoints,
    /// The app's `client_id`.
    pub client_id: String,
    /// The app's `client_secret`, for a confidential client.
    pub client_secret: Option<Secret>,
    /// The redirect URI registered for the app.
    pub redirect_uri: String,
    /// The scope asked for, e.g. [`super::EWS_DELEGATED_SCOPE`].
    pub scope: String,
}

impl OAuthApp {
    /// The URL to send the browser to: `response_type=code` with `state` and the PKCE
    /// challenge.
    pub fn authorize_url(&self, state: &str, pkce: &Pkce) -> String {
        let mut url = url::Url::parse(self.endpoints.authorize_url.as_str())
            .expect("a guarded URL is a valid URL");
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", &self.scope)
            .append_pair("state", state)
            .append_pair("code_challenge", pkce.challenge())
            .append_pair("code_challenge_method", Pkce::METHOD);
        url.into()
    }

    /// Exchanges an authorization `code` for tokens, proving the sign-in with `verifier`.
    pub async fn redeem_code(
        &self,
        code: &str,
        verifier: &Secret,
        transport: &TransportConfig,
    ) -> Result<TokenGrant, OAuthError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", verifier.expose()),
        ];
        self.post(&form, transport).await
    }

    /// Gets a new access token with `refresh_token`; the answer may carry a rotated refresh
    /// token, which replaces the old one.
    pub async fn refresh(
        &self,
        refresh_token: &Secret,
        transport: &TransportConfig,
    ) -> Result<TokenGrant, OAuthError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        self.post(&form, transport).await
    }

    /// POSTs `grant` with the client's id, secret and scope.
    async fn post(
        &self,
        grant: &[(&str, &str)],
        transport: &TransportConfig,
    ) -> Result<TokenGrant, OAuthError> {
        let mut form = grant.to_vec();
        form.push(("client_id", &self.client_id));
        form.push(("scope", &self.scope));
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        post_form(&self.endpoints.token_url, &form, transport).await
    }
}
