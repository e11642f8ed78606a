//! The token endpoint: the authorization-code, refresh-token and
//! client-credentials grants.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::clients::OAuthClient;
use super::error::TokenError;
use super::id_token;
use super::params::given;
use super::pkce;
use super::responses::no_store;
use super::server::OAuthServer;
use super::tokens::{Issued, RedeemError, Subject};

/// The parameters of a token request (RFC 6749 §4.1.3, §4.4.2, §6).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl TokenResponse {
    /// The response carrying `issued`, which lasts `lifetime` and covers `scope`.
    fn new(issued: Issued, lifetime: Duration, scope: Option<String>) -> Self {
        Self {
            access_token: issued.access_token,
            token_type: "Bearer",
            expires_in: lifetime.as_secs(),
            refresh_token: issued.refresh_token,
            scope,
            id_token: None,
        }
    }

    /// Adds an ID token for `subject` if its granted scope has `openid`.
    fn with_id_token(mut self, server: &OAuthServer, subject: &Subject) -> Self {
        if id_token::requested(subject.scope.as_deref()) {
            let lifetime = server.access_token_lifetime();
            self.id_token = Some(id_token::issue(server.id_token_key(), subject, lifetime));
        }
        self
    }
}

/// `POST /token`: authenticates the client and carries out its grant.
pub(crate) async fn token(
    State(server): State<Arc<OAuthServer>>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, TokenError> {
    let Form(form) = form.map_err(|_| {
        TokenError::InvalidRequest("the body must be form-urlencoded, without repeated parameters")
    })?;
    let client = server.clients().authenticate(
        &headers,
        given(&form.client_id),
        given(&form.client_secret),
    )?;
    let now = Instant::now();
    let response = match given(&form.grant_type) {
        Some("authorization_code") => authorization_code(&server, &client, &form, now),
        Some("refresh_token") => refresh_token(&server, &client, &form, now),
        Some("client_credentials") => client_credentials(&server, &client, &form, now),
        Some(_) => Err(TokenError::UnsupportedGrantType(
            "grant_type must be authorization_code, refresh_token or client_credentials",
        )),
        None => Err(TokenError::InvalidRequest("grant_type is missing")),
    }?;
    Ok((no_store(), Json(response)).into_response())
}

/// Exchanges a code for tokens after checking its client, redirect URI and
/// PKCE verifier. The code is spent even if a check fails.
fn authorization_code(
    server: &OAuthServer,
    client: &OAuthClient,
    form: &TokenForm,
    now: Instant,
) -> Result<TokenResponse, TokenError> {
    let code = given(&form.code).ok_or(TokenError::InvalidRequest("code is missing"))?;
    let redirect_uri =
        given(&form.redirect_uri).ok_or(TokenError::InvalidRequest("redirect_uri is missing"))?;
    let verifier =
        given(&form.code_verifier).ok_or(TokenError::InvalidRequest("code_verifier is missing"))?;
    if !pkce::is_valid_verifier(verifier) {
        return Err(TokenError::InvalidRequest(
            "code_verifier must be 43 to 128 unreserved characters",
        ));
    }
    let mut tokens = server.tokens();
    let (pending, grant) = tokens.redeem_code(now, code).map_err(|error| match error {
        RedeemError::Unknown => {
            TokenError::InvalidGrant("authorization code is unknown or expired")
        }
        RedeemError::Reused => TokenError::InvalidGrant(
            "authorization code was already used; tokens issued for it are revoked",
        ),
    })?;
    if pending.subject.client_id != client.client_id {
        return Err(TokenError::InvalidGrant(
            "authorization code was issued to another client",
        ));
    }
    if pending.redirect_uri != redirect_uri {
        return Err(TokenError::InvalidGrant(
            "redirect_uri differs from the authorization request",
        ));
    }
    if !pkce::verify(verifier, &pending.code_challenge) {
        return Err(TokenError::InvalidGrant(
            "code_verifier does not match the code_challenge",
        ));
    }
    let lifetime = server.access_token_lifetime();
    let issued = tokens.issue(now, &pending.subject, grant, lifetime, true);
    Ok(
        TokenResponse::new(issued, lifetime, pending.subject.scope.clone())
            .with_id_token(server, &pending.subject),
    )
}

/// Rotates a refresh token: the presented one stops working and a new pair
/// is issued. A narrower `scope` applies to the new access token only.
fn refresh_token(
    server: &OAuthServer,
    client: &OAuthClient,
    form: &TokenForm,
    now: Instant,
) -> Result<TokenResponse, TokenError> {
    let token =
        given(&form.refresh_token).ok_or(TokenError::InvalidRequest("refresh_token is missing"))?;
    let mut tokens = server.tokens();
    let (subject, grant) =
        tokens
            .refresh_grant(now, token, &client.client_id)
            .ok_or(TokenError::InvalidGrant(
                "refresh token is unknown, expired, already used or issued to another client",
            ))?;
    let scope = match given(&form.scope) {
        Some(requested) if within(requested, subject.scope.as_deref()) => {
            Some(requested.to_owned())
        }
        Some(_) => {
            return Err(TokenError::InvalidScope(
                "scope exceeds the scope originally granted",
            ));
        }
        None => subject.scope.clone(),
    };
    tokens.retire_refresh(token);
    let lifetime = server.access_token_lifetime();
    let issued = tokens.issue(now, &subject, grant, lifetime, true);
    Ok(TokenResponse::new(issued, lifetime, scope).with_id_token(server, &subject))
}

/// Issues a token acting as the confidential client's service account.
fn client_credentials(
    server: &OAuthServer,
    client: &OAuthClient,
    form: &TokenForm,
    now: Instant,
) -> Result<TokenResponse, TokenError> {
    if client.client_secret.is_none() {
        return Err(TokenError::UnauthorizedClient(
            "public clients cannot use client_credentials",
        ));
    }
    let upn = client
        .service_account
        .clone()
        .ok_or(TokenError::UnauthorizedClient(
            "the client has no service account",
        ))?;
    let subject = Subject {
        upn,
        client_id: client.client_id.clone(),
        scope: given(&form.scope).map(str::to_owned),
    };
    let lifetime = server.access_token_lifetime();
    let mut tokens = server.tokens();
    let grant = tokens.new_grant();
    let issued = tokens.issue(now, &subject, grant, lifetime, false);
    Ok(TokenResponse::new(issued, lifetime, subject.scope))
}

/// Whether every scope token of `requested` is among those of `granted`.
fn within(requested: &str, granted: Option<&str>) -> bool {
    let granted: Vec<&str> = granted.unwrap_or_default().split(' ').collect();
    requested
        .split(' ')
        .filter(|scope| !scope.is_empty())
        .all(|scope| granted.contains(&scope))
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn narrower_scopes_are_within_the_grant() {
        assert!(within("mail.read", Some("mail.read mail.send")));
        assert!(within("mail.send  mail.read", Some("mail.read mail.send")));
        assert!(!within("mail.read admin", Some("mail.read mail.send")));
        assert!(!within("mail.read", None));
    }
}
