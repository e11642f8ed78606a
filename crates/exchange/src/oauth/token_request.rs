//! One form POST to a token endpoint and its answer (RFC 6749 §5).

use std::time::Duration;

use serde::Deserialize;

use super::error::OAuthError;
use super::id_token::signed_in_account;
use crate::error::ExchangeError;
use crate::secret::Secret;
use crate::transport::{TransportConfig, classify};
use crate::url_guard::GuardedUrl;

/// What a successful token response granted.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The access token.
    pub access_token: Secret,
    /// How long the access token lasts (`expires_in`), if the server said.
    pub expires_in: Option<Duration>,
    /// A (rotated) refresh token, if one was issued.
    pub refresh_token: Option<Secret>,
    /// The account the ID token names, if an ID token came.
    pub signed_in_account: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    access_token: Option<String>,
    expires_in: Option<ExpiresIn>,
    refresh_token: Option<String>,
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `expires_in` as a number, or as a string (as some Microsoft endpoints send it).
#[derive(Deserialize)]
#[serde(untagged)]
enum ExpiresIn {
    Number(u64),
    Text(String),
}

impl ExpiresIn {
    fn duration(&self) -> Option<Duration> {
        match self {
            Self::Number(n) => Some(Duration::from_secs(*n)),
            Self::Text(t) => t.trim().parse().ok().map(Duration::from_secs),
        }
    }
}

/// A client for token requests: the transport's TLS policy and guarded resolver, no redirects.
fn http_client(transport: &TransportConfig) -> Result<reqwest::Client, ExchangeError> {
    let tls = transport
        .tls
        .client_config(&transport.extra_roots)
        .map_err(|e| ExchangeError::Setup(e.to_string()))?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .dns_resolver(std::sync::Arc::new(transport.resolver.clone()))
        .connect_timeout(transport.connect_timeout)
        .timeout(transport.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ExchangeError::Setup(e.to_string()))
}

/// POSTs `form` to `token_url` and reads the answer.
pub(crate) async fn post_form(
    token_url: &GuardedUrl,
    form: &[(&str, &str)],
    transport: &TransportConfig,
) -> Result<TokenGrant, OAuthError> {
    let response = http_client(transport)?
        .post(token_url.as_str())
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .map_err(|e| classify(&e, token_url))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| classify(&e, token_url))?;
    if body.len() > transport.max_response_bytes {
        return Err(ExchangeError::TooLarge {
            limit: transport.max_response_bytes,
        }
        .into());
    }
    let answer: Answer = serde_json::from_slice(&body).map_err(|_| ExchangeError::Http {
        status,
        detail: "the token endpoint did not answer with OAuth JSON".into(),
        retry_after: None,
    })?;
    let description = answer.error_description.unwrap_or_default();
    match (answer.access_token, answer.error) {
        (Some(token), None) if status == 200 => Ok(TokenGrant {
            access_token: Secret::new(token),
            expires_in: answer.expires_in.as_ref().and_then(ExpiresIn::duration),
            refresh_token: answer.refresh_token.map(Secret::new),
            signed_in_account: answer.id_token.as_deref().and_then(signed_in_account),
        }),
        (_, Some(error)) if error == "invalid_grant" => {
            Err(OAuthError::InvalidGrant { description })
        }
        (_, Some(error)) => Err(OAuthError::Refused {
            status,
            error,
            description,
        }),
        (_, None) => Err(ExchangeError::Http {
            status,
            detail: "the token endpoint answered without an access token".into(),
            retry_after: None,
        }
        .into()),
    }
}
